"""Mentee choice mode: suggestions (hard rules, capacity, reasons), one open request per mentee, answers (accept takes
a seat, decline frees the mentee), expiry (idempotent, the fan-out task), and the pages with their isolation pairs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from matching import choice, tasks
from matching.models import MentorRequest
from mentorship.tenancy.models import Membership
from programs.models import Application, ApplicationSkill, Program
from tests import factories
from tests.conftest import login
from tests.tenancy.test_worker import worker  # noqa: F401 (the real-worker fixture)

MENTEE, MENTOR = Application.Role.MENTEE, Application.Role.MENTOR


def person(*, department=None, manager=None, languages=("en",), name="Test Person") -> Membership:
    return factories.make_membership(
        factories.make_user(full_name=name), department=department, manager=manager, languages=list(languages)
    )


def apply(cohort, membership, role, skills, *, capacity=None, **fields) -> Application:
    """skills: {skill: level} for mentors, {skill: (level, target)} for mentees."""
    application = factories.make_application(
        cohort, membership, role=role, capacity=capacity, **{"status": Application.Status.ACCEPTED, **fields}
    )
    for skill, spec in skills.items():
        level, target = spec if isinstance(spec, tuple) else (spec, None)
        ApplicationSkill.objects.create(application=application, skill=skill, level=level, target_level=target)
    return application


def choice_cohort(**program_fields):
    program = factories.make_program(
        status=Program.Status.OPEN, matching_mode=Program.MatchingMode.MENTEE_CHOICE, **program_fields
    )
    return factories.make_cohort(program)


def setting(tenant):
    """A mentee-choice cohort: a mentee in Sales who wants skill A 1 -> 4, and mentors:
    best (A at 4, Engineering), good (A at 3), fair (A at 2), her boss (reporting line), a Sales colleague
    (same department; the program requires cross-functional pairs), a German speaker (no shared language), and a
    mentor of another skill only (no candidate)."""
    engineering, sales = tenant.departments
    with tenant.scope():
        legal = factories.make_department("Legal")
        a, b = factories.make_skill("A"), factories.make_skill("B")
        cohort = choice_cohort()
        boss = person(department=engineering, name="Bo Boss")
        mentee_person = person(department=sales, manager=boss, name="Mia Mentee")
        mentee = apply(cohort, mentee_person, MENTEE, {a: (1, 4)})
        mentors = {
            "best": apply(cohort, person(department=engineering, name="Bea Best"), MENTOR, {a: 4}, capacity=1),
            "good": apply(cohort, person(department=legal, name="Gus Good"), MENTOR, {a: 3}, capacity=2),
            "fair": apply(cohort, person(department=legal, name="Fay Fair"), MENTOR, {a: 2}, capacity=2),
            "boss": apply(cohort, boss, MENTOR, {a: 5}),
            "colleague": apply(cohort, person(department=sales, name="Col League"), MENTOR, {a: 5}),
            "german": apply(cohort, person(department=legal, languages=("de",), name="Gert"), MENTOR, {a: 5}),
            "other": apply(cohort, person(department=legal, name="Otto Other"), MENTOR, {b: 5}),
        }
    return cohort, mentee, mentors


def ids(suggestions):
    return [s.mentor_id for s in suggestions]


# --- Suggestions ---


def test_suggestions_are_the_allowed_mentors_best_first_with_reasons(tenant_a):
    _cohort, mentee, mentors = setting(tenant_a)
    with tenant_a.scope():
        suggestions = choice.suggestions_for(mentee=mentee)
        assert ids(suggestions) == [mentors["best"].pk, mentors["good"].pk, mentors["fair"].pk]
        assert [s.rank for s in suggestions] == [1, 2, 3]
        assert suggestions[0].score > suggestions[1].score > suggestions[2].score
        assert suggestions[0].factors["skills"] > 0 and suggestions[0].mentor.pk == mentors["best"].pk
        assert any("100% of the skill levels" in reason for reason in suggestions[0].reasons)
        assert "speaks a language you speak" in suggestions[0].reasons
        assert "works in another department" in suggestions[0].reasons


def test_suggestions_are_at_most_five(tenant_a):
    engineering, sales = tenant_a.departments
    with tenant_a.scope():
        a = factories.make_skill()
        cohort = choice_cohort()
        mentee = apply(cohort, person(department=sales), MENTEE, {a: (1, 3)})
        for _ in range(7):
            apply(cohort, person(department=engineering), MENTOR, {a: 3})
        assert len(choice.suggestions_for(mentee=mentee)) == 5


def test_mentors_at_capacity_are_not_suggested(tenant_a):
    cohort, mentee, mentors = setting(tenant_a)
    with tenant_a.scope():
        other_mentee = apply(cohort, person(department=tenant_a.departments[1]), MENTEE, {})
        factories.make_mentor_request(
            cohort, mentee=other_mentee, mentor=mentors["best"], status=MentorRequest.Status.ACCEPTED
        )
        assert ids(choice.suggestions_for(mentee=mentee)) == [mentors["good"].pk, mentors["fair"].pk]


def test_admin_mode_cohorts_and_unaccepted_mentees_get_no_suggestions(tenant_a):
    cohort, mentee, _mentors = setting(tenant_a)
    with tenant_a.scope():
        Program.objects.filter(pk=cohort.program_id).update(matching_mode=Program.MatchingMode.ADMIN)
        mentee = Application.objects.select_related("cohort__program").get(pk=mentee.pk)
        with pytest.raises(ValidationError):
            choice.suggestions_for(mentee=mentee)


# --- Requests and answers ---


def test_one_open_request_per_mentee_and_only_a_suggested_mentor(tenant_a):
    _cohort, mentee, mentors = setting(tenant_a)
    with tenant_a.scope():
        with pytest.raises(ValidationError) as error:
            choice.mentor_request(mentee=mentee, mentor=mentors["boss"])
        assert "mentor" in error.value.message_dict
        request = choice.mentor_request(mentee=mentee, mentor=mentors["good"])
        assert (request.status, request.rank) == ("requested", 2)
        assert request.expires_at > timezone.now() + timedelta(days=6)
        with pytest.raises(ValidationError):
            choice.mentor_request(mentee=mentee, mentor=mentors["best"])
        assert MentorRequest.objects.filter(mentee=mentee).count() == 1


def test_accept_takes_a_seat_and_a_full_mentor_cannot_accept(tenant_a):
    cohort, mentee, mentors = setting(tenant_a)
    best = mentors["best"]  # capacity 1
    with tenant_a.scope():
        second = apply(cohort, person(department=tenant_a.departments[1]), MENTEE, {factories.make_skill(): (1, 2)})
        request = choice.mentor_request(mentee=mentee, mentor=best)
        early = factories.make_mentor_request(cohort, mentee=second, mentor=best)  # requested before capacity ran out
        accepted = choice.mentor_request_answer(request=request, mentor_membership=best.membership, accept=True)
        assert accepted.status == "accepted" and accepted.answered_at is not None
        assert choice.seats_taken(cohort) == {best.pk: 1}
        assert choice.suggestions_for(mentee=mentee) == []  # matched
        with pytest.raises(ValidationError) as error:
            choice.mentor_request_answer(request=early, mentor_membership=best.membership, accept=True)
        assert "seats are taken" in str(error.value)
        assert MentorRequest.objects.get(pk=early.pk).status == "requested"
        with pytest.raises(ValidationError):
            choice.mentor_request(mentee=mentee, mentor=mentors["good"])  # already has a mentor


def test_only_the_requested_mentor_answers(tenant_a):
    from django.http import Http404

    _cohort, mentee, mentors = setting(tenant_a)
    with tenant_a.scope():
        request = choice.mentor_request(mentee=mentee, mentor=mentors["good"])
        with pytest.raises(Http404):
            choice.mentor_request_answer(request=request, mentor_membership=mentors["best"].membership, accept=True)
        assert MentorRequest.objects.get(pk=request.pk).status == "requested"


def test_decline_frees_the_mentee_and_the_next_suggestion_moves_up(tenant_a):
    _cohort, mentee, mentors = setting(tenant_a)
    with tenant_a.scope():
        request = choice.mentor_request(mentee=mentee, mentor=mentors["best"])
        choice.mentor_request_answer(request=request, mentor_membership=mentors["best"].membership, accept=False)
        assert MentorRequest.objects.get(pk=request.pk).status == "declined"
        assert ids(choice.suggestions_for(mentee=mentee)) == [mentors["good"].pk, mentors["fair"].pk]
        again = choice.mentor_request(mentee=mentee, mentor=mentors["good"])
        assert again.rank == 1
        with pytest.raises(ValidationError):
            choice.mentor_request_answer(request=request, mentor_membership=mentors["best"].membership, accept=True)


def test_withdraw_frees_the_mentee(tenant_a):
    _cohort, mentee, mentors = setting(tenant_a)
    with tenant_a.scope():
        request = choice.mentor_request(mentee=mentee, mentor=mentors["best"])
        choice.mentor_request_withdraw(request=request, mentee_membership=mentee.membership)
        assert MentorRequest.objects.get(pk=request.pk).status == "withdrawn"
        assert mentors["best"].pk in ids(choice.suggestions_for(mentee=mentee))  # withdrawn: may ask again
        choice.mentor_request(mentee=mentee, mentor=mentors["best"])


# --- Expiry ---


def test_expiry_frees_the_mentee_is_idempotent_and_an_expired_request_cannot_be_answered(tenant_a, tenant_b):
    cohort, mentee, mentors = setting(tenant_a)
    with tenant_a.scope():
        request = choice.mentor_request(mentee=mentee, mentor=mentors["best"])
        fresh = factories.make_mentor_request(cohort, mentor=mentors["good"])
        MentorRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        with pytest.raises(ValidationError) as error:
            choice.mentor_request_answer(request=request, mentor_membership=mentors["best"].membership, accept=True)
        assert "expired" in str(error.value)
        assert MentorRequest.objects.get(pk=request.pk).status == "expired"
    with tenant_b.scope():
        foreign = factories.make_mentor_request(expires_at=timezone.now() - timedelta(days=1))
    with tenant_a.scope():
        second = factories.make_mentor_request(cohort, expires_at=timezone.now() - timedelta(days=1))
    # The task runs inside each organization's scope: tenant A's task never touches tenant B's rows.
    assert tasks.mentor_requests_expire_task.apply(kwargs={"organization_id": tenant_a.organization.pk}).get() == 1
    assert tasks.mentor_requests_expire_task.apply(kwargs={"organization_id": tenant_a.organization.pk}).get() == 0
    with tenant_a.scope():
        statuses = dict(MentorRequest.objects.values_list("pk", "status"))
        assert statuses == {request.pk: "expired", fresh.pk: "requested", second.pk: "expired"}
        assert ids(choice.suggestions_for(mentee=mentee)) == [mentors["good"].pk, mentors["fair"].pk]
        choice.mentor_request(mentee=mentee, mentor=mentors["good"])
    with tenant_b.scope():
        assert MentorRequest.objects.get(pk=foreign.pk).status == "requested"


def test_the_fan_out_enqueues_one_task_per_organization(tenants, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.mentor_requests_expire_task, "delay", lambda **kwargs: sent.append(kwargs))
    assert tasks.mentor_requests_expire_all_task() == 2
    assert sorted(k["organization_id"] for k in sent) == sorted(t.organization.pk for t in tenants)
    from django.conf import settings

    assert "matching.mentor_requests_expire" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


# --- Pages ---


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def test_choose_page_shows_suggestions_with_reasons_and_requests_one(client, tenant_a, tenant_b):
    cohort, mentee, mentors = setting(tenant_a)
    login(client, mentee.membership)
    mine = client.get(url("my_applications", tenant_a)).content.decode()
    assert url("match_choose", tenant_a, cohort_id=cohort.pk) in mine and "Choose your mentor" in mine
    page = client.get(url("match_choose", tenant_a, cohort_id=cohort.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bea Best" in html and "Gus Good" in html and "Bo Boss" not in html and "Gert" not in html
    assert "Works in another department" in html and "Next best" in html
    response = client.post(url("match_choose_request", tenant_a, cohort_id=cohort.pk, mentor_id=mentors["good"].pk))
    assert response.status_code == 302
    with tenant_a.scope():
        assert list(MentorRequest.objects.values_list("mentor_id", "status")) == [(mentors["good"].pk, "requested")]
    html = client.get(url("match_choose", tenant_a, cohort_id=cohort.pk)).content.decode()
    assert "Waiting for Gus Good" in html


def test_choose_pages_are_404_for_outsiders_other_organizations_and_non_mentees(client, tenant_a, tenant_b):
    cohort, mentee, mentors = setting(tenant_a)
    cohort_b, _mentee_b, mentors_b = setting(tenant_b)
    # A mentee of tenant A: tenant B's cohort through A's URL, and B's mentor id, give 404 and create nothing.
    login(client, mentee.membership)
    assert client.get(url("match_choose", tenant_a, cohort_id=cohort_b.pk)).status_code == 404
    assert client.get(url("match_choose", tenant_b, cohort_id=cohort_b.pk)).status_code == 404
    foreign = url("match_choose_request", tenant_a, cohort_id=cohort.pk, mentor_id=mentors_b["best"].pk)
    assert client.post(foreign).status_code == 404
    assert client.post(url("match_choose_request", tenant_a, cohort_id=cohort_b.pk, mentor_id=1)).status_code == 404
    # A mentor (not a mentee) and a plain member of the organization: 404.
    login(client, mentors["best"].membership)
    assert client.get(url("match_choose", tenant_a, cohort_id=cohort.pk)).status_code == 404
    login(client, tenant_a.member)
    assert client.get(url("match_choose", tenant_a, cohort_id=cohort.pk)).status_code == 404
    post = url("match_choose_request", tenant_a, cohort_id=cohort.pk, mentor_id=mentors["best"].pk)
    assert client.post(post).status_code == 404
    for tenant in (tenant_a, tenant_b):
        with tenant.scope():
            assert not MentorRequest.objects.exists()


def test_mentor_requests_page_accepts_and_declines_with_isolation(client, tenant_a, tenant_b):
    cohort, mentee, mentors = setting(tenant_a)
    _cohort_b, mentee_b, mentors_b = setting(tenant_b)
    with tenant_a.scope():
        request = choice.mentor_request(mentee=mentee, mentor=mentors["best"])
    with tenant_b.scope():
        request_b = choice.mentor_request(mentee=mentee_b, mentor=mentors_b["best"])
    # Another mentor of the same organization: no such request.
    login(client, mentors["good"].membership)
    assert "Mia Mentee" not in client.get(url("match_requests", tenant_a)).content.decode()
    answer = url("match_request_answer", tenant_a, request_id=request.pk)
    assert client.post(answer, {"accept": "1"}).status_code == 404
    # The requested mentor: sees it, cannot reach tenant B's request, accepts their own.
    login(client, mentors["best"].membership)
    html = client.get(url("match_requests", tenant_a)).content.decode()
    assert "Mia Mentee" in html and "Accept" in html
    assert (
        client.post(url("match_request_answer", tenant_a, request_id=request_b.pk), {"accept": "1"}).status_code == 404
    )
    assert client.get(url("match_requests", tenant_b)).status_code == 404
    with tenant_b.scope():
        assert MentorRequest.objects.get(pk=request_b.pk).status == "requested"
    with tenant_a.scope():
        assert MentorRequest.objects.get(pk=request.pk).status == "requested"
    assert client.post(answer, {"accept": "1"}).status_code == 302
    with tenant_a.scope():
        assert MentorRequest.objects.get(pk=request.pk).status == "accepted"
    # The mentee's page now shows the match.
    login(client, mentee.membership)
    assert "Bea Best accepted" in client.get(url("match_choose", tenant_a, cohort_id=cohort.pk)).content.decode()


def test_mentee_withdraws_from_the_page_and_others_cannot(client, tenant_a, tenant_b):
    _cohort, mentee, mentors = setting(tenant_a)
    with tenant_a.scope():
        request = choice.mentor_request(mentee=mentee, mentor=mentors["best"])
    withdraw = url("match_request_withdraw", tenant_a, request_id=request.pk)
    login(client, tenant_a.member)
    assert client.post(withdraw).status_code == 404
    login(client, mentee.membership)
    assert client.post(url("match_request_withdraw", tenant_b, request_id=request.pk)).status_code == 404
    with tenant_a.scope():
        assert MentorRequest.objects.get(pk=request.pk).status == "requested"
    assert client.post(withdraw).status_code == 302
    with tenant_a.scope():
        assert MentorRequest.objects.get(pk=request.pk).status == "withdrawn"


def test_requests_page_has_a_constant_number_of_queries(client, tenant_a, tenant_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cohort, _mentee, mentors = setting(tenant_a)
    good = mentors["good"]
    login(client, good.membership)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("match_requests", tenant_a)).status_code == 200
        return len(queries)

    with tenant_a.scope():
        factories.make_mentor_request(cohort, mentor=good)
    one = count()
    with tenant_a.scope():
        for _ in range(4):
            factories.make_mentor_request(cohort, mentor=good, status=MentorRequest.Status.DECLINED)
    assert count() == one


def test_a_mentee_no_longer_accepted_cannot_be_accepted(tenant_a):
    _cohort, mentee, mentors = setting(tenant_a)
    with tenant_a.scope():
        request = choice.mentor_request(mentee=mentee, mentor=mentors["best"])
        Application.objects.filter(pk=mentee.pk).update(status=Application.Status.WITHDRAWN)
        with pytest.raises(ValidationError):
            choice.mentor_request_answer(request=request, mentor_membership=mentors["best"].membership, accept=True)
        declined = choice.mentor_request_answer(
            request=request, mentor_membership=mentors["best"].membership, accept=False
        )
        assert declined.status == "declined"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_expires_requests_of_every_organization(worker, tenants, monkeypatch):  # noqa: F811
    import time

    monkeypatch.setattr(
        tasks.mentor_requests_expire_task,
        "delay",
        lambda **kwargs: tasks.mentor_requests_expire_task.apply_async(kwargs=kwargs, queue=worker),
    )
    past = timezone.now() - timedelta(hours=1)
    created = {}
    for tenant in tenants:
        with tenant.scope():
            created[tenant.organization.pk] = (
                factories.make_mentor_request(expires_at=past).pk,
                factories.make_mentor_request().pk,
            )
    assert tasks.mentor_requests_expire_all_task() == 2
    deadline = time.monotonic() + 60
    for tenant in tenants:
        stale, fresh = created[tenant.organization.pk]
        with tenant.scope():
            while time.monotonic() < deadline and MentorRequest.objects.get(pk=stale).status == "requested":
                time.sleep(0.2)
            assert MentorRequest.objects.get(pk=stale).status == "expired"
            assert MentorRequest.objects.get(pk=fresh).status == "requested"


# --- Match runs on mentee-choice cohorts ---


def run_cohort(tenant):
    """A mentee-choice cohort; skills-only scores: c1 wants A 1 -> 3, c2 A 1 -> 2; top (A at 5) and low (A at 2),
    one seat each. top covers both fully (1.0); low covers c1 half (0.5) and c2 fully (1.0), so without requests the
    optimal assignment is c1-top, c2-low."""
    engineering, sales = tenant.departments
    a = factories.make_skill("A")
    cohort = choice_cohort()
    c1 = apply(cohort, person(department=sales, name="Cem One"), MENTEE, {a: (1, 3)})
    c2 = apply(cohort, person(department=sales, name="Cai Two"), MENTEE, {a: (1, 2)})
    top = apply(cohort, person(department=engineering, name="Tom Top"), MENTOR, {a: 5}, capacity=1)
    low = apply(cohort, person(department=engineering, name="Liv Low"), MENTOR, {a: 2}, capacity=1)
    return cohort, (c1, c2), (top, low)


def run_pairs(run):
    from matching.models import MatchProposal

    return {p.mentee_id: (p.mentor_id, p.state) for p in MatchProposal.objects.filter(run=run)}


def test_a_match_run_keeps_accepted_requests_like_locked_pairs_taking_their_seats(tenant_a):
    from tests.matching.test_runs import SKILLS_ONLY, run_now

    with tenant_a.scope():
        cohort, (c1, c2), (top, low) = run_cohort(tenant_a)
        assert run_pairs(run_now(cohort, weights=SKILLS_ONLY)) == {c1.pk: (top.pk, "proposed"),
                                                                   c2.pk: (low.pk, "proposed")}  # fmt: skip
        factories.make_mentor_request(cohort, mentee=c2, mentor=top, status=MentorRequest.Status.ACCEPTED)
        factories.make_mentor_request(cohort, mentee=c1, mentor=top, status=MentorRequest.Status.DECLINED)
        run = run_now(cohort, weights=SKILLS_ONLY)
        # c2 chose top and top accepted: kept, and top's only seat is taken, so c1 gets low.
        assert run_pairs(run) == {c2.pk: (top.pk, "locked"), c1.pk: (low.pk, "proposed")}
        assert (run.summary["locked"], run.summary["accepted_requests"], run.summary["matched"]) == (1, 1, 2)
        from matching import services
        from programs.models import MentorshipMentee

        services.match_run_publish(run=run, published_by=tenant_a.admin, notify=False)
        published = dict(MentorshipMentee.objects.values_list("mentee_id", "mentorship__mentor_id"))
        assert published == {c2.pk: top.pk, c1.pk: low.pk}


def test_an_accepted_request_wins_over_an_earlier_lock_and_needs_both_sides_accepted(tenant_a):
    from matching import services
    from matching.models import MatchProposal
    from tests.matching.test_runs import SKILLS_ONLY, run_now

    with tenant_a.scope():
        cohort, (c1, c2), (top, low) = run_cohort(tenant_a)
        first = run_now(cohort, weights=SKILLS_ONLY)
        services.proposal_lock(proposal=MatchProposal.objects.get(run=first, mentee=c2))  # c2-low locked
        request = factories.make_mentor_request(cohort, mentee=c2, mentor=top, status=MentorRequest.Status.ACCEPTED)
        second = run_now(cohort, weights=SKILLS_ONLY)
        assert run_pairs(second) == {c2.pk: (top.pk, "locked"), c1.pk: (low.pk, "proposed")}
        assert second.summary["accepted_requests"] == 1
        # A request whose mentor is no longer accepted is not kept (the latest run's lock of c2 applies again).
        MentorRequest.objects.filter(pk=request.pk).update(status=MentorRequest.Status.WITHDRAWN)
        factories.make_mentor_request(cohort, mentee=c2, mentor=low, status=MentorRequest.Status.ACCEPTED)
        Application.objects.filter(pk=low.pk).update(status=Application.Status.WITHDRAWN)
        third = run_now(cohort, weights=SKILLS_ONLY)
        assert third.summary["accepted_requests"] == 0
        assert run_pairs(third) == {c2.pk: (top.pk, "locked")}  # c1: top's seat is taken, low is gone
