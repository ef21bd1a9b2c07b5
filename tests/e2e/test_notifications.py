"""Notifications in a real browser: htmx swaps the list and the sidebar's count."""

from __future__ import annotations

import pytest

from programs.models import Notification
from tests.e2e.browser import log_in


def notify(membership, title, *, category="feedback_due"):
    return Notification.objects.create(
        membership=membership, category=category, title=title, dedupe_key=f"browser:{title}"
    )


def unread_of(membership):
    return list(Notification.objects.filter(membership=membership, read_at__isnull=True))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_marking_read_in_the_browser_updates_the_list_and_the_sidebar(page, live_server, tenants, artifacts):
    from playwright.sync_api import expect

    tenant_a, _ = tenants
    with tenant_a.scope():
        notify(tenant_a.member, "How was your session with Mentor Mo?")
        notify(tenant_a.member, "Mentoring session on Thu 3 Dec, 15:00 (UTC)", category="session_upcoming")
    slug = tenant_a.organization.slug
    log_in(page, live_server, "member@org-alpha.test", lands_on=f"/o/{slug}/")
    sidebar = page.get_by_role("navigation", name="Org Alpha")
    expect(sidebar.locator("#unread-count")).to_have_text("unread: 2")
    sidebar.get_by_role("link", name="Notifications").click()
    page.wait_for_url(f"{live_server.url}/o/{slug}/notifications/")
    page.screenshot(path=artifacts / "notifications.png", full_page=True)

    page.get_by_role("button", name="Mark “How was your session with Mentor Mo?” read").click()
    expect(page.get_by_role("heading", name="1 unread")).to_be_visible()
    expect(sidebar.locator("#unread-count")).to_have_text("unread: 1")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_role("heading", name="Nothing unread")).to_be_visible()
    expect(sidebar.locator("#unread-count")).to_be_empty()
    page.screenshot(path=artifacts / "notifications-read.png", full_page=True)
    with tenant_a.scope():
        assert not unread_of(tenant_a.member)
