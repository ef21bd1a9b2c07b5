"""Builders that keep a whole object graph inside one organization. Call them inside `tenant_scope(org)`.

`TENANT_ROW_BUILDERS` maps every TenantModel to a builder of one row; the contract tests fail when a model has none,
so each new tenant model brings its builder along.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from matching.models import MatchProposal, MatchRun, UnmatchedMentee
from mentorship.tenancy.models import Department, Invitation, Membership, Organization, PeopleImport
from mentorship.tenancy.services import hash_token
from programs.models import (
    Application,
    ApplicationSkill,
    Cohort,
    Program,
    ProgramSkill,
    ProgramTarget,
    SessionStage,
    Skill,
)

PASSWORD = "correct-horse-battery-9"
_sequence = itertools.count(1)


def make_organization(name: str) -> Organization:
    slug = name.lower().replace(" ", "-")
    return Organization.objects.create(name=name, slug=slug)


def make_user(email: str | None = None, full_name: str = "Test Person"):
    from allauth.account.models import EmailAddress

    email = email or f"person{next(_sequence)}@example.com"
    user = get_user_model().objects.create_user(email=email, password=PASSWORD, full_name=full_name)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def make_department(name: str | None = None) -> Department:
    return Department.objects.create(name=name or f"Department {next(_sequence)}")


def make_membership(user=None, *, roles=(), department: Department | None = None, **fields) -> Membership:
    return Membership.objects.create(user=user or make_user(), roles=list(roles), department=department, **fields)


def make_invitation(email: str | None = None, token: str | None = None, **fields) -> Invitation:
    return Invitation.objects.create(
        email=email or f"invitee{next(_sequence)}@example.com",
        token_hash=hash_token(token or f"token-{next(_sequence)}"),
        expires_at=fields.pop("expires_at", timezone.now() + timedelta(days=7)),
        **fields,
    )


def make_skill(name: str | None = None, category: str = "Collaboration") -> Skill:
    return Skill.objects.create(name=name or f"Skill {next(_sequence)}", category=category)


def make_program(name: str | None = None, *, skills=(), status: str = Program.Status.DRAFT, **fields) -> Program:
    """A program with the four default stages (through the service, as admins create them)."""
    from programs import services

    created_by = fields.pop("created_by", None) or make_membership()
    program = services.program_create(
        created_by=created_by, name=name or f"Program {next(_sequence)}", skills=list(skills), **fields
    )
    if status != Program.Status.DRAFT:
        Program.objects.filter(pk=program.pk).update(status=status)
        program.refresh_from_db()
    return program


def make_cohort(program: Program | None = None, *, status: str = Cohort.Status.ENROLLING, **fields) -> Cohort:
    today = timezone.localdate()
    values = {
        "name": f"Cohort {next(_sequence)}",
        "enrollment_opens_on": today - timedelta(days=7),
        "enrollment_closes_on": today + timedelta(days=14),
        "starts_on": today + timedelta(days=21),
        "ends_on": today + timedelta(days=200),
        "capacity": 30,
        **fields,
    }
    return Cohort.objects.create(program=program or make_program(), status=status, **values)


def make_application(cohort: Cohort | None = None, membership: Membership | None = None, **fields) -> Application:
    return Application.objects.create(
        cohort=cohort or make_cohort(), membership=membership or make_membership(),
        role=fields.pop("role", Application.Role.MENTEE), **fields,
    )  # fmt: skip


def make_application_skill(application: Application | None = None, skill: Skill | None = None) -> ApplicationSkill:
    return ApplicationSkill.objects.create(
        application=application or make_application(), skill=skill or make_skill(), level=2, target_level=4
    )


def make_program_skill() -> ProgramSkill:
    return ProgramSkill.objects.create(program=make_program(), skill=make_skill())


def make_target() -> ProgramTarget:
    return ProgramTarget.objects.create(
        program=make_program(), metric=ProgramTarget.Metric.PARTICIPATION_RATE, baseline=40, target=60
    )


def make_stage() -> SessionStage:
    return make_program().stages.first()


def make_people_import(file_name: str = "people.csv", **fields) -> PeopleImport:
    return PeopleImport.objects.create(file_name=file_name, **fields)


def make_match_run(cohort: Cohort | None = None, **fields) -> MatchRun:
    return MatchRun.objects.create(cohort=cohort or make_cohort(), **fields)


def make_match_proposal(run: MatchRun | None = None, **fields) -> MatchProposal:
    run = run or make_match_run()
    mentee = fields.pop("mentee", None) or make_application(run.cohort, role=Application.Role.MENTEE)
    mentor = fields.pop("mentor", None) or make_application(run.cohort, role=Application.Role.MENTOR)
    return MatchProposal.objects.create(run=run, mentee=mentee, mentor=mentor, score=fields.pop("score", 0.5), **fields)


def make_unmatched_mentee(run: MatchRun | None = None, **fields) -> UnmatchedMentee:
    run = run or make_match_run()
    mentee = fields.pop("mentee", None) or make_application(run.cohort, role=Application.Role.MENTEE)
    return UnmatchedMentee.objects.create(
        run=run, mentee=mentee, reason=fields.pop("reason", UnmatchedMentee.Reason.NO_CANDIDATES), **fields
    )


TENANT_ROW_BUILDERS = {
    Skill: make_skill,
    Program: make_program,
    ProgramSkill: make_program_skill,
    SessionStage: make_stage,
    ProgramTarget: make_target,
    Cohort: make_cohort,
    Application: make_application,
    ApplicationSkill: make_application_skill,
    Department: make_department,
    Membership: make_membership,
    Invitation: make_invitation,
    PeopleImport: make_people_import,
    MatchRun: make_match_run,
    MatchProposal: make_match_proposal,
    UnmatchedMentee: make_unmatched_mentee,
}


def make_mentor_request(cohort: Cohort | None = None, **fields):
    from matching.models import MentorRequest

    cohort = cohort or make_cohort()
    mentee = fields.pop("mentee", None) or make_application(cohort, role=Application.Role.MENTEE)
    mentor = fields.pop("mentor", None) or make_application(cohort, role=Application.Role.MENTOR)
    return MentorRequest.objects.create(
        cohort=cohort, mentee=mentee, mentor=mentor, rank=fields.pop("rank", 1),
        expires_at=fields.pop("expires_at", timezone.now() + timedelta(days=7)), **fields,
    )  # fmt: skip


def make_rematch_request(cohort: Cohort | None = None, **fields):
    from matching.models import RematchRequest

    cohort = cohort or make_cohort()
    mentee = fields.pop("mentee", None) or make_application(cohort, role=Application.Role.MENTEE)
    return RematchRequest.objects.create(
        cohort=cohort, mentee=mentee, reason=fields.pop("reason", "Not a good fit."), **fields
    )


def _register_matching_builders() -> None:
    from matching.models import MentorRequest, RematchRequest

    TENANT_ROW_BUILDERS[MentorRequest] = make_mentor_request
    TENANT_ROW_BUILDERS[RematchRequest] = make_rematch_request


_register_matching_builders()


def make_mentorship(cohort: Cohort | None = None, **fields):
    from programs.models import Mentorship

    cohort = cohort or make_cohort()
    mentor = fields.pop("mentor", None) or make_application(cohort, role=Application.Role.MENTOR)
    return Mentorship.objects.create(cohort=cohort, mentor=mentor, **fields)


def make_mentorship_mentee(mentorship=None, **fields):
    from programs.models import MentorshipMentee

    mentorship = mentorship or make_mentorship()
    mentee = fields.pop("mentee", None) or make_application(mentorship.cohort, role=Application.Role.MENTEE)
    return MentorshipMentee.objects.create(mentorship=mentorship, mentee=mentee, **fields)


def _register_mentorship_builders() -> None:
    from programs.models import Mentorship, MentorshipMentee

    TENANT_ROW_BUILDERS[Mentorship] = make_mentorship
    TENANT_ROW_BUILDERS[MentorshipMentee] = make_mentorship_mentee


_register_mentorship_builders()


# --- The mentorship workspace ---


def make_pair(cohort: Cohort | None = None, *, mentees: int = 1, **fields):
    """A published mentorship: a mentor and `mentees` mentees, people of their own in different departments."""
    from programs.models import Mentorship, MentorshipMentee

    cohort = cohort or make_cohort(status=Cohort.Status.ACTIVE)
    mentor_department, mentee_department = make_department(), make_department()
    mentor = make_application(
        cohort, make_membership(department=mentor_department), role=Application.Role.MENTOR,
        status=Application.Status.ACCEPTED,
    )  # fmt: skip
    mentorship = Mentorship.objects.create(cohort=cohort, mentor=mentor, **fields)
    for _ in range(mentees):
        mentee = make_application(
            cohort, make_membership(department=mentee_department), role=Application.Role.MENTEE,
            status=Application.Status.ACCEPTED,
        )  # fmt: skip
        MentorshipMentee.objects.create(mentorship=mentorship, mentee=mentee)
    return mentorship


def make_session(mentorship=None, **fields):
    from programs.models import MentoringSession

    mentorship = mentorship or make_pair()
    defaults = {"status": MentoringSession.Status.HELD, "starts_at": timezone.now() - timedelta(days=3)}
    return MentoringSession.objects.create(mentorship=mentorship, **{**defaults, **fields})


def _mentor_of(session):
    return session.mentorship.mentor.membership


def make_attendance(session=None, **fields):
    from programs.models import SessionAttendance

    session = session or make_session()
    return SessionAttendance.objects.create(session=session, membership=_mentor_of(session), role="mentor", **fields)


def make_private_note(session=None, **fields):
    from programs.models import PrivateNote

    session = session or make_session()
    return PrivateNote.objects.create(session=session, author=_mentor_of(session), text=fields.pop("text", "mine"))


def make_goal(mentorship=None, **fields):
    from programs.models import Goal, MentorshipMentee

    mentorship = mentorship or make_pair()
    mentee = fields.pop("mentee", None) or MentorshipMentee.objects.filter(mentorship=mentorship).first().mentee
    title = fields.pop("title", "Lead a review")
    return Goal.objects.create(mentorship=mentorship, mentee=mentee, title=title, **fields)


def make_goal_update(goal=None, **fields):
    from programs.models import GoalUpdate

    goal = goal or make_goal()
    return GoalUpdate.objects.create(goal=goal, progress=fields.pop("progress", 50), status="in_progress", **fields)


def make_action_item(mentorship=None, **fields):
    from programs.models import ActionItem

    mentorship = mentorship or make_pair()
    return ActionItem.objects.create(
        mentorship=mentorship, title=fields.pop("title", "Draft the plan"), owner=mentorship.mentor.membership, **fields
    )


def make_feedback(session=None, **fields):
    from programs.models import SessionFeedback

    session = session or make_session()
    return SessionFeedback.objects.create(session=session, author=_mentor_of(session), rating=fields.pop("rating", 4))


def make_assessment(mentorship=None, **fields):
    from programs.models import CapabilityAssessment, MentorshipMentee

    mentorship = mentorship or make_pair()
    mentee = MentorshipMentee.objects.filter(mentorship=mentorship).first().mentee
    return CapabilityAssessment.objects.create(
        cohort=mentorship.cohort, mentee=mentee, skill=fields.pop("skill", None) or make_skill(),
        phase=fields.pop("phase", "baseline"), rater=fields.pop("rater", "self"), assessor=mentee.membership,
        level=fields.pop("level", 2), **fields,
    )  # fmt: skip


def make_pulse(mentorship=None, **fields):
    from programs.models import PulseSurvey

    mentorship = mentorship or make_pair()
    return PulseSurvey.objects.create(
        cohort=mentorship.cohort, application=mentorship.mentor, phase=fields.pop("phase", "start"),
        cross_department_colleagues=fields.pop("cross_department_colleagues", 3),
        trust_other_departments=fields.pop("trust_other_departments", 3), **fields,
    )  # fmt: skip


def make_notification(membership=None, **fields):
    from programs.models import Notification

    membership = membership or make_membership()
    return Notification.objects.create(
        membership=membership, category=fields.pop("category", "session_upcoming"), title="Session tomorrow",
        dedupe_key=fields.pop("dedupe_key", f"test:{next(_sequence)}"), **fields,
    )  # fmt: skip


def make_notification_preference(membership=None, **fields):
    from programs.models import NotificationPreference

    return NotificationPreference.objects.create(membership=membership or make_membership(), **fields)


def make_calendar_feed(membership=None, **fields):
    from programs.models import CalendarFeed

    return CalendarFeed.objects.create(
        membership=membership or make_membership(), token_hash=hash_token(f"feed-{next(_sequence)}"), **fields
    )


def make_recognition(mentorship=None, **fields):
    from programs.models import Recognition

    mentorship = mentorship or make_pair()
    return Recognition.objects.create(cohort=mentorship.cohort, application=mentorship.mentor, role="mentor", **fields)


def _register_workspace_builders() -> None:
    from programs import models

    TENANT_ROW_BUILDERS.update({
        models.MentoringSession: make_session,
        models.SessionAttendance: make_attendance,
        models.PrivateNote: make_private_note,
        models.Goal: make_goal,
        models.GoalUpdate: make_goal_update,
        models.ActionItem: make_action_item,
        models.SessionFeedback: make_feedback,
        models.CapabilityAssessment: make_assessment,
        models.PulseSurvey: make_pulse,
        models.Notification: make_notification,
        models.NotificationPreference: make_notification_preference,
        models.CalendarFeed: make_calendar_feed,
        models.Recognition: make_recognition,
    })  # fmt: skip


_register_workspace_builders()


def _register_other_apps_builders() -> None:
    """The other apps' factory modules import this one, so they register their row builders once it is loaded."""
    from tests.accounts_factories import register as register_accounts
    from tests.analytics_factories import register as register_analytics
    from tests.audit_factories import register as register_audit

    for register in (register_analytics, register_accounts, register_audit):
        register(TENANT_ROW_BUILDERS)


_register_other_apps_builders()
