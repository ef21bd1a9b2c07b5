"""A program admin builds a program in a real browser (a skill, the program with it, a cohort, open enrollment);
then a member finds it on the opportunity map and applies as mentee."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mentorship.tenancy.models import Role
from programs.models import Application, Cohort, Program
from tests import factories
from tests.e2e.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NAME = re.compile(r"^Name\b")  # required fields carry a "*" after their label


def test_program_admin_creates_a_program_adds_a_cohort_and_opens_enrollment(
    page, browser, live_server, tenants, artifacts
):
    tenant_a, _ = tenants
    with tenant_a.scope():
        factories.make_membership(
            factories.make_user("programs@org-alpha.test", "Pia Programs"), roles=[Role.PROGRAM_ADMIN]
        )
    log_in(page, live_server, "programs@org-alpha.test", lands_on=f"/o/{tenant_a.organization.slug}/")
    nav = page.get_by_role("navigation", name="Org Alpha")

    # A skill in the capability framework.
    nav.get_by_role("link", name="Capability framework").click()
    page.get_by_label(NAME).fill("Systems thinking")
    page.get_by_label("Category").fill("Engineering")
    page.get_by_label("Level 1").fill("Sees their own component")
    page.get_by_role("button", name="Add skill").click()
    assert page.get_by_role("link", name="Systems thinking").is_visible()

    # A program that grows it.
    nav.get_by_role("link", name="Programs", exact=True).click()
    page.get_by_role("link", name="New program").click()
    page.get_by_label(NAME).fill("Build Together")
    page.get_by_label("Theme tag").fill("#BuildTogether&GrowTogether")
    page.get_by_label("Cross-department collaboration").check()
    page.get_by_label("Systems thinking").check()
    page.get_by_role("button", name="Create program").click()
    assert page.get_by_role("heading", name="Build Together").is_visible()
    assert page.get_by_text("Establish trust and define goals").first.is_visible()  # the default session flow

    # Move the first stage down: htmx swaps the list in place.
    stages = page.locator("#stage-list > li strong")
    page.get_by_role("button", name="Move “Establish trust and define goals” down").click()
    # A locator wait, not wait_for_function: the Content-Security-Policy blocks the eval that one needs.
    expect(stages.first).to_contain_text("Identify strengths")
    assert stages.nth(1).text_content() == "2. Establish trust and define goals"

    # A cohort, enrolling.
    page.get_by_role("link", name="Add a cohort").click()
    today = timezone.localdate()
    page.get_by_label(NAME).fill("Spring cohort")
    page.get_by_label("Enrollment opens on").fill(today.isoformat())
    page.get_by_label("Enrollment closes on").fill((today + timedelta(days=14)).isoformat())
    page.get_by_label("Starts on").fill((today + timedelta(days=21)).isoformat())
    page.get_by_label("Ends on").fill((today + timedelta(days=200)).isoformat())
    page.get_by_label("Mentee seats").fill("20")
    page.get_by_label("Status").select_option("enrolling")
    page.get_by_role("button", name="Add cohort").click()
    assert page.get_by_role("link", name="Spring cohort", exact=True).is_visible()

    # Open the program for enrollment.
    page.get_by_role("button", name="Open for enrollment").click()
    page.get_by_text("Build Together is now open for enrollment.").wait_for()
    with tenant_a.scope():
        program = Program.objects.get(name="Build Together")
        assert program.status == Program.Status.OPEN
        assert list(program.program_skills.values_list("skill__name", flat=True)) == ["Systems thinking"]
        assert program.cohorts.get().status == Cohort.Status.ENROLLING
    page.screenshot(path=artifacts / "program-admin-open-for-enrollment.png", full_page=True)

    # A member, in a browser of their own, applies as mentee to what the admin just opened.
    member_context = browser.new_context()
    member = member_context.new_page()
    log_in(member, live_server, "member@org-alpha.test", lands_on=f"/o/{tenant_a.organization.slug}/")
    member.get_by_role("navigation", name="Org Alpha").get_by_role("link", name="Opportunities").click()
    assert member.get_by_role("heading", name="Build Together").is_visible()
    member.get_by_role("link", name="Apply as mentee").click()
    member.get_by_label("Systems thinking", exact=True).check()
    member.get_by_label("Current level in Systems thinking").select_option("1")
    member.get_by_label("Target level in Systems thinking").select_option("3")
    member.get_by_label("Your goals").fill("Understand how the platform team plans its work.")
    member.get_by_role("button", name="Submit application").click()
    member.wait_for_url(f"{live_server.url}/o/{tenant_a.organization.slug}/opportunities/mine/")
    assert member.locator("tbody tr", has_text="Build Together").get_by_text("Submitted", exact=True).is_visible()
    member.screenshot(path=artifacts / "member-applied-to-new-program.png", full_page=True)
    member_context.close()
    with tenant_a.scope():
        application = Application.objects.get(cohort__program__name="Build Together", membership=tenant_a.member)
        assert application.role == Application.Role.MENTEE
