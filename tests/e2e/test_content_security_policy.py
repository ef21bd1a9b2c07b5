"""In a real browser, with the Content-Security-Policy on: the pages work and the browser reports no violation."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from programs.models import Cohort
from tests import factories
from tests.e2e.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_violations(page) -> list[str]:
    """Chromium logs every blocked script, style, eval or handler to the console as "Refused to ...", or names the
    Content Security Policy."""
    violations = []

    def record(message):
        if "Content Security Policy" in message.text or message.text.startswith("Refused to"):
            violations.append(message.text)

    page.on("console", record)
    page.on("pageerror", lambda error: violations.append(str(error)))
    return violations


def test_pages_with_htmx_and_static_scripts_run_without_violations(page, live_server, tenant_a):
    slug = tenant_a.organization.slug
    with tenant_a.scope():
        cohort = factories.make_cohort(factories.make_program("Cross-functional"), status=Cohort.Status.ENROLLING)
        for _ in range(3):
            factories.make_application(cohort)
        mentorship = factories.make_pair()
    violations = watch_violations(page)

    log_in(page, live_server, tenant_a.admin.user.email, lands_on=f"/o/{slug}/")
    # The select-all checkbox (static/js/select_all.js, formerly an hx-on handler).
    page.goto(live_server.url + reverse("cohort_applications", kwargs={"org_slug": slug, "cohort_id": cohort.pk}))
    page.get_by_label("Select all on this page").check()
    boxes = page.locator("input[name=applications]")
    expect(boxes).to_have_count(3)
    for index in range(3):
        expect(boxes.nth(index)).to_be_checked()
    # Swagger UI, from drf-spectacular-sidecar's files and the split view's start-up script.
    page.goto(live_server.url + reverse("api_docs"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Mentorship API")

    page.context.clear_cookies()  # the workspace page, as the mentor
    log_in(page, live_server, mentorship.mentor.membership.user.email)
    page.goto(live_server.url + reverse("mentorship_detail", kwargs={"org_slug": slug, "mentorship_id": mentorship.pk}))
    expect(page.locator("main h1")).to_be_visible()
    assert violations == []
