"""Content-Security-Policy: every page sends a strict policy, and no template holds code that the policy blocks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from mentorship.tenancy.scope import tenant_scope
from tests import factories
from tests.conftest import login

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def assert_strict(response):
    policy = directives(response)
    assert policy["script-src"] == ["'self'"], policy
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]


def org_pages_without_ids(slug: str) -> list[str]:
    """Every page under /o/<slug>/ whose URL needs nothing but the organization: the dashboard once it exists too."""
    urls = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif (
                isinstance(pattern, URLPattern)
                and route.startswith("o/")  # not /sso/<org_slug>/, the anonymous SSO start (tests/accounts)
                and re.findall(r"<[^>]+>", route) == ["<slug:org_slug>"]
            ):
                urls.append("/" + route.replace("<slug:org_slug>", slug))

    walk(get_resolver().url_patterns)
    return sorted(set(urls))


def test_the_login_page_sends_a_strict_policy(client, db):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert_strict(response)


def test_every_organization_page_sends_a_strict_policy(client, tenant_a):
    login(client, tenant_a.admin)
    slug = tenant_a.organization.slug
    with tenant_scope(tenant_a.organization):
        program = factories.make_program("Cross-functional")
        mentorship = factories.make_pair(factories.make_cohort(program))
    pages = [
        *org_pages_without_ids(slug),
        reverse("program_admin_detail", kwargs={"org_slug": slug, "program_id": program.pk}),
    ]
    assert reverse("org_home", kwargs={"org_slug": slug}) in pages
    shown = []
    for url in pages:
        response = client.get(url)
        assert response.status_code in {200, 302, 403, 405}, url  # 405: a POST-only action
        assert_strict(response)
        if response.status_code == 200:
            shown.append(url)
    assert len(shown) >= 10, shown
    # The workspace page, seen by its mentor.
    login(client, mentorship.mentor.membership)
    response = client.get(reverse("mentorship_detail", kwargs={"org_slug": slug, "mentorship_id": mentorship.pk}))
    assert response.status_code == 200
    assert_strict(response)


def test_the_api_docs_load_swagger_ui_from_our_static_files_without_inline_script(client, db):
    response = client.get(reverse("api_docs"))
    assert response.status_code == 200
    assert_strict(response)
    html = response.content.decode()
    assert "cdn" not in html.lower()
    scripts = SCRIPT_TAG.findall(html)
    assert scripts and all("src=" in attributes for attributes in scripts), scripts
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    init = client.get(reverse("api_docs") + "?script=")
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_templates_hold_no_inline_script_handlers_or_hx_on(path):
    text = path.read_text()
    inline_scripts = [attributes for attributes in SCRIPT_TAG.findall(text) if "src=" not in attributes]
    assert inline_scripts == [], f"inline <script> in {path}: move it to static/js/"
    assert EVENT_HANDLER.findall(text) == [], f"inline event handler in {path}: use a listener in static/js/"
    assert "hx-on" not in text, f"hx-on in {path}: it needs eval, which the policy blocks"
    assert "javascript:" not in text.lower(), path
