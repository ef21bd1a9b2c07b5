"""A member finds an open program on the opportunity map and applies as a mentee in a real browser."""

from __future__ import annotations

import pytest

from programs.models import Application, ApplicationSkill, Program
from tests import factories
from tests.e2e.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_applies_as_mentee_and_sees_the_status(page, live_server, tenants, artifacts):
    tenant_a, _ = tenants
    with tenant_a.scope():
        skill = factories.make_skill("Data literacy", category="Analytics")
        program = factories.make_program(
            "Build Together",
            skills=[skill],
            status=Program.Status.OPEN,
            theme_tag="#BuildTogether&GrowTogether",
            description="Learn across departments, one session a month.",
        )
        cohort = factories.make_cohort(program, name="Spring", capacity=12)
    slug = tenant_a.organization.slug

    log_in(page, live_server, "member@org-alpha.test", lands_on=f"/o/{slug}/")

    page.get_by_role("navigation", name="Org Alpha").get_by_role("link", name="Opportunities").click()
    page.wait_for_url(f"{live_server.url}/o/{slug}/opportunities/")
    assert page.get_by_role("heading", name="Build Together").is_visible()
    assert page.get_by_text("#BuildTogether&GrowTogether").is_visible()
    page.screenshot(path=artifacts / "opportunities.png", full_page=True)

    page.get_by_role("link", name="Apply as mentee").click()
    page.get_by_label("Data literacy", exact=True).check()
    page.get_by_label("Current level in Data literacy").select_option("2")
    page.get_by_label("Target level in Data literacy").select_option("4")
    page.get_by_label("Your goals").fill("Read our dashboards and question them.")
    page.get_by_role("button", name="Submit application").click()

    page.wait_for_url(f"{live_server.url}/o/{slug}/opportunities/mine/")
    row = page.locator("tbody tr", has_text="Build Together")
    assert row.get_by_text("Submitted", exact=True).is_visible()
    page.screenshot(path=artifacts / "application-submitted.png", full_page=True)

    with tenant_a.scope():
        application = Application.objects.get(cohort=cohort, membership=tenant_a.member)
        assert (application.role, application.status) == (Application.Role.MENTEE, Application.Status.SUBMITTED)
        assert list(ApplicationSkill.objects.filter(application=application).values_list("level", "target_level")) == [
            (2, 4)
        ]
