"""A program admin runs matching in a real browser: starts a run from the cohort's review page, watches the progress
bar give way to the results, locks a pair (htmx row swap), hand-picks a mentor for an unmatched mentee and re-runs
around the locks, then publishes the re-run (confirming the dialog) and sees when and by whom. The run is computed by
calling the service (no worker), as the task would."""

from __future__ import annotations

import pytest

from matching import services
from matching.models import MatchProposal, MatchRun
from programs.models import Application, ApplicationSkill, Cohort, Mentorship, Program
from tests import factories
from tests.e2e.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _execute_latest(tenant, cohort) -> MatchRun:
    with tenant.scope():
        run = MatchRun.objects.select_related("cohort__program").filter(cohort=cohort).first()
        return services.match_run_execute(run=run)


def test_admin_runs_matching_locks_a_pair_hand_picks_reruns_and_publishes(
    page, live_server, tenants, artifacts, monkeypatch
):
    monkeypatch.setattr("matching.tasks.match_run_task.delay", lambda **kwargs: None)  # no worker: we execute
    tenant_a, _ = tenants
    engineering, sales = tenant_a.departments
    with tenant_a.scope():
        skill = factories.make_skill("Data literacy", category="Analytics")
        program = factories.make_program("Build Together", skills=[skill], status=Program.Status.OPEN)
        cohort = factories.make_cohort(program, name="Spring")
        for role, names, department in (
            ("mentor", ["Maya Mentor", "Milo Mentor"], engineering),
            ("mentee", ["Erin Mentee", "Enzo Mentee", "Elia Mentee"], sales),
        ):
            for name in names:
                membership = factories.make_membership(factories.make_user(full_name=name), department=department)
                application = factories.make_application(
                    cohort, membership, role=role, status=Application.Status.ACCEPTED,
                    capacity=1 if role == "mentor" else None,
                )  # fmt: skip
                ApplicationSkill.objects.create(
                    application=application, skill=skill, level=5 if role == "mentor" else 2,
                    target_level=None if role == "mentor" else 4,
                )  # fmt: skip
    slug = tenant_a.organization.slug

    log_in(page, live_server, "admin@org-alpha.test", lands_on=f"/o/{slug}/")

    page.goto(f"{live_server.url}/o/{slug}/programs/cohorts/{cohort.pk}/applications/")
    page.get_by_role("link", name="Matching").click()
    page.get_by_label("Most mentees matched, then highest score").check()
    page.get_by_role("button", name="Start matching").click()
    page.get_by_text("Waiting for a worker").wait_for()
    assert page.locator("progress").is_visible()
    page.screenshot(path=artifacts / "match-run-progress.png", full_page=True)

    # The worker's part; the polled progress bar notices and the page reloads with the results.
    run = _execute_latest(tenant_a, cohort)
    assert run.status == "done"
    page.get_by_role("heading", name="What optimisation bought").wait_for()
    assert page.locator("#comparison").get_by_text("Mentees matched").is_visible()
    rows = page.locator("table.proposals tbody tr")
    assert rows.count() == 2
    assert page.locator("#unmatched tbody tr").count() == 1

    first = rows.first
    first.get_by_text("Why").click()
    assert first.get_by_text("Complementary skills").is_visible()
    first.get_by_role("button", name="Lock").click()
    first.locator(".badge", has_text="Locked").wait_for()
    with tenant_a.scope():
        assert MatchProposal.objects.filter(run=run, state="locked").count() == 1
    page.screenshot(path=artifacts / "match-run-results.png", full_page=True)

    # Hand-pick a mentor for the unmatched mentee: the form loads when its <details> opens.
    unmatched = page.locator("#unmatched tbody tr").first
    unmatched.get_by_text("Hand-pick a mentor").click()
    unmatched.locator("select[name=mentor]").select_option(index=1)
    unmatched.get_by_role("button", name="Hand-pick").click()
    page.get_by_text("Warning: The mentor's capacity is 1").wait_for()
    assert page.locator("table.proposals tbody tr").count() == 3
    assert page.locator("table.proposals .badge", has_text="Hand-picked").is_visible()

    # Re-run around the locks: a new run keeps the locked and hand-picked pairs.
    page.get_by_role("button", name="Re-run around locks").click()
    page.get_by_text("Waiting for a worker").wait_for()
    rerun = _execute_latest(tenant_a, cohort)
    assert rerun.pk != run.pk
    page.get_by_role("heading", name="What optimisation bought").wait_for()
    assert page.locator("table.proposals .badge", has_text="Locked").is_visible()
    assert page.locator("table.proposals .badge", has_text="Hand-picked").is_visible()
    page.screenshot(path=artifacts / "match-rerun.png", full_page=True)

    # Publish the re-run: a confirmation first, then the mentorships and the notice of who published when.
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Publish").click()
    page.locator("#published").wait_for()
    assert "Mentorships are created" in dialogs[0]
    assert "by Ada Admin" in page.locator("#published").inner_text()
    with tenant_a.scope():
        published = MatchProposal.objects.filter(run=rerun, state="published").count()
        assert published >= 2  # the locked and the hand-picked pair at least
        assert Mentorship.objects.filter(cohort=cohort, run=rerun).count() == published
        assert Cohort.objects.get(pk=cohort.pk).status == Cohort.Status.ACTIVE
    assert page.get_by_text(f"Published: {published} mentorships created").is_visible()
    assert page.get_by_role("button", name="Publish").count() == 0
    assert page.locator("table.proposals .badge", has_text="Published").count() == published
    page.screenshot(path=artifacts / "match-published.png", full_page=True)
