"""Match run pages: roles, isolation pairs for every page and POST, the progress partial, the run's results
(optimal against greedy, proposals with their factor bars, unmatched mentees), decisions (lock, reject, hand-pick,
stale run) and constant query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matching import services
from matching.algorithms import DEFAULT_WEIGHTS
from matching.models import MatchProposal, MatchRun
from mentorship.tenancy.models import Role
from programs.models import Application, ApplicationSkill, Program
from tests import factories
from tests.conftest import login

HTMX = {"HX-Request": "true"}
FIGURES = {
    "mentees": 5,
    "mentors": 3,
    "matched": 4,
    "matched_pct": 80.0,
    "mean_score": 0.61,
    "total_score": 2.44,
    "cross_department_share": 100.0,
    "departments_covered": 2,
}
GREEDY = {**FIGURES, "matched": 3, "matched_pct": 60.0, "mean_score": 0.58, "cross_department_share": 75.0}
SUMMARY = {**FIGURES, "greedy": GREEDY, "message": "Matched 4 of 5 mentees (80.0%)."}


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def accepted(tenant, cohort, role, name, department=None, **fields):
    with tenant.scope():
        membership = factories.make_membership(factories.make_user(full_name=name), department=department)
        if role == Application.Role.MENTOR:
            fields.setdefault("capacity", 2)
        return factories.make_application(cohort, membership, role=role, status=Application.Status.ACCEPTED, **fields)


def cohort_of(tenant, name=None):
    with tenant.scope():
        program = factories.make_program(name, skills=[factories.make_skill()], status=Program.Status.OPEN)
        return factories.make_cohort(program, name="Spring")


def built_run(tenant, *, pairs=2, unmatched=1, status=MatchRun.Status.DONE, cohort=None):
    """A finished run built row by row: `pairs` proposals across departments, `unmatched` unmatched mentees."""
    cohort = cohort or cohort_of(tenant)
    engineering, sales = tenant.departments
    with tenant.scope():
        run = factories.make_match_run(
            cohort, status=status, progress=100 if status == "done" else 40,
            phase="explanations" if status == "done" else "assignment",
            summary=SUMMARY if status == "done" else {}, weights=dict(DEFAULT_WEIGHTS),
        )  # fmt: skip
    mentors = [accepted(tenant, cohort, "mentor", f"Mentor {i}", engineering) for i in range(max(pairs, 1))]
    proposals = []
    for index in range(pairs):
        mentee = accepted(tenant, cohort, "mentee", f"Mentee {index}", sales)
        with tenant.scope():
            proposals.append(
                factories.make_match_proposal(
                    run,
                    mentee=mentee,
                    mentor=mentors[index],
                    score=0.5 + index / 100,
                    factors={"skills": 0.3, "cross_functional": 0.15, "language": 0.05},
                )
            )
    for index in range(unmatched):
        mentee = accepted(tenant, cohort, "mentee", f"Lonely {index}", sales)
        with tenant.scope():
            factories.make_unmatched_mentee(run, mentee=mentee, reason="rules", detail="Same reporting line")
    return run, proposals


def state(tenant, proposal):
    with tenant.scope():
        return MatchProposal.objects.get(pk=proposal.pk).state


@pytest.fixture
def program_admin(tenant_a):
    with tenant_a.scope():
        return factories.make_membership(
            factories.make_user("programs@org-alpha.test", "Pia Programs"), roles=[Role.PROGRAM_ADMIN]
        )


# --- Roles ---


@pytest.mark.parametrize("roles", [[], [Role.HR_ANALYST]])
def test_matching_pages_are_forbidden_to_members_without_an_admin_role(client, tenant_a, roles):
    run, proposals = built_run(tenant_a)
    with tenant_a.scope():
        person = factories.make_membership(roles=roles)
        mentor = Application.objects.filter(cohort=run.cohort, role="mentor").last()
        runs_before = MatchRun.objects.count()
    login(client, person)
    proposal = proposals[0]
    for page in (
        url("match_cohort_runs", tenant_a, cohort_id=run.cohort_id),
        url("match_run_detail", tenant_a, run_id=run.pk),
        url("match_run_status", tenant_a, run_id=run.pk),
        url("match_proposal_hand_pick", tenant_a, run_id=run.pk) + f"?mentee={proposal.mentee_id}",
    ):
        assert client.get(page).status_code == 403, page
    posts = [
        (url("match_cohort_runs", tenant_a, cohort_id=run.cohort_id), {"objective": "score"}),
        (url("match_run_rerun", tenant_a, run_id=run.pk), {}),
        (url("match_proposal_lock", tenant_a, proposal_id=proposal.pk), {}),
        (url("match_proposal_reject", tenant_a, proposal_id=proposal.pk), {}),
        (url("match_proposal_hand_pick", tenant_a, run_id=run.pk), {"mentee": proposal.mentee_id, "mentor": mentor.pk}),
    ]
    for page, data in posts:
        assert client.post(page, data).status_code == 403, page
    assert state(tenant_a, proposal) == "proposed"
    with tenant_a.scope():
        assert MatchRun.objects.count() == runs_before


def test_program_admins_and_org_admins_see_the_matching_pages(client, tenant_a, program_admin):
    run, _ = built_run(tenant_a)
    for person in (program_admin, tenant_a.admin):
        login(client, person)
        assert client.get(url("match_cohort_runs", tenant_a, cohort_id=run.cohort_id)).status_code == 200
        assert client.get(url("match_run_detail", tenant_a, run_id=run.pk)).status_code == 200


def test_the_review_page_links_to_matching(client, tenant_a):
    cohort = cohort_of(tenant_a)
    response = login(client, tenant_a.admin).get(url("cohort_applications", tenant_a, cohort_id=cohort.pk))
    assert url("match_cohort_runs", tenant_a, cohort_id=cohort.pk).encode() in response.content


# --- Isolation pairs ---


def test_cohort_runs_lists_runs_of_this_cohort_of_my_organization_only(client, tenants):
    tenant_a, tenant_b = tenants
    mine, _ = built_run(tenant_a, pairs=1, unmatched=0)
    other_cohort, _ = built_run(tenant_a, pairs=1, unmatched=0)
    built_run(tenant_b, pairs=1, unmatched=0)
    response = login(client, tenant_a.admin).get(url("match_cohort_runs", tenant_a, cohort_id=mine.cohort_id))
    assert [run.pk for run in response.context["runs"]] == [mine.pk]
    assert f"Run {other_cohort.pk}<".encode() not in response.content


def test_another_organizations_ids_are_404_and_change_nothing(client, tenants):
    tenant_a, tenant_b = tenants
    run, proposals = built_run(tenant_b)
    proposal = proposals[0]
    with tenant_b.scope():
        mentor = Application.objects.filter(cohort=run.cohort, role="mentor").last()
        runs_before = MatchRun.objects.count()
    login(client, tenant_a.admin)
    for page in (
        url("match_cohort_runs", tenant_a, cohort_id=run.cohort_id),
        url("match_run_detail", tenant_a, run_id=run.pk),
        url("match_run_status", tenant_a, run_id=run.pk),
        url("match_proposal_hand_pick", tenant_a, run_id=run.pk) + f"?mentee={proposal.mentee_id}",
    ):
        assert client.get(page).status_code == 404, page
    posts = [
        (url("match_cohort_runs", tenant_a, cohort_id=run.cohort_id), {"objective": "score"}),
        (url("match_run_rerun", tenant_a, run_id=run.pk), {}),
        (url("match_proposal_lock", tenant_a, proposal_id=proposal.pk), {}),
        (url("match_proposal_reject", tenant_a, proposal_id=proposal.pk), {}),
        (url("match_proposal_hand_pick", tenant_a, run_id=run.pk), {"mentee": proposal.mentee_id, "mentor": mentor.pk}),
    ]
    for page, data in posts:
        assert client.post(page, data).status_code == 404, page
        assert client.post(page, data, headers=HTMX).status_code == 404, page
    assert state(tenant_b, proposal) == "proposed"
    with tenant_b.scope():
        assert MatchRun.objects.count() == runs_before
    slug = tenant_a.organization.slug
    for huge in (f"/o/{slug}/matching/runs/{10**22}/", f"/o/{slug}/matching/cohorts/{10**22}/"):
        assert client.get(huge).status_code == 404
    assert client.post(f"/o/{slug}/matching/proposals/{10**22}/lock/").status_code == 404


def test_hand_picking_another_organizations_or_cohorts_application_is_refused(client, tenants):
    tenant_a, tenant_b = tenants
    run, proposals = built_run(tenant_a)
    foreign_run, _ = built_run(tenant_b)
    other_run, _ = built_run(tenant_a)
    with tenant_b.scope():
        foreign_mentor = Application.objects.filter(cohort=foreign_run.cohort, role="mentor").last()
    with tenant_a.scope():
        other_mentor = Application.objects.filter(cohort=other_run.cohort, role="mentor").last()
    login(client, tenant_a.admin)
    page = url("match_proposal_hand_pick", tenant_a, run_id=run.pk)
    for mentor_id in (foreign_mentor.pk, other_mentor.pk, "abc", ""):
        response = client.post(page, {"mentee": proposals[0].mentee_id, "mentor": mentor_id}, follow=True)
        assert b"Mentor: Choose" in response.content, mentor_id
    with tenant_a.scope():
        assert list(MatchProposal.objects.filter(run=run).values_list("mentor_id", flat=True)) == [
            p.mentor_id for p in sorted(proposals, key=lambda p: -p.score)
        ]
        assert not MatchProposal.objects.filter(run=run, state="hand_picked").exists()


def test_the_hand_pick_form_offers_this_cohorts_accepted_mentors_with_their_seats(client, tenants):
    tenant_a, tenant_b = tenants
    run, proposals = built_run(tenant_a, pairs=2, unmatched=1)
    _, foreign_proposals = built_run(tenant_b)
    _, other_proposals = built_run(tenant_a)
    with tenant_a.scope():
        declined = accepted(tenant_a, run.cohort, "mentor", "Dora Declined")
        Application.objects.filter(pk=declined.pk).update(status="declined")
        lonely = run.unmatched.get()
    login(client, tenant_a.admin)
    form_url = url("match_proposal_hand_pick", tenant_a, run_id=run.pk)
    partial = client.get(form_url, {"mentee": lonely.mentee_id}, headers=HTMX)
    assert partial.status_code == 200 and b"<html" not in partial.content
    content = partial.content.decode()
    assert "Mentor 0 · Engineering · 1 of 2 taken" in content and "Mentor 1 · Engineering · 1 of 2 taken" in content
    assert "Dora Declined" not in content and "Mentor for Lonely 0" in content
    # The mentee's current mentor is not offered again; without htmx the form is a page of its own.
    page = client.get(form_url, {"mentee": proposals[0].mentee_id})
    assert b"<html" in page.content and b"Hand-pick a mentor for Mentee 0" in page.content
    assert b"Mentor 0 \xc2\xb7" not in page.content and b"Mentor 1 \xc2\xb7" in page.content
    for mentee in (foreign_proposals[0].mentee_id, other_proposals[0].mentee_id, proposals[0].mentor_id, "x", ""):
        assert client.get(form_url, {"mentee": mentee}).status_code == 404, mentee


# --- The run page ---


def test_a_running_run_shows_a_polled_progress_bar(client, tenant_a):
    run, _ = built_run(tenant_a, pairs=0, unmatched=0, status=MatchRun.Status.RUNNING)
    login(client, tenant_a.admin)
    content = client.get(url("match_run_detail", tenant_a, run_id=run.pk)).content.decode()
    status_url = url("match_run_status", tenant_a, run_id=run.pk)
    assert f'hx-get="{status_url}"' in content and 'hx-trigger="every 1s"' in content
    assert '<progress max="100" value="40"' in content and "<span>40%</span>" in content
    assert "Optimal assignment" in content
    partial = client.get(status_url, headers=HTMX)
    assert b"<html" not in partial.content and b"40%" in partial.content and "HX-Refresh" not in partial
    with tenant_a.scope():
        MatchRun.objects.filter(pk=run.pk).update(status="done", progress=100, summary=SUMMARY)
    finished = client.get(status_url, headers=HTMX)
    assert finished["HX-Refresh"] == "true" and b"every 1s" not in finished.content


def test_a_finished_run_compares_with_greedy_and_explains_each_pair(client, tenant_a):
    run, _ = built_run(tenant_a)
    response = login(client, tenant_a.admin).get(url("match_run_detail", tenant_a, run_id=run.pk))
    content = response.content.decode()
    figures = {row["label"]: (row["optimal"], row["greedy"]) for row in response.context["figures"]}
    assert figures["Mentees matched"] == (80.0, 60.0) and figures["Departments covered"] == (2, 2)
    assert "What optimisation bought" in content and "+20 pts" in content and "80% (4 of 5)" in content
    for expected in ["Mentee 0", "Mentor 1", "Engineering", "Sales", "Complementary skills", "0.30 of 0.45",
                     "Lonely 0", "Same reporting line", "Re-run around locks"]:  # fmt: skip
        assert expected in content, expected
    assert 'style="width: 67%"' in content  # skills: 0.30 of 0.45
    assert content.count('hx-trigger="toggle once"') == 3  # a hand-pick form per mentee, loaded when opened


# --- Constant queries ---


def test_the_run_page_runs_a_constant_number_of_queries(client, tenant_a):
    run, _ = built_run(tenant_a, pairs=1, unmatched=1)
    page = url("match_run_detail", tenant_a, run_id=run.pk)
    login(client, tenant_a.admin)
    client.get(page)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(page)
    more, _ = built_run(tenant_a, pairs=12, unmatched=5, cohort=run.cohort)
    with tenant_a.scope():
        MatchProposal.objects.filter(run=more).update(run=run)
        more.unmatched.update(run=run)
    with CaptureQueriesContext(connection) as many:
        response = client.get(page)
    assert len(response.context["proposals"]) == 13 and len(response.context["unmatched"]) == 6
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- Runs computed by the services ---


def matchable_cohort(tenant, *, mentees=3, mentors=2, capacity=1):
    """Accepted mentees (Sales) who want a skill that accepted mentors (Engineering) offer at level 5."""
    engineering, sales = tenant.departments
    cohort = cohort_of(tenant)
    with tenant.scope():
        skill = factories.make_skill()
    people = {"mentee": [], "mentor": []}
    for role, count, department in (("mentee", mentees, sales), ("mentor", mentors, engineering)):
        for index in range(count):
            fields = {"capacity": capacity} if role == "mentor" else {}
            application = accepted(tenant, cohort, role, f"{role.title()} {index}", department, **fields)
            with tenant.scope():
                ApplicationSkill.objects.create(
                    application=application, skill=skill, level=5 if role == "mentor" else 2,
                    target_level=None if role == "mentor" else 4,
                )  # fmt: skip
            people[role].append(application)
    return cohort, people


def executed_run(tenant, cohort, objective="score"):
    with tenant.scope():
        run = services.match_run_start(cohort=cohort, started_by=None, objective=objective)
        return services.match_run_execute(run=MatchRun.objects.select_related("cohort__program").get(pk=run.pk))


def test_starting_a_run_queues_it_and_shows_its_progress(client, tenant_a, program_admin):
    cohort, _ = matchable_cohort(tenant_a)
    login(client, program_admin)
    page = url("match_cohort_runs", tenant_a, cohort_id=cohort.pk)
    response = client.post(page, {"objective": "coverage"})
    with tenant_a.scope():
        run = MatchRun.objects.get(cohort=cohort)
    assert (run.status, run.objective, run.started_by_id) == ("queued", "coverage", program_admin.pk)
    assert response.status_code == 302 and response["Location"] == url("match_run_detail", tenant_a, run_id=run.pk)
    content = client.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in content and "<progress" in content
    again = client.post(page, {"objective": "score"}, follow=True)
    assert b"already in progress" in again.content
    assert client.post(page, {"objective": "fastest"}).status_code == 400
    with tenant_a.scope():
        assert MatchRun.objects.filter(cohort=cohort).count() == 1
    listed = client.get(page)
    assert [r.pk for r in listed.context["runs"]] == [run.pk]


def test_a_computed_run_shows_pairs_unmatched_mentees_and_the_comparison(client, tenant_a):
    cohort, _ = matchable_cohort(tenant_a, mentees=3, mentors=2, capacity=1)
    run = executed_run(tenant_a, cohort)
    assert run.status == "done"
    response = login(client, tenant_a.admin).get(url("match_run_detail", tenant_a, run_id=run.pk))
    assert len(response.context["proposals"]) == 2 and len(response.context["unmatched"]) == 1
    content = response.content.decode()
    assert "Matched 2 of 3 mentees" in content and "Allowed mentors&#x27; seats are taken" in content
    labels = [row["label"] for row in response.context["figures"]]
    assert labels == ["Mentees matched", "Mean score", "Cross-department pairs", "Departments covered"]


def test_lock_and_reject_change_the_state_with_an_htmx_row_swap(client, tenant_a):
    cohort, _ = matchable_cohort(tenant_a, mentees=2, mentors=2)
    run = executed_run(tenant_a, cohort)
    with tenant_a.scope():
        first, second = MatchProposal.objects.filter(run=run).order_by("pk")
    login(client, tenant_a.admin)
    response = client.post(url("match_proposal_lock", tenant_a, proposal_id=first.pk), headers=HTMX)
    assert response.status_code == 200 and b"<html" not in response.content
    assert f'id="proposal-{first.pk}"'.encode() in response.content and b"Locked" in response.content
    assert state(tenant_a, first) == "locked"
    response = client.post(url("match_proposal_reject", tenant_a, proposal_id=second.pk))
    assert response.status_code == 302 and response["Location"].endswith(f"#proposal-{second.pk}")
    assert state(tenant_a, second) == "rejected"


def test_hand_pick_gives_the_mentee_another_mentor_and_shows_the_warnings(client, tenant_a):
    cohort, people = matchable_cohort(tenant_a, mentees=2, mentors=2, capacity=1)
    run = executed_run(tenant_a, cohort)
    with tenant_a.scope():
        proposal = MatchProposal.objects.filter(run=run).order_by("pk").first()
    other_mentor = next(m for m in people["mentor"] if m.pk != proposal.mentor_id)
    login(client, tenant_a.admin)
    response = client.post(
        url("match_proposal_hand_pick", tenant_a, run_id=run.pk),
        {"mentee": proposal.mentee_id, "mentor": other_mentor.pk},
        follow=True,
    )
    assert response.status_code == 200
    with tenant_a.scope():
        picked = MatchProposal.objects.get(run=run, mentee_id=proposal.mentee_id)
    assert (picked.mentor_id, picked.state) == (other_mentor.pk, "hand_picked")
    assert any(w["code"] == "capacity" for w in picked.warnings)  # the other mentor already has their one mentee
    content = response.content.decode()
    assert "hand-picked for" in content and "Warning: The mentor&#x27;s capacity is 1" in content
    assert url("match_proposal_lock", tenant_a, proposal_id=picked.pk) not in content  # re-runs keep it anyway
    assert url("match_proposal_reject", tenant_a, proposal_id=picked.pk) in content


def test_decisions_on_a_stale_run_show_the_services_message_and_change_nothing(client, tenant_a):
    cohort, people = matchable_cohort(tenant_a, mentees=2, mentors=2)
    old = executed_run(tenant_a, cohort)
    executed_run(tenant_a, cohort)
    with tenant_a.scope():
        proposal = MatchProposal.objects.filter(run=old).first()
    login(client, tenant_a.admin)
    response = client.post(url("match_proposal_lock", tenant_a, proposal_id=proposal.pk), headers=HTMX)
    assert response.status_code == 200 and b"no longer the latest" in response.content
    response = client.post(url("match_proposal_reject", tenant_a, proposal_id=proposal.pk), follow=True)
    assert b"no longer the latest" in response.content
    response = client.post(
        url("match_proposal_hand_pick", tenant_a, run_id=old.pk),
        {"mentee": proposal.mentee_id, "mentor": people["mentor"][0].pk},
        follow=True,
    )
    assert b"no longer the latest" in response.content
    assert state(tenant_a, proposal) == "proposed"
    page = client.get(url("match_run_detail", tenant_a, run_id=old.pk))
    assert b"A newer run of this cohort exists" in page.content


def test_rerun_around_locks_starts_a_new_run_of_the_same_objective(client, tenant_a):
    cohort, _ = matchable_cohort(tenant_a)
    run = executed_run(tenant_a, cohort, objective="coverage")
    response = login(client, tenant_a.admin).post(url("match_run_rerun", tenant_a, run_id=run.pk))
    with tenant_a.scope():
        newest = MatchRun.objects.filter(cohort=cohort).first()
    assert newest.pk != run.pk and (newest.status, newest.objective) == ("queued", "coverage")
    assert response["Location"] == url("match_run_detail", tenant_a, run_id=newest.pk)


def test_a_newer_run_that_failed_does_not_make_the_run_stale(client, tenant_a):
    cohort, _ = matchable_cohort(tenant_a, mentees=2, mentors=2)
    run = executed_run(tenant_a, cohort)
    with tenant_a.scope():
        factories.make_match_run(cohort, status=MatchRun.Status.FAILED, error="RuntimeError: boom")
        proposal = MatchProposal.objects.filter(run=run).first()
    login(client, tenant_a.admin)
    page = client.get(url("match_run_detail", tenant_a, run_id=run.pk))
    assert b"A newer run of this cohort exists" not in page.content
    response = client.post(url("match_proposal_lock", tenant_a, proposal_id=proposal.pk), headers=HTMX)
    assert b"Locked" in response.content and b'role="alert"' not in response.content
    assert state(tenant_a, proposal) == "locked"
