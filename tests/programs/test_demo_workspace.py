"""The demo workspace history (programs.demo_workspace): its shape at Acme (forty-odd active mentorships in every
department with months of sessions, a completed cohort with baseline and final assessments, the demo member's
history), the integrity of what it writes (notes, attendance, feedback, goals and action items belong to the
mentorship's people), idempotence, and Globex's rows referencing only Globex rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from django.db.models import ForeignKey
from django.utils import timezone

from matching.models import MatchRun
from mentorship.tenancy.models import Department, Membership, Organization, TenantModel
from mentorship.tenancy.scope import tenant_scope
from programs.demo_workspace import CROSS_TEAM, SKILLS_EXCHANGE
from programs.models import (
    ActionItem,
    Application,
    CapabilityAssessment,
    Cohort,
    Goal,
    GoalUpdate,
    MentoringSession,
    Mentorship,
    MentorshipMentee,
    PrivateNote,
    Program,
    ProgramSkill,
    PulseSurvey,
    SessionAttendance,
    SessionFeedback,
)
from tests.tenancy.test_demo import seed

WORKSPACE_MODELS = (
    MentoringSession, SessionAttendance, PrivateNote, SessionFeedback, Goal, GoalUpdate, ActionItem,
    CapabilityAssessment, PulseSurvey,
)  # fmt: skip
COUNTED = (Program, Cohort, Application, MatchRun, Mentorship, MentorshipMentee, *WORKSPACE_MODELS)


def counts() -> dict[str, tuple[int, ...]]:
    result = {}
    for organization in Organization.objects.all():
        with tenant_scope(organization):
            result[organization.slug] = tuple(model.objects.count() for model in COUNTED)
    return result


def people_of_mentorships() -> dict[int, dict[int, str]]:
    """mentorship id -> {membership id: role} for every mentorship in scope (two queries)."""
    people: dict[int, dict[int, str]] = defaultdict(dict)
    for pk, mentor in Mentorship.objects.values_list("pk", "mentor__membership_id"):
        people[pk][mentor] = "mentor"
    for pk, mentee in MentorshipMentee.objects.values_list("mentorship_id", "mentee__membership_id"):
        people[pk][mentee] = "mentee"
    return people


def test_acme_has_forty_active_mentorships_in_every_department_with_months_of_history(db):
    seed()
    today = timezone.localdate()
    with tenant_scope(Organization.objects.get(slug="acme")):
        active = Mentorship.objects.filter(status=Mentorship.Status.ACTIVE)
        assert active.count() >= 40
        people = people_of_mentorships()
        active_people = {pk for m in active.values_list("pk", flat=True) for pk in people[m]}
        departments = Counter(
            Membership.objects.filter(pk__in=active_people).values_list("department__name", flat=True)
        )
        assert len(departments) == Department.objects.count() == 8
        # Some departments take part far less than others (the department gap of the dashboards).
        sizes = Counter(Membership.objects.values_list("department__name", flat=True))
        shares = [departments[name] / sizes[name] for name in sizes]
        assert min(shares) < 0.6 * max(shares)

        sessions = MentoringSession.objects.filter(mentorship__in=active)
        held = sessions.filter(status=MentoringSession.Status.HELD)
        assert len({(s.year, s.month) for s in held.values_list("starts_at", flat=True)}) >= 4
        assert held.filter(starts_at__gt=timezone.now()).count() == 0
        assert set(held.values_list("duration_minutes", flat=True)) <= set(range(30, 91))
        assert sessions.filter(status=MentoringSession.Status.CANCELLED).exists()
        assert sessions.filter(status=MentoringSession.Status.SCHEDULED, starts_at__gt=timezone.now()).count() >= 20
        confirmations = Counter(held.values_list("confirmation", flat=True))
        assert confirmations["confirmed"] > confirmations["one_sided"] > 0
        # Held sessions move through the program's own stages.
        stage_programs = set(held.values_list("stage__program_id", "mentorship__cohort__program_id"))
        assert all(stage == program for stage, program in stage_programs)
        assert set(held.values_list("stage__position", flat=True)) >= {1, 2, 3}
        assert not held.filter(topics="").exists()
        # Some pairs lapsed (at risk: no held session for two months), most met within the last month.
        last_held = dict(
            held.order_by("mentorship_id", "-starts_at")
            .distinct("mentorship_id")
            .values_list("mentorship_id", "starts_at")
        )
        gaps = [
            (today - last_held[m].date()).days if m in last_held else 999 for m in active.values_list("pk", flat=True)
        ]
        assert 2 <= sum(gap > 60 for gap in gaps) <= len(gaps) // 3
        assert sum(gap <= 35 for gap in gaps) >= len(gaps) // 2

        feedback = SessionFeedback.objects.filter(session__mentorship__in=active)
        ratings = Counter(feedback.values_list("rating", flat=True))
        assert feedback.count() > held.count() and set(ratings) <= {2, 3, 4, 5}
        assert ratings[4] + ratings[5] >= 0.8 * feedback.count()
        fits = Counter(feedback.exclude(pairing_fit="").values_list("pairing_fit", flat=True))
        assert fits["good"] > fits["unsure"] >= 1 and not fits["not_good"]
        first_held = set(
            held.order_by("mentorship_id", "starts_at").distinct("mentorship_id").values_list("pk", flat=True)
        )
        assert set(feedback.exclude(pairing_fit="").values_list("session_id", flat=True)) <= first_held

        goals = Goal.objects.filter(mentorship__in=active)
        assert goals.count() >= active.count() and not goals.filter(skill=None).exists()
        assert {"in_progress", "achieved"} <= set(goals.values_list("status", flat=True))
        assert all(pair in set(ProgramSkill.objects.values_list("program_id", "skill_id")) for pair in
                   goals.values_list("mentorship__cohort__program_id", "skill_id"))  # fmt: skip
        assert GoalUpdate.objects.filter(goal__in=goals).exists()
        items = ActionItem.objects.filter(mentorship__in=active)
        assert items.filter(done_at=None).exists() and items.exclude(done_at=None).exists()
        assert PulseSurvey.objects.filter(phase="start").exists()
        running = Cohort.objects.get(program__name=CROSS_TEAM)
        assert running.status == Cohort.Status.ACTIVE and (today - running.starts_on).days >= 120
        phases = set(CapabilityAssessment.objects.filter(cohort=running).values_list("phase", flat=True))
        assert phases == {"baseline", "midpoint"}


def test_the_completed_cohort_has_baseline_and_final_assessments_and_grew(db):
    seed()
    today = timezone.localdate()
    with tenant_scope(Organization.objects.get(slug="acme")):
        cohort = Cohort.objects.select_related("program").get(program__name=SKILLS_EXCHANGE)
        assert cohort.program.status == Program.Status.COMPLETED and cohort.status == Cohort.Status.CLOSED
        assert today - timedelta(days=90) <= cohort.ends_on <= today - timedelta(days=30)
        mentorships = Mentorship.objects.filter(cohort=cohort)
        assert 20 <= mentorships.count() <= 30
        assert set(mentorships.values_list("status", flat=True)) == {Mentorship.Status.ENDED}
        assert not MentoringSession.objects.filter(mentorship__cohort=cohort, starts_at__date__gt=cohort.ends_on)
        levels: dict[tuple, dict[str, int]] = defaultdict(dict)
        for mentee, skill, phase, rater, level in CapabilityAssessment.objects.filter(cohort=cohort).values_list(
            "mentee_id", "skill_id", "phase", "rater", "level"
        ):
            levels[(mentee, skill, rater)][phase] = level
        mentees = set(MentorshipMentee.objects.filter(mentorship__cohort=cohort).values_list("mentee_id", flat=True))
        assert {key[0] for key, phases in levels.items() if "baseline" in phases} == mentees
        finals = {key[0] for key, phases in levels.items() if "final" in phases}
        assert len(finals) >= 0.75 * len(mentees)
        growth = {"self": [], "mentor": []}
        for (_mentee, _skill, rater), phases in levels.items():
            if "final" in phases:
                growth[rater].append(phases["final"] - phases["baseline"])
        assert all(0 <= g <= 2 for values in growth.values() for g in values)
        mean = {rater: sum(values) / len(values) for rater, values in growth.items()}
        assert 0.3 <= mean["mentor"] <= mean["self"] <= 1.5
        baseline = {key: phases["baseline"] for key, phases in levels.items()}
        self_mean = sum(v for k, v in baseline.items() if k[2] == "self") / len(mentees) / 4
        mentor_mean = sum(v for k, v in baseline.items() if k[2] == "mentor") / len(mentees) / 4
        assert mentor_mean < self_mean  # mentors rate a little lower
        pulses = PulseSurvey.objects.filter(cohort=cohort)
        start = dict(pulses.filter(phase="start").values_list("application_id", "cross_department_colleagues"))
        end = dict(pulses.filter(phase="end").values_list("application_id", "cross_department_colleagues"))
        assert len(end) >= 0.6 * len(start) and all(end[a] >= start[a] for a in end)
        assert sum(end.values()) / len(end) > sum(start[a] for a in end) / len(end) + 1
        # Most pairs covered the whole four-stage flow (so recognition has someone to award).
        stages = defaultdict(set)
        for mentorship, position in MentoringSession.objects.filter(
            mentorship__cohort=cohort, status=MentoringSession.Status.HELD
        ).values_list("mentorship_id", "stage__position"):
            stages[mentorship].add(position)
        assert sum(positions == {1, 2, 3, 4} for positions in stages.values()) >= 0.6 * mentorships.count()


def test_the_demo_member_has_a_lively_mentorship(db):
    seed()
    now = timezone.now()
    with tenant_scope(Organization.objects.get(slug="acme")):
        member = Membership.objects.get(user__email="member@acme.example")
        link = MentorshipMentee.objects.select_related("mentorship__mentor__membership").get(
            mentee__membership=member, mentorship__status=Mentorship.Status.ACTIVE
        )
        mentorship, mentor = link.mentorship, link.mentorship.mentor.membership
        assert mentor.department_id != member.department_id
        sessions = MentoringSession.objects.filter(mentorship=mentorship)
        held = sessions.filter(status=MentoringSession.Status.HELD)
        assert held.count() >= 4 and sessions.filter(status="scheduled", starts_at__gt=now).exists()
        assert held.filter(starts_at__gt=now - timedelta(days=21)).exists()
        # Something to do when logging in: a session of the mentor's to confirm, feedback to give.
        assert held.filter(confirmation="one_sided", logged_by=mentor).exists()
        assert held.exclude(feedback__author=member).exists()
        assert PrivateNote.objects.filter(author=member, session__mentorship=mentorship).count() >= 2
        assert Goal.objects.filter(mentorship=mentorship, status="in_progress").exists()
        assert ActionItem.objects.filter(mentorship=mentorship, owner=member, done_at=None).exists()
        assert CapabilityAssessment.objects.filter(mentee=link.mentee, phase="baseline", rater="self").exists()


def test_notes_attendance_and_feedback_belong_to_the_people_of_the_mentorship(db):
    seed()
    for organization in Organization.objects.all():
        with tenant_scope(organization):
            people = people_of_mentorships()
            notes = PrivateNote.objects.values_list("session__mentorship_id", "author_id")
            assert notes and all(author in people[m] for m, author in notes)
            rows = list(SessionAttendance.objects.values_list("session_id", "session__mentorship_id", "membership_id",
                                                              "role", "session__status"))  # fmt: skip
            assert all(people[m].get(member) == role and status == "held" for _, m, member, role, status in rows)
            per_session = Counter(session for session, *_ in rows)
            for pk, mentorship in MentoringSession.objects.filter(status="held").values_list("pk", "mentorship_id"):
                assert per_session[pk] == len(people[mentorship])  # a row for every participant
            attended = {(s, member) for s, _, member, _, _ in rows} - set(
                SessionAttendance.objects.filter(attended=False).values_list("session_id", "membership_id")
            )
            feedback = SessionFeedback.objects.values_list("session_id", "author_id", "session__status")
            assert all((s, author) in attended and status == "held" for s, author, status in feedback)
            goals = Goal.objects.values_list("mentorship_id", "mentee__membership_id")
            assert all(people[m].get(mentee) == "mentee" for m, mentee in goals)
            items = ActionItem.objects.values_list("mentorship_id", "owner_id")
            assert all(owner in people[m] for m, owner in items)
            assessments = CapabilityAssessment.objects.values_list("mentee_id", "rater", "assessor__pk",
                                                                   "mentee__membership_id")  # fmt: skip
            mentor_of = dict(MentorshipMentee.objects.values_list("mentee_id", "mentorship__mentor__membership_id"))
            for mentee, rater, assessor, mentee_member in assessments:
                assert assessor == (mentee_member if rater == "self" else mentor_of[mentee])


def test_seeding_twice_adds_nothing(db):
    seed()
    first = counts()
    output = seed()
    assert counts() == first
    assert "sessions" in output


def test_globex_stays_small_and_its_rows_never_reference_acme_rows(db):
    seed()
    acme, globex = Organization.objects.get(slug="acme"), Organization.objects.get(slug="globex")
    sizes = {}
    for organization in (acme, globex):
        with tenant_scope(organization):
            sizes[organization.slug] = (Mentorship.objects.count(), MentoringSession.objects.count())
    assert 0 < sizes["globex"][0] <= 5 and sizes["globex"][1] * 10 < sizes["acme"][1]
    # Every tenant foreign key of Globex's workspace rows, read in Globex's scope...
    referenced: dict[type, set[int]] = defaultdict(set)
    with tenant_scope(globex):
        for model in (*WORKSPACE_MODELS, Mentorship, MentorshipMentee):
            links = [
                f for f in model._meta.concrete_fields
                if isinstance(f, ForeignKey) and issubclass(f.related_model, TenantModel)
            ]  # fmt: skip
            assert model.objects.exists(), model.__name__
            for f in links:
                referenced[f.related_model] |= set(
                    model.objects.exclude(**{f.attname: None}).values_list(f.attname, flat=True)
                )
        for target, pks in referenced.items():
            assert target.objects.filter(pk__in=pks).count() == len(pks), target.__name__  # all of them Globex's
    # ... names no row that Acme's scope sees.
    with tenant_scope(acme):
        for target, pks in referenced.items():
            assert not target.objects.filter(pk__in=pks).exists(), target.__name__
