"""Re-match: a participant asks (only for their own match), the admin queue offers the best allowed alternative
(capacity, hard rules, not the current or an earlier mentor) and resolving changes that one pair only; isolation
pairs for every page and POST."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse

from matching import rematch
from matching.models import MatchProposal, MatchRun, RematchRequest
from mentorship.tenancy.models import Membership, Role
from programs.models import Application, ApplicationSkill, Program
from tests import factories
from tests.conftest import login

MENTEE, MENTOR = Application.Role.MENTEE, Application.Role.MENTOR


def person(*, department=None, manager=None, name="Test Person") -> Membership:
    return factories.make_membership(
        factories.make_user(full_name=name), department=department, manager=manager, languages=["en"]
    )


def apply(cohort, membership, role, skills, *, capacity=None) -> Application:
    application = factories.make_application(
        cohort, membership, role=role, capacity=capacity, status=Application.Status.ACCEPTED
    )
    for skill, spec in skills.items():
        level, target = spec if isinstance(spec, tuple) else (spec, None)
        ApplicationSkill.objects.create(application=application, skill=skill, level=level, target_level=target)
    return application


def setting(tenant):
    """A finished run with three pairs: m1-x, m2-y, m3-z. For m1 (wants A 1 -> 4, reports to the boss):
    the boss (A at 5) breaks the reporting line, u (A at 5) was rejected for m1 in an earlier run, z (A at 4) is
    full, y (A at 3, 2 seats, 1 taken) is the best allowed alternative, w (A at 2, 1 seat) the next."""
    engineering, sales = tenant.departments
    with tenant.scope():
        legal = factories.make_department("Legal")
        a = factories.make_skill("A")
        program = factories.make_program(status=Program.Status.RUNNING)
        cohort = factories.make_cohort(program)
        boss = person(department=engineering, name="Bo Boss")
        m1 = apply(cohort, person(department=sales, manager=boss, name="Mia One"), MENTEE, {a: (1, 4)})
        m2 = apply(cohort, person(department=sales, name="Max Two"), MENTEE, {a: (1, 3)})
        m3 = apply(cohort, person(department=sales, name="Moe Three"), MENTEE, {a: (1, 3)})
        mentors = {
            "x": apply(cohort, person(department=engineering, name="Xen Current"), MENTOR, {a: 2}, capacity=1),
            "y": apply(cohort, person(department=legal, name="Yas Alternative"), MENTOR, {a: 3}, capacity=2),
            "z": apply(cohort, person(department=legal, name="Zoe Full"), MENTOR, {a: 4}, capacity=1),
            "w": apply(cohort, person(department=legal, name="Wil Next"), MENTOR, {a: 2}, capacity=1),
            "u": apply(cohort, person(department=legal, name="Uma Rejected"), MENTOR, {a: 5}, capacity=3),
            "boss": apply(cohort, boss, MENTOR, {a: 5}, capacity=3),
        }
        earlier = factories.make_match_run(cohort, status=MatchRun.Status.DONE)
        factories.make_match_proposal(earlier, mentee=m1, mentor=mentors["u"], state=MatchProposal.State.REJECTED)
        run = factories.make_match_run(cohort, status=MatchRun.Status.DONE)
        for mentee, mentor in ((m1, "x"), (m2, "y"), (m3, "z")):
            factories.make_match_proposal(run, mentee=mentee, mentor=mentors[mentor])
    return cohort, run, (m1, m2, m3), mentors


def pairs(run):
    return dict(MatchProposal.objects.filter(run=run).values_list("mentee_id", "mentor_id"))


def test_the_queue_offers_the_best_allowed_alternative_and_resolving_changes_only_that_pair(tenant_a):
    cohort, run, (m1, _m2, _m3), mentors = setting(tenant_a)
    with tenant_a.scope():
        request = rematch.rematch_request_create(mentee=m1, created_by=m1.membership, reason="We never meet.")
        assert (request.status, request.current_mentor_id) == ("open", mentors["x"].pk)
        [item] = rematch.rematch_queue(cohort=cohort)
        assert item.alternative.mentor_id == mentors["y"].pk and item.alternative.seats_left == 1
        assert item.alternative.reasons and item.alternative.mentor.membership.user.full_name == "Yas Alternative"
        before = pairs(run)

        with pytest.raises(ValidationError):  # not the offered alternative
            rematch.rematch_resolve(request=request, mentor=mentors["w"])
        resolved = rematch.rematch_resolve(request=request, mentor=mentors["y"])

        assert (resolved.status, resolved.chosen_mentor_id) == ("resolved", mentors["y"].pk)
        assert resolved.resolved_at is not None
        assert pairs(run) == {**before, m1.pk: mentors["y"].pk}
        proposal = MatchProposal.objects.get(run=run, mentee=m1)
        assert proposal.state == "hand_picked" and proposal.warnings == [] and proposal.score > 0
        assert set(MatchProposal.objects.filter(run=run).exclude(mentee=m1).values_list("state", flat=True)) == {
            "proposed"
        }
        assert rematch.rematch_queue(cohort=cohort) == []
        with pytest.raises(ValidationError):
            rematch.rematch_dismiss(request=resolved)

        # Asked again: neither the current mentor (y) nor the earlier one (x); y's seats are now full anyway.
        again = rematch.rematch_request_create(mentee=m1, created_by=m1.membership, reason="Still not right.")
        assert again.current_mentor_id == mentors["y"].pk
        assert rematch.best_alternative(request=again).mentor_id == mentors["w"].pk


def test_no_alternative_when_every_allowed_mentor_is_full_or_excluded(tenant_a):
    _cohort, run, (m1, _m2, _m3), mentors = setting(tenant_a)
    with tenant_a.scope():
        Application.objects.filter(pk__in=[mentors["y"].pk, mentors["w"].pk]).update(
            status=Application.Status.WITHDRAWN
        )
        request = rematch.rematch_request_create(mentee=m1, created_by=m1.membership, reason="No.")
        assert rematch.best_alternative(request=request) is None
        with pytest.raises(ValidationError):
            rematch.rematch_resolve(request=request, mentor=mentors["u"])
        dismissed = rematch.rematch_dismiss(request=request)
        assert dismissed.status == "dismissed" and pairs(run)[m1.pk] == mentors["x"].pk


def test_only_the_mentee_or_their_mentor_may_ask_once_with_a_reason(tenant_a):
    _cohort, _run, (m1, m2, _m3), mentors = setting(tenant_a)
    with tenant_a.scope():
        for outsider in (mentors["y"].membership, m2.membership, tenant_a.member):
            with pytest.raises(Http404):
                rematch.rematch_request_create(mentee=m1, created_by=outsider, reason="Hm.")
        with pytest.raises(ValidationError) as error:
            rematch.rematch_request_create(mentee=m1, created_by=m1.membership, reason="  ")
        assert "reason" in error.value.message_dict
        rematch.rematch_request_create(mentee=m1, created_by=mentors["x"].membership, reason="Different goals.")
        with pytest.raises(ValidationError):
            rematch.rematch_request_create(mentee=m1, created_by=m1.membership, reason="Me too.")
        assert RematchRequest.objects.count() == 1


# --- Pages ---


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def test_participant_page_asks_for_a_rematch_with_isolation(client, tenant_a, tenant_b):
    _cohort, _run, (m1, m2, _m3), mentors = setting(tenant_a)
    _cohort_b, _run_b, (b1, _b2, _b3), _mentors_b = setting(tenant_b)
    page = url("match_rematch_new", tenant_a, application_id=m1.pk)
    # Not their match, another organization's application, another organization's URL: 404, nothing created.
    for membership in (tenant_a.member, m2.membership, mentors["y"].membership):
        login(client, membership)
        assert client.get(page).status_code == 404
        assert client.post(page, {"reason": "x"}).status_code == 404
    login(client, m1.membership)
    foreign = url("match_rematch_new", tenant_a, application_id=b1.pk)
    assert client.get(foreign).status_code == 404 and client.post(foreign, {"reason": "x"}).status_code == 404
    other_org = url("match_rematch_new", tenant_b, application_id=b1.pk)
    assert client.get(other_org).status_code == 404 and client.post(other_org, {"reason": "x"}).status_code == 404
    for tenant in (tenant_a, tenant_b):
        with tenant.scope():
            assert not RematchRequest.objects.exists()
    # The mentee: the form, an error without a reason, then the request.
    html = client.get(page).content.decode()
    assert "Xen Current" in html and 'name="reason"' in html
    assert client.post(page, {"reason": ""}).status_code == 400
    assert client.post(page, {"reason": "We never meet."}).status_code == 302
    assert "waiting for a program admin" in client.get(page).content.decode()
    # The mentor of the pair sees the page too.
    login(client, mentors["x"].membership)
    assert client.get(page).status_code == 200
    with tenant_a.scope():
        assert list(RematchRequest.objects.values_list("mentee_id", "created_by_id")) == [(m1.pk, m1.membership_id)]


def test_admin_queue_resolves_and_dismisses_with_isolation(client, tenant_a, tenant_b):
    cohort, run, (m1, m2, m3), mentors = setting(tenant_a)
    cohort_b, run_b, (b1, _b2, _b3), mentors_b = setting(tenant_b)
    with tenant_a.scope():
        request = rematch.rematch_request_create(mentee=m1, created_by=m1.membership, reason="We never meet.")
        second = rematch.rematch_request_create(mentee=m2, created_by=m2.membership, reason="Too far apart.")
    with tenant_b.scope():
        request_b = rematch.rematch_request_create(mentee=b1, created_by=b1.membership, reason="Other org.")
        pairs_b = pairs(run_b)
    queue = url("match_rematch_queue", tenant_a, cohort_id=cohort.pk)
    decide = url("match_rematch_decide", tenant_a, request_id=request.pk)
    # A plain member: not their page (403 inside their organization); tenant B's admin: 404 for tenant A's URLs.
    login(client, tenant_a.member)
    assert client.get(queue).status_code == 403
    assert client.post(decide, {"action": "dismiss"}).status_code == 403
    login(client, tenant_b.admin)
    assert client.get(queue).status_code == 404 and client.post(decide, {"action": "dismiss"}).status_code == 404
    # Tenant A's admin: tenant B's cohort and request ids give 404 and change nothing.
    login(client, tenant_a.admin)
    assert client.get(url("match_rematch_queue", tenant_a, cohort_id=cohort_b.pk)).status_code == 404
    foreign = url("match_rematch_decide", tenant_a, request_id=request_b.pk)
    assert client.post(foreign, {"action": "dismiss"}).status_code == 404
    accept_foreign = {"action": "accept", "mentor": mentors_b["y"].pk}
    assert client.post(foreign, accept_foreign).status_code == 404
    assert client.post(decide, accept_foreign).status_code == 404  # another organization's mentor
    with tenant_b.scope():
        assert RematchRequest.objects.get(pk=request_b.pk).status == "open" and pairs(run_b) == pairs_b
    with tenant_a.scope():
        assert RematchRequest.objects.get(pk=request.pk).status == "open"
    html = client.get(queue).content.decode()
    assert "We never meet." in html and "Yas Alternative" in html and "Accept alternative" in html
    assert client.post(decide, {"action": "accept", "mentor": mentors["y"].pk}).status_code == 302
    assert (
        client.post(url("match_rematch_decide", tenant_a, request_id=second.pk), {"action": "dismiss"}).status_code
        == 302
    )
    with tenant_a.scope():
        statuses = dict(RematchRequest.objects.values_list("pk", "status"))
        assert statuses == {request.pk: "resolved", second.pk: "dismissed"}
        assert pairs(run) == {m1.pk: mentors["y"].pk, m2.pk: mentors["y"].pk, m3.pk: mentors["z"].pk}
    assert "No open re-match requests" in client.get(queue).content.decode()


def test_program_admins_see_the_queue(client, tenant_a, tenant_b):
    cohort, _run, _mentees, _mentors = setting(tenant_a)
    with tenant_a.scope():
        program_admin = factories.make_membership(roles=[Role.PROGRAM_ADMIN])
    login(client, program_admin)
    assert client.get(url("match_rematch_queue", tenant_a, cohort_id=cohort.pk)).status_code == 200
    runs_page = client.get(url("match_cohort_runs", tenant_a, cohort_id=cohort.pk)).content.decode()
    assert url("match_rematch_queue", tenant_a, cohort_id=cohort.pk) in runs_page


def test_queue_has_a_constant_number_of_queries(client, tenant_a, tenant_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cohort, _run, (m1, m2, m3), _mentors = setting(tenant_a)
    login(client, tenant_a.admin)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("match_rematch_queue", tenant_a, cohort_id=cohort.pk)).status_code == 200
        return len(queries)

    with tenant_a.scope():
        rematch.rematch_request_create(mentee=m1, created_by=m1.membership, reason="One.")
    one = count()
    with tenant_a.scope():
        rematch.rematch_request_create(mentee=m2, created_by=m2.membership, reason="Two.")
        rematch.rematch_request_create(mentee=m3, created_by=m3.membership, reason="Three.")
    assert count() == one


def test_in_a_mentee_choice_cohort_the_accepted_request_is_the_pair_and_is_replaced(client, tenant_a, tenant_b):
    from matching.models import MentorRequest

    engineering, sales = tenant_a.departments
    with tenant_a.scope():
        a = factories.make_skill("A")
        program = factories.make_program(status=Program.Status.RUNNING, matching_mode="mentee_choice")
        cohort = factories.make_cohort(program)
        mentee = apply(cohort, person(department=sales, name="Mia Chooser"), MENTEE, {a: (1, 4)})
        other = apply(cohort, person(department=sales), MENTEE, {a: (1, 3)})
        chosen = apply(cohort, person(department=engineering, name="Cho Sen"), MENTOR, {a: 4}, capacity=1)
        full = apply(cohort, person(department=engineering, name="Fu Ll"), MENTOR, {a: 4}, capacity=1)
        free = apply(cohort, person(department=engineering, name="Fre E"), MENTOR, {a: 3}, capacity=1)
        accepted = factories.make_mentor_request(cohort, mentee=mentee, mentor=chosen, status="accepted")
        factories.make_mentor_request(cohort, mentee=other, mentor=full, status="accepted")
    # The link on the mentee's choose page leads to the re-match page; the mentor of the pair asks.
    login(client, mentee.membership)
    assert client.get(url("match_rematch_new", tenant_a, application_id=mentee.pk)).status_code == 200
    login(client, chosen.membership)
    page = url("match_rematch_new", tenant_a, application_id=mentee.pk)
    assert client.post(page, {"reason": "Our goals differ."}).status_code == 302
    login(client, tenant_a.admin)
    assert "Fre E" in client.get(url("match_rematch_queue", tenant_a, cohort_id=cohort.pk)).content.decode()
    with tenant_a.scope():
        request = RematchRequest.objects.get()
        assert request.current_mentor_id == chosen.pk
        assert rematch.best_alternative(request=request).mentor_id == free.pk  # `full` has no seat left
    decide = url("match_rematch_decide", tenant_a, request_id=request.pk)
    assert client.post(decide, {"action": "accept", "mentor": free.pk}).status_code == 302
    with tenant_a.scope():
        statuses = dict(MentorRequest.objects.filter(mentee=mentee).values_list("mentor_id", "status"))
        assert statuses == {chosen.pk: "withdrawn", free.pk: "accepted"}
        assert MentorRequest.objects.get(pk=accepted.pk).status == "withdrawn"
        from matching import choice

        assert choice.seats_taken(cohort) == {full.pk: 1, free.pk: 1}
        assert RematchRequest.objects.get().status == "resolved"


# --- After publishing: the pair is the mentorship, and resolving moves the mentee ---


def links(cohort):
    """{mentee application: (mentorship id, mentor application, status)} of the cohort's mentorships."""
    from programs.models import MentorshipMentee

    return {
        link.mentee_id: (link.mentorship_id, link.mentorship.mentor_id, link.mentorship.status)
        for link in MentorshipMentee.objects.filter(mentorship__cohort=cohort).select_related("mentorship")
    }


def published_setting(tenant):
    """`setting`, published: one 1:1 mentorship per pair (m1-x, m2-y, m3-z)."""
    from matching import services

    cohort, run, mentees, mentors = setting(tenant)
    with tenant.scope():
        services.match_run_publish(run=run, published_by=tenant.admin, notify=False)
    return cohort, run, mentees, mentors


def test_after_publishing_resolving_moves_the_mentee_to_a_new_one_to_one_mentorship(
    client, tenant_a, django_capture_on_commit_callbacks
):
    from django.core import mail

    from programs.models import Mentorship

    cohort, run, (m1, m2, _m3), mentors = published_setting(tenant_a)
    with tenant_a.scope():
        before, proposals = links(cohort), pairs(run)
        old_id = before[m1.pk][0]
        # The run's proposal is no longer what counts: the mentorship is.
        MatchProposal.objects.filter(run=run, mentee=m1).update(mentor=mentors["w"])
        pair = rematch.current_pair(mentee=m1)
        assert pair.mentorship.pk == old_id and pair.mentor.pk == mentors["x"].pk and pair.proposal is None
        MatchProposal.objects.filter(run=run, mentee=m1).update(mentor=mentors["x"])
        request = rematch.rematch_request_create(mentee=m1, created_by=m1.membership, reason="We never meet.")
        assert request.current_mentor_id == mentors["x"].pk
        [item] = rematch.rematch_queue(cohort=cohort)
        assert item.current_mentor_id == mentors["x"].pk
        assert (item.alternative.mentor_id, item.alternative.seats_left) == (mentors["y"].pk, 1)  # m2 has a seat
    # The admin accepts it on the queue page; the emails go out when the transaction commits.
    login(client, tenant_a.admin)
    queue = url("match_rematch_queue", tenant_a, cohort_id=cohort.pk)
    assert "moves to a mentorship of the new mentor" in client.get(queue).content.decode()
    mail.outbox.clear()
    decide = url("match_rematch_decide", tenant_a, request_id=request.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(decide, {"action": "accept", "mentor": mentors["y"].pk}).status_code == 302
    with tenant_a.scope():
        after = links(cohort)
        new_id = after[m1.pk][0]
        assert new_id not in (old_id, before[m2.pk][0])  # 1:1: a mentorship of its own, not m2's
        assert after[m1.pk][1:] == (mentors["y"].pk, "active")
        assert {k: v for k, v in after.items() if k != m1.pk} == {k: v for k, v in before.items() if k != m1.pk}
        old, new = Mentorship.objects.get(pk=old_id), Mentorship.objects.get(pk=new_id)
        assert old.status == Mentorship.Status.ENDED and not old.mentees.exists()
        assert (new.format, new.run_id, new.published_by_id) == (Program.Format.ONE_TO_ONE, run.pk, tenant_a.admin.pk)
        assert Mentorship.objects.filter(cohort=cohort, status="active").count() == 3
        assert pairs(run) == proposals  # the run's proposals stay the record of what was published
        assert RematchRequest.objects.get(pk=request.pk).status == "resolved"
        assert rematch.current_pair(mentee=m1).mentorship.pk == new_id
        emails = {m.membership.user.email: m for m in (m1, mentors["y"])}
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == set(emails)  # the two new sides only: not x, not m2
    mentee_body = by_recipient[m1.membership.user.email].body
    assert "you have a new mentor" in mentee_body and "Your mentor is Yas Alternative" in mentee_body
    assert "Mia One is now your mentee" in by_recipient[mentors["y"].membership.user.email].body

    # Asked again: y is current, x an earlier mentor; the next allowed mentor with a seat is w.
    with tenant_a.scope():
        again = rematch.rematch_request_create(mentee=m1, created_by=mentors["y"].membership, reason="Still no.")
        assert again.current_mentor_id == mentors["y"].pk
        assert rematch.best_alternative(request=again).mentor_id == mentors["w"].pk


def test_after_publishing_capacity_counts_the_published_mentees(tenant_a):
    cohort, run, (m1, _m2, _m3), mentors = published_setting(tenant_a)
    with tenant_a.scope():
        # y (2 seats) gets a second mentee in a mentorship of its own: the run's proposals still say 1 of 2.
        extra = apply(cohort, person(department=tenant_a.departments[1]), MENTEE, {})
        mentorship = factories.make_mentorship(cohort, mentor=mentors["y"], run=run)
        factories.make_mentorship_mentee(mentorship, mentee=extra)
        request = rematch.rematch_request_create(mentee=m1, created_by=m1.membership, reason="No.")
        alternative = rematch.best_alternative(request=request)
        assert alternative.mentor_id == mentors["w"].pk and alternative.seats_left == 1
        with pytest.raises(ValidationError):
            rematch.rematch_resolve(request=request, mentor=mentors["y"])
        assert links(cohort)[m1.pk][1] == mentors["x"].pk


def test_after_publishing_only_the_mentee_or_their_current_mentor_may_ask(tenant_a):
    from programs.models import Mentorship

    cohort, _run, (m1, _m2, _m3), mentors = published_setting(tenant_a)
    with tenant_a.scope():
        with pytest.raises(Http404):  # the run's mentor of another pair
            rematch.rematch_request_create(mentee=m1, created_by=mentors["y"].membership, reason="Hm.")
        Mentorship.objects.filter(pk=links(cohort)[m1.pk][0]).update(status=Mentorship.Status.ENDED)
        with pytest.raises(Http404):  # an ended mentorship is no current pair
            rematch.rematch_request_create(mentee=m1, created_by=m1.membership, reason="Hm.")
        assert not RematchRequest.objects.exists()


def group_setting(tenant):
    """A published group cohort (ratio 2): p mentors g1 and g2, q mentors g3 (one free seat), r mentors nobody.
    Every mentee wants A 1 -> 4; q teaches A at 3, r at 2 (so q is the better alternative while it has a seat)."""
    from matching import services

    engineering, sales = tenant.departments
    with tenant.scope():
        legal = factories.make_department("Legal")
        a = factories.make_skill("A")
        program = factories.make_program(status=Program.Status.RUNNING, format=Program.Format.GROUP, ratio=2)
        cohort = factories.make_cohort(program)
        g1, g2, g3 = (apply(cohort, person(department=sales, name=f"Gia {i}"), MENTEE, {a: (1, 4)}) for i in (1, 2, 3))
        p = apply(cohort, person(department=engineering, name="Pia Group"), MENTOR, {a: 4}, capacity=2)
        q = apply(cohort, person(department=legal, name="Quin Seat"), MENTOR, {a: 3}, capacity=2)
        r = apply(cohort, person(department=legal, name="Ray None"), MENTOR, {a: 2}, capacity=2)
        run = factories.make_match_run(cohort, status=MatchRun.Status.DONE)
        for mentee, mentor in ((g1, p), (g2, p), (g3, q)):
            factories.make_match_proposal(run, mentee=mentee, mentor=mentor)
        services.match_run_publish(run=run, published_by=tenant.admin, notify=False)
    return cohort, run, (g1, g2, g3), (p, q, r)


def test_in_a_group_program_the_mentee_joins_a_group_with_a_free_seat_else_a_new_one(
    tenant_a, django_capture_on_commit_callbacks
):
    from django.core import mail

    from programs.models import Mentorship

    cohort, run, (g1, g2, g3), (p, q, r) = group_setting(tenant_a)
    with tenant_a.scope():
        start = links(cohort)
        p_group, q_group = start[g1.pk][0], start[g3.pk][0]
        assert start[g2.pk][0] == p_group
        request = rematch.rematch_request_create(mentee=g1, created_by=g1.membership, reason="Too big a group.")
        assert rematch.best_alternative(request=request).mentor_id == q.pk
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            rematch.rematch_resolve(request=request, mentor=q, resolved_by=tenant_a.admin)
        now = links(cohort)
        assert now[g1.pk] == (q_group, q.pk, "active")  # joined q's group: a seat was free under the ratio
        assert now[g2.pk] == (p_group, p.pk, "active") and now[g3.pk] == start[g3.pk]  # p keeps g2
        assert Mentorship.objects.filter(cohort=cohort).count() == 2
        by_recipient = {message.to[0]: message.body for message in mail.outbox}
        assert set(by_recipient) == {g1.membership.user.email, q.membership.user.email}  # not g3, not p
        assert "You are in a group with:\n- Gia 3" in by_recipient[g1.membership.user.email]
        mentor_body = by_recipient[q.membership.user.email]
        assert "Gia 1 is now your mentee" in mentor_body and "Gia 3" in mentor_body

        # g2 next: q is full (2 of 2), so r, who mentors nobody yet, gets a new group; p's group is left empty.
        second = rematch.rematch_request_create(mentee=g2, created_by=p.membership, reason="Alone now.")
        assert rematch.best_alternative(request=second).mentor_id == r.pk
        rematch.rematch_resolve(request=second, mentor=r, resolved_by=tenant_a.admin, notify=False)
        final = links(cohort)
        new = Mentorship.objects.get(pk=final[g2.pk][0])
        assert (new.mentor_id, new.format, new.status, new.run_id) == (r.pk, Program.Format.GROUP, "active", run.pk)
        assert new.pk not in (p_group, q_group)
        assert Mentorship.objects.get(pk=p_group).status == Mentorship.Status.ENDED
        assert Mentorship.objects.get(pk=q_group).status == Mentorship.Status.ACTIVE
        assert final[g1.pk] == now[g1.pk] and final[g3.pk] == now[g3.pk]


def test_the_mentees_goals_and_own_action_items_move_with_them_and_the_sessions_stay(tenant_a):
    from programs.models import ActionItem, Goal, GoalUpdate, MentoringSession, Mentorship

    cohort, _run, (g1, g2, g3), (_p, q, _r) = group_setting(tenant_a)
    with tenant_a.scope():
        p_group, q_group = links(cohort)[g1.pk][0], links(cohort)[g3.pk][0]
        old = Mentorship.objects.get(pk=p_group)
        session = factories.make_session(old)
        mine = factories.make_goal(old, mentee=g1, title="Run a review")
        theirs = factories.make_goal(old, mentee=g2, title="Give a talk")
        update = factories.make_goal_update(mine, note="Booked the room")
        towards_mine = factories.make_action_item(old, goal=mine, title="Draft the agenda")
        owned = ActionItem.objects.create(mentorship=old, title="Read the guide", owner=g1.membership)
        mentors_own = factories.make_action_item(old, title="Share the template")  # the mentor's, no goal
        towards_theirs = factories.make_action_item(old, goal=theirs, title="Pick a topic")

        request = rematch.rematch_request_create(mentee=g1, created_by=g1.membership, reason="Too big a group.")
        rematch.rematch_resolve(request=request, mentor=q, resolved_by=tenant_a.admin, notify=False)

        assert Goal.objects.get(pk=mine.pk).mentorship_id == q_group
        assert GoalUpdate.objects.get(pk=update.pk).goal_id == mine.pk  # the history travels with the goal
        moved = {item.pk: item.mentorship_id for item in ActionItem.objects.all()}
        assert moved == {
            towards_mine.pk: q_group,
            owned.pk: q_group,
            mentors_own.pk: p_group,
            towards_theirs.pk: p_group,
        }
        assert Goal.objects.get(pk=theirs.pk).mentorship_id == p_group  # g2 stays with p, and so do their goals
        assert MentoringSession.objects.get(pk=session.pk).mentorship_id == p_group  # the old pair's record
