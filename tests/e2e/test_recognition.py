"""In a real browser: the awardee opens their certificate from My recognition, and printing it leaves the
navigation out (the print stylesheet); the admin sees an at-risk pair on the cohort's mentorships page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from programs.models import Mentorship, Recognition
from programs.recognition import recognition_award_due
from tests.e2e.browser import log_in
from tests.programs.test_recognition import complete, final_window_cohort, pair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_certificate_prints_without_the_navigation(page, live_server, tenant_a, artifacts):
    slug = tenant_a.organization.slug
    with tenant_a.scope():
        mentorship = pair(final_window_cohort())
        complete(mentorship)
        recognition_award_due(cohort=mentorship.cohort)
        mentor = mentorship.mentor.membership
        mentor.user.full_name = "Mona Mentor"
        mentor.user.save()
        certificate = Recognition.objects.get(application=mentorship.mentor)
    log_in(page, live_server, mentor.user.email, lands_on=f"/o/{slug}/")
    page.get_by_role("link", name="Recognition", exact=True).click()
    page.get_by_role("link", name="Certificate").click()
    page.wait_for_url(f"{live_server.url}/o/{slug}/recognition/{certificate.pk}/certificate/")
    heading = page.get_by_role("heading", name="Certificate of completion")
    assert heading.is_visible() and page.locator(".sidenav").is_visible()
    page.screenshot(path=artifacts / "certificate-screen.png", full_page=True)
    page.emulate_media(media="print")
    assert heading.is_visible() and page.get_by_text("Mona Mentor").is_visible()
    assert not page.locator(".sidenav").is_visible() and not page.locator(".topbar").is_visible()
    page.screenshot(path=artifacts / "certificate-print.png", full_page=True)


def test_the_admin_sees_the_pair_at_risk(page, live_server, tenant_a, artifacts):
    slug = tenant_a.organization.slug
    with tenant_a.scope():
        cohort = final_window_cohort()
        on_track = pair(cohort)
        complete(on_track)
        quiet = pair(cohort)
        Mentorship.objects.filter(pk=quiet.pk).update(created_at=timezone.now() - timedelta(days=90))
    log_in(page, live_server, tenant_a.admin.user.email, lands_on=f"/o/{slug}/")
    page.goto(f"{live_server.url}/o/{slug}/programs/cohorts/{cohort.pk}/applications/")
    page.get_by_role("link", name="Mentorships", exact=True).click()
    assert page.locator(f"#mentorship-{quiet.pk}.at-risk").is_visible()
    assert page.locator(f"#mentorship-{on_track.pk}").get_by_text("4 of 4").is_visible()
    page.get_by_label("At risk only").check()
    page.wait_for_url(f"{live_server.url}/o/{slug}/programs/cohorts/{cohort.pk}/mentorships/?at_risk=on*")
    assert page.locator("#match-status tbody tr").count() == 1
    page.screenshot(path=artifacts / "match-status.png", full_page=True)
