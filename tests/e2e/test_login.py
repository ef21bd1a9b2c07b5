"""A person logs in with email and password in a real browser and sees their organization's home."""

from __future__ import annotations

import pytest

from tests import factories
from tests.e2e.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_in_and_see_the_organization_home(page, live_server, tenants, artifacts):
    tenant_a, _ = tenants
    page.goto(f"{live_server.url}/o/{tenant_a.organization.slug}/")
    # Anonymous: sent to the login page, then back.
    page.locator("#id_login").fill("admin@org-alpha.test")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_url(f"{live_server.url}/o/{tenant_a.organization.slug}/")
    assert page.get_by_role("heading", name="Welcome, Ada").is_visible()
    nav = page.get_by_role("navigation", name="Org Alpha")
    assert nav.get_by_role("link", name="Members").is_visible()  # org admins see administration
    assert "Org Beta" not in page.content()
    page.screenshot(path=artifacts / "organization-home.png", full_page=True)


def test_admin_filters_members_live(page, live_server, tenants, artifacts):
    tenant_a, _ = tenants
    log_in(page, live_server, "admin@org-alpha.test")
    page.goto(f"{live_server.url}/o/{tenant_a.organization.slug}/admin/members/")
    assert page.get_by_text("2 members").is_visible()
    page.get_by_label("Search").fill("max")
    page.get_by_text("1 member", exact=True).wait_for()  # htmx swapped the table without a reload
    assert page.get_by_role("link", name="Max Member").is_visible()
    assert "q=max" in page.url
    page.screenshot(path=artifacts / "members-filtered.png", full_page=True)
