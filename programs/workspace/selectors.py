"""Reads of the workspace: a member's mentorships, and everything the "My mentorship" page shows, in a constant
number of queries whatever the number of sessions, goals or participants.

Private notes are read for the viewer only (`PrivateNote.author == viewer`); nothing here returns anyone else's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from mentorship.tenancy.models import Membership
from programs.models import (
    ActionItem,
    CapabilityAssessment,
    Goal,
    MentoringSession,
    Mentorship,
    PrivateNote,
    PulseSurvey,
    SessionAttendance,
    SessionFeedback,
    SessionStage,
)
from programs.workspace.access import Participant, mentorship_queryset, mentorships_of, participants
from programs.workspace.assessments import DueItem, due_items


def my_mentorship_list(*, membership: Membership) -> list[Mentorship]:
    """The member's mentorships, newest cohort first, with their people loaded."""
    ids = mentorships_of(membership).values("pk")
    return list(mentorship_queryset().filter(pk__in=ids).order_by("-cohort__starts_on", "-pk"))


@dataclass
class StageProgress:
    stages: list[SessionStage]
    held_stage_ids: set[int]

    @property
    def total(self) -> int:
        return len(self.stages)

    @property
    def reached(self) -> int:
        """Stages with at least one held session."""
        return sum(1 for stage in self.stages if stage.pk in self.held_stage_ids)

    @property
    def current(self) -> SessionStage | None:
        """The first stage not held yet (the last one when all are)."""
        return next(
            (s for s in self.stages if s.pk not in self.held_stage_ids), self.stages[-1] if self.stages else None
        )

    @property
    def complete(self) -> bool:
        return bool(self.stages) and self.reached == self.total

    @property
    def percent(self) -> int:
        return round(100 * self.reached / self.total) if self.total else 0


@dataclass
class TimelineEntry:
    session: MentoringSession
    attendance: list[SessionAttendance]
    my_feedback: bool
    my_private_note: PrivateNote | None
    can_confirm: bool


@dataclass
class Workspace:
    mentorship: Mentorship
    me: Participant
    people: list[Participant]
    progress: StageProgress
    next_session: MentoringSession | None
    upcoming: list[MentoringSession]
    timeline: list[TimelineEntry]
    goals: list[Goal]
    action_items: list[ActionItem]
    due: list[DueItem] = field(default_factory=list)

    @property
    def feedback_due(self) -> list[MentoringSession]:
        return [entry.session for entry in self.timeline if entry.session.status == "held" and not entry.my_feedback]

    @property
    def to_confirm(self) -> list[MentoringSession]:
        return [entry.session for entry in self.timeline if entry.can_confirm]

    @property
    def held_minutes(self) -> int:
        return sum(e.session.duration_minutes for e in self.timeline if e.session.status == "held")


def workspace_for(*, mentorship: Mentorship, me: Participant) -> Workspace:
    """Everything the page shows. `mentorship` comes from `access_mentorship_for_participant` (people loaded)."""
    viewer = me.membership
    now = timezone.now()
    stages = list(SessionStage.objects.filter(program_id=mentorship.cohort.program_id).order_by("position"))
    sessions = list(
        MentoringSession.objects.filter(mentorship=mentorship)
        .select_related("stage", "logged_by__user", "confirmed_by__user")
        .prefetch_related(Prefetch("attendance", queryset=SessionAttendance.objects.select_related("membership__user")))
        .order_by("-starts_at", "-pk")
    )
    session_ids = [s.pk for s in sessions]
    my_feedback = set(
        SessionFeedback.objects.filter(session_id__in=session_ids, author=viewer).values_list("session_id", flat=True)
    )
    my_notes = {n.session_id: n for n in PrivateNote.objects.filter(session_id__in=session_ids, author=viewer)}
    logger_is_mentor = {mentorship.mentor.membership_id: True}
    held = [s for s in sessions if s.status == MentoringSession.Status.HELD]
    upcoming = sorted(
        (s for s in sessions if s.status == MentoringSession.Status.SCHEDULED and s.starts_at >= now),
        key=lambda s: s.starts_at,
    )
    timeline = [
        TimelineEntry(
            session=s,
            attendance=list(s.attendance.all()),
            my_feedback=s.pk in my_feedback,
            my_private_note=my_notes.get(s.pk),
            can_confirm=(
                s.confirmation == MentoringSession.Confirmation.ONE_SIDED
                and s.logged_by_id is not None
                and logger_is_mentor.get(s.logged_by_id, False) != me.is_mentor
            ),
        )
        for s in sessions
        if s.status != MentoringSession.Status.SCHEDULED or s.starts_at < now
    ]
    goals = list(
        Goal.objects.filter(mentorship=mentorship)
        .select_related("skill", "mentee__membership__user")
        .order_by("status", "target_date", "pk")
    )
    action_items = list(
        ActionItem.objects.filter(mentorship=mentorship, done_at__isnull=True)
        .select_related("owner__user", "goal")
        .order_by("due_on", "pk")
    )
    given = set(
        CapabilityAssessment.objects.filter(mentee__in=[p.application for p in participants(mentorship)])
        .values_list("mentee_id", "phase", "rater")
        .distinct()
    )
    pulses = set(PulseSurvey.objects.filter(application=me.application).values_list("phase", flat=True))
    return Workspace(
        mentorship=mentorship,
        me=me,
        people=participants(mentorship),
        progress=StageProgress(stages, {s.stage_id for s in held if s.stage_id}),
        next_session=upcoming[0] if upcoming else None,
        upcoming=upcoming,
        timeline=timeline,
        goals=goals,
        action_items=action_items,
        due=due_items(mentorship, me, given=given, pulses=pulses),
    )
