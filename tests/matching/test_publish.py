"""Publishing a match run: mentorships for 1:1 and group programs, once, only the latest finished run, rejected pairs
left out, hard rules kept (hand-picks excepted), emails to both sides on commit, the run page's button and notice,
and isolation."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from matching import services
from matching.models import MatchProposal, MatchRun
from programs.models import Application, Cohort, Mentorship, MentorshipMentee, Program
from tests import factories
from tests.conftest import login
from tests.matching.test_runs import MENTEE, MENTOR, apply, decision_cohort, new_cohort, person, run_now


def mentorships(cohort) -> list[tuple[int, list[int]]]:
    """(mentor application, sorted mentee applications) per mentorship of the cohort."""
    return sorted(
        (m.mentor_id, sorted(mm.mentee_id for mm in m.mentees.all()))
        for m in Mentorship.objects.filter(cohort=cohort).prefetch_related("mentees")
    )


def test_a_one_to_one_run_publishes_one_mentorship_per_pair(tenant_a, django_capture_on_commit_callbacks):
    with tenant_a.scope():
        cohort, (m1, m2), _mentors = decision_cohort(tenant_a)
        run = run_now(cohort, tenant_a.admin)
        pairs = dict(MatchProposal.objects.filter(run=run).values_list("mentee_id", "mentor_id"))
        with django_capture_on_commit_callbacks(execute=True):
            created = services.match_run_publish(run=run, published_by=tenant_a.admin)
        assert len(created) == 2
        assert mentorships(cohort) == sorted((pairs[m.pk], [m.pk]) for m in (m1, m2))
        published = Mentorship.objects.filter(cohort=cohort)
        assert {(m.format, m.status, m.run_id, m.published_by_id) for m in published} == {
            (Program.Format.ONE_TO_ONE, Mentorship.Status.ACTIVE, run.pk, tenant_a.admin.pk)
        }
        assert set(MatchProposal.objects.filter(run=run).values_list("state", flat=True)) == {"published"}
        assert Cohort.objects.get(pk=cohort.pk).status == Cohort.Status.ACTIVE
        assert services.run_publication(run).published_by == tenant_a.admin


def test_a_group_run_groups_each_mentors_mentees_up_to_the_ratio(tenant_a):
    with tenant_a.scope():
        engineering, sales = tenant_a.departments
        a = factories.make_skill()
        cohort = new_cohort(format=Program.Format.GROUP, ratio=3)
        mentees = [apply(cohort, person(department=sales), MENTEE, {a: (1, 3)}) for _ in range(5)]
        big = apply(cohort, person(department=engineering), MENTOR, {a: 5}, capacity=3)
        small = apply(cohort, person(department=engineering), MENTOR, {a: 4}, capacity=1)
        run = run_now(cohort)
        assert MatchProposal.objects.filter(run=run).count() == 4
        unmatched = set(run.unmatched.values_list("mentee_id", flat=True))
        left = next(m for m in mentees if m.pk in unmatched)
        services.proposal_hand_pick(run=run, mentee=left, mentor=big)  # over capacity: a fourth mentee for `big`
        services.match_run_publish(run=run, published_by=None)
        groups = mentorships(cohort)
        by_mentor = {}
        for mentor_id, mentee_ids in groups:
            by_mentor.setdefault(mentor_id, []).append(len(mentee_ids))
        assert sorted(by_mentor[big.pk]) == [1, 3]  # groups of at most the ratio
        assert by_mentor[small.pk] == [1]
        assert {m.format for m in Mentorship.objects.filter(cohort=cohort)} == {Program.Format.GROUP}
        assert MentorshipMentee.objects.filter(mentorship__cohort=cohort).count() == 5


def test_rejected_pairs_are_not_published(tenant_a):
    with tenant_a.scope():
        cohort, (m1, m2), _mentors = decision_cohort(tenant_a)
        run = run_now(cohort)
        proposals = {p.mentee_id: p for p in MatchProposal.objects.filter(run=run)}
        services.proposal_reject(proposal=proposals[m2.pk])
        services.proposal_lock(proposal=proposals[m1.pk])
        services.match_run_publish(run=run, published_by=tenant_a.admin)
        assert mentorships(cohort) == [(proposals[m1.pk].mentor_id, [m1.pk])]
        states = dict(MatchProposal.objects.filter(run=run).values_list("mentee_id", "state"))
        assert states == {m1.pk: "published", m2.pk: "rejected"}


def test_a_run_is_published_once_and_decisions_stop_afterwards(tenant_a):
    with tenant_a.scope():
        cohort, (m1, _m2), mentors = decision_cohort(tenant_a)
        run = run_now(cohort)
        services.match_run_publish(run=run, published_by=tenant_a.admin)
        with pytest.raises(ValidationError, match="already published") as error:
            services.match_run_publish(run=run, published_by=tenant_a.admin)
        assert set(error.value.message_dict) == {"run"}
        with pytest.raises(ValidationError, match="already published"):
            services.proposal_hand_pick(run=run, mentee=m1, mentor=mentors[2])
        # A new run of the cohort is refused (it could never be published) ...
        with pytest.raises(ValidationError, match="already published") as error:
            services.match_run_start(cohort=cohort, started_by=tenant_a.admin)
        assert set(error.value.message_dict) == {"cohort"}
        # ... and a later run recorded some other way cannot publish a second set of mentorships.
        later = factories.make_match_run(cohort, status=MatchRun.Status.DONE)
        factories.make_match_proposal(later, mentee=m1, mentor=mentors[2])
        with pytest.raises(ValidationError, match="already published"):
            services.match_run_publish(run=later, published_by=tenant_a.admin)
        assert Mentorship.objects.filter(cohort=cohort).count() == 2


def test_only_the_latest_finished_run_is_published(tenant_a):
    with tenant_a.scope():
        cohort, _mentees, _mentors = decision_cohort(tenant_a)
        first = run_now(cohort)
        queued = services.match_run_start(cohort=cohort, started_by=None)
        with pytest.raises(ValidationError, match="has not finished") as error:
            services.match_run_publish(run=queued, published_by=None)
        assert set(error.value.message_dict) == {"run"}
        with pytest.raises(ValidationError, match="no longer the latest"):
            services.match_run_publish(run=first, published_by=None)
        assert not Mentorship.objects.filter(cohort=cohort).exists()
        assert not MatchProposal.objects.filter(run=first, state="published").exists()


def test_a_run_without_pairs_is_not_published(tenant_a):
    with tenant_a.scope():
        cohort = new_cohort()
        apply(cohort, person(), MENTEE, {factories.make_skill(): (1, 3)})
        run = run_now(cohort)
        with pytest.raises(ValidationError, match="no pairs") as error:
            services.match_run_publish(run=run, published_by=None)
        assert set(error.value.message_dict) == {"proposals"}


def test_published_matches_keep_every_hard_rule_except_explicit_hand_picks(tenant_a):
    with tenant_a.scope():
        engineering, sales = tenant_a.departments
        a = factories.make_skill()
        cohort = new_cohort()
        boss = person(department=engineering)
        apply(cohort, boss, MENTOR, {a: 5})
        apply(cohort, person(department=sales), MENTOR, {a: 5})  # same department as the mentees
        apply(cohort, person(department=engineering, languages=("de",)), MENTOR, {a: 5})
        [apply(cohort, person(department=engineering), MENTOR, {a: 5}, capacity=1) for _ in range(2)]
        apply(cohort, person(department=sales, manager=boss), MENTEE, {a: (1, 3)})
        others = [apply(cohort, person(department=sales), MENTEE, {a: (1, 3)}) for _ in range(3)]
        run = run_now(cohort)
        same_department = Application.objects.get(cohort=cohort, role=MENTOR, membership__department=sales)
        picked_mentee = others[0]
        picked = services.proposal_hand_pick(run=run, mentee=picked_mentee, mentor=same_department)
        assert [w["code"] for w in picked.warnings] == ["cross_functional"]
        services.match_run_publish(run=run, published_by=None)

        published = MentorshipMentee.objects.filter(mentorship__cohort=cohort).select_related(
            "mentee__membership", "mentorship__mentor__membership"
        )
        assert published.count() >= 3
        for row in published:
            mentee, mentor = row.mentee.membership, row.mentorship.mentor.membership
            if row.mentee_id == picked_mentee.pk:
                assert mentor.department_id == mentee.department_id  # the admin's explicit exception
                continue
            assert mentee.department_id != mentor.department_id
            assert set(row.mentee.languages or mentee.languages) & set(
                row.mentorship.mentor.languages or mentor.languages
            )
            assert mentee.manager_id != mentor.pk and mentor.manager_id != mentee.pk
            assert row.mentorship.mentor_id != same_department.pk


def test_a_kept_pair_that_now_breaks_a_rule_is_refused(tenant_a):
    with tenant_a.scope():
        cohort, (m1, _m2), _mentors = decision_cohort(tenant_a)
        run = run_now(cohort)
        proposal = MatchProposal.objects.get(run=run, mentee=m1)
        services.proposal_lock(proposal=proposal)
        # The mentee moved into the mentor's department after the run: the lock now breaks the required rule.
        mentor_department = proposal.mentor.membership.department
        m1.membership.department = mentor_department
        m1.membership.save()
        with pytest.raises(ValidationError, match="break a rule") as error:
            services.match_run_publish(run=run, published_by=None)
        assert set(error.value.message_dict) == {"proposals"}
        assert not Mentorship.objects.filter(cohort=cohort).exists()


def test_mentors_and_mentees_get_an_email_when_the_publication_commits(tenant_a, django_capture_on_commit_callbacks):
    with tenant_a.scope():
        engineering, sales = tenant_a.departments
        a = factories.make_skill()
        cohort = new_cohort(format=Program.Format.GROUP, ratio=3, name="Leaders")
        mentor = apply(
            cohort,
            factories.make_membership(factories.make_user("maya@alpha.test", "Maya O'Neil"), department=engineering),
            MENTOR,
            {a: 5},
            capacity=2,
        )
        mentees = [
            apply(
                cohort,
                factories.make_membership(factories.make_user(f"m{i}@alpha.test", f"Mentee {i}"), department=sales),
                MENTEE,
                {a: (1, 3)},
            )
            for i in range(2)
        ]
        run = run_now(cohort)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.match_run_publish(run=run, published_by=tenant_a.admin)
        assert mail.outbox == []  # nothing is sent before the commit
        for callback in callbacks:
            callback()
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {"maya@alpha.test", "m0@alpha.test", "m1@alpha.test"}
    assert "Leaders: your mentorship" in by_recipient["maya@alpha.test"].subject
    body = by_recipient["maya@alpha.test"].body
    assert "Mentee 0 <m0@alpha.test>" in body and "Mentee 1" in body and "Sales" in body
    mentee_body = by_recipient["m0@alpha.test"].body
    assert "Your mentor is Maya O'Neil <maya@alpha.test>" in mentee_body and "Mentee 1" in mentee_body
    assert mentor.pk and len(mentees) == 2


def test_without_notify_no_email_is_sent(tenant_a, django_capture_on_commit_callbacks):
    with tenant_a.scope():
        cohort, _mentees, _mentors = decision_cohort(tenant_a)
        run = run_now(cohort)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.match_run_publish(run=run, published_by=None, notify=False)
    assert mail.outbox == []


# --- The run page ---


def run_url(name, tenant, run):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, "run_id": run.pk})


def test_the_run_page_publishes_with_a_confirmation_and_then_says_when_and_by_whom(client, tenant_a):
    with tenant_a.scope():
        cohort, _mentees, _mentors = decision_cohort(tenant_a)
        run = run_now(cohort)
    login(client, tenant_a.admin)
    page = client.get(run_url("match_run_detail", tenant_a, run)).content.decode()
    assert run_url("match_run_publish", tenant_a, run) in page and "data-confirm=" in page
    response = client.post(run_url("match_run_publish", tenant_a, run), follow=True)
    page = response.content.decode()
    assert "2 mentorships created" in page
    assert "Published on" in page and "by Ada Admin" in page
    assert run_url("match_run_publish", tenant_a, run) not in page  # no second Publish button
    assert run_url("match_run_rerun", tenant_a, run) not in page  # a published cohort is not re-run
    response = client.post(run_url("match_run_publish", tenant_a, run), follow=True)
    assert "already published" in response.content.decode()
    with tenant_a.scope():
        assert Mentorship.objects.filter(cohort=cohort).count() == 2


def test_publishing_is_for_matching_admins_and_another_organizations_run_is_404(client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        cohort, _mentees, _mentors = decision_cohort(tenant_b)
        theirs = run_now(cohort)
    login(client, tenant_a.admin)
    assert client.post(reverse("match_run_publish", kwargs={"org_slug": tenant_a.organization.slug,
                                                            "run_id": theirs.pk})).status_code == 404  # fmt: skip
    with tenant_b.scope():
        assert not Mentorship.objects.exists()
        assert not MatchProposal.objects.filter(run=theirs, state="published").exists()
        mine = run_now(decision_cohort(tenant_b)[0])
    login(client, tenant_b.member)
    assert client.post(run_url("match_run_publish", tenant_b, mine)).status_code == 403
    with tenant_b.scope():
        assert not Mentorship.objects.exists()
        assert MatchRun.objects.get(pk=mine.pk).status == "done"


def test_a_published_cohort_starts_no_more_runs_on_its_pages(client, tenant_a):
    with tenant_a.scope():
        cohort, _mentees, _mentors = decision_cohort(tenant_a)
        older = run_now(cohort)
        run = run_now(cohort)
        failed = factories.make_match_run(cohort, status=MatchRun.Status.FAILED)
        cohort_page = reverse("match_cohort_runs", kwargs={"org_slug": tenant_a.organization.slug,
                                                           "cohort_id": cohort.pk})  # fmt: skip
    login(client, tenant_a.admin)
    assert "Start matching" in client.get(cohort_page).content.decode()  # before publishing
    assert client.post(run_url("match_run_publish", tenant_a, run)).status_code == 302
    html = client.get(cohort_page).content.decode()
    assert "Start matching" not in html and 'id="start-published"' in html
    assert "re-match requests" in html
    for shown in (run, older, failed):  # no Re-run (and no Publish) on any run of the cohort any more
        page = client.get(run_url("match_run_detail", tenant_a, shown)).content.decode()
        assert run_url("match_run_rerun", tenant_a, shown) not in page
        assert run_url("match_run_publish", tenant_a, shown) not in page
    with tenant_a.scope():
        runs = MatchRun.objects.count()
    # Posting anyway is refused with the message and creates nothing.
    response = client.post(cohort_page, {"objective": "score"}, follow=True)
    assert "already published" in response.content.decode()
    response = client.post(run_url("match_run_rerun", tenant_a, run), follow=True)
    assert "already published" in response.content.decode()
    with tenant_a.scope():
        assert MatchRun.objects.count() == runs
