"""Reads of the workspace: a member's mentorships, and everything the "My mentorship" page shows, in a constant
number of queries whatever the number of sessions, goals or participants.

The timeline of past sessions is paginated (`TIMELINE_PAGE_SIZE` a page, newest first): a mentorship of two years
holds some fifty sessions, and rendering each one's attendance, notes and forms made the page's time grow with its
history. What is due (feedback, logs to confirm) lists the newest few of each kind and counts the rest, and the
totals count every past session.

Private notes are read for the viewer only (`PrivateNote.author == viewer`); nothing here returns anyone else's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
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

TIMELINE_PAGE_SIZE = 10
# Logs to confirm and sessions awaiting feedback listed under "What's due", newest first, of each kind; older ones
# are counted there and keep their buttons on the timeline (a list of dozens of the same entry helps nobody).
DUE_LISTED = 5


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
    timeline: list[TimelineEntry]  # the sessions of `timeline_page`
    timeline_page: Page  # of every past session, newest first
    feedback_due: list[MentoringSession]
    to_confirm: list[MentoringSession]
    goals: list[Goal]
    action_items: list[ActionItem]
    due: list[DueItem] = field(default_factory=list)

    @property
    def to_confirm_listed(self) -> list[MentoringSession]:
        return self.to_confirm[:DUE_LISTED]

    @property
    def to_confirm_unlisted(self) -> int:
        return max(0, len(self.to_confirm) - DUE_LISTED)

    @property
    def feedback_due_listed(self) -> list[MentoringSession]:
        return self.feedback_due[:DUE_LISTED]

    @property
    def feedback_due_unlisted(self) -> int:
        return max(0, len(self.feedback_due) - DUE_LISTED)

    @property
    def held(self) -> list[MentoringSession]:
        return [session for session in self.timeline_page.paginator.object_list if session.status == "held"]

    @property
    def held_minutes(self) -> int:
        return sum(session.duration_minutes for session in self.held)


def _can_confirm(session: MentoringSession, *, mentor_membership_id: int, me: Participant) -> bool:
    """A log by the other side waiting for the viewer's confirmation."""
    return (
        session.confirmation == MentoringSession.Confirmation.ONE_SIDED
        and session.logged_by_id is not None
        and (session.logged_by_id == mentor_membership_id) != me.is_mentor
    )


def _people_by_membership_id(people: list[Participant], ids: set[int]) -> dict[int, Membership]:
    """The memberships behind `ids`: the participants' (loaded already), and one query for the others (someone who
    left the mentorship at a re-match, an admin who logged a session), only when there are any."""
    known = {person.membership.pk: person.membership for person in people}
    missing = ids - known.keys()
    if missing:
        known.update(Membership.objects.select_related("user").in_bulk(missing))
    return known


def workspace_for(*, mentorship: Mentorship, me: Participant, timeline_page: int | str | None = 1) -> Workspace:
    """Everything the page shows, with page `timeline_page` of the timeline (out of range: the nearest page).
    `mentorship` comes from `access_mentorship_for_participant` (people loaded).

    The sessions, their attendance and their people are read as plain rows and given the stages and memberships
    the page has loaded already: joining them in SQL built a stage, membership and user object per session and
    attendance row, most of the page's query time once a mentorship had a few dozen sessions (the load test)."""
    viewer = me.membership
    now = timezone.now()
    people = participants(mentorship)
    stages = list(SessionStage.objects.filter(program_id=mentorship.cohort.program_id).order_by("position"))
    sessions = list(MentoringSession.objects.filter(mentorship=mentorship).order_by("-starts_at", "-pk"))
    given_feedback = SessionFeedback.objects.filter(session__mentorship=mentorship, author=viewer)
    my_feedback = set(given_feedback.values_list("session_id", flat=True))
    held = [s for s in sessions if s.status == MentoringSession.Status.HELD]
    upcoming = sorted(
        (s for s in sessions if s.status == MentoringSession.Status.SCHEDULED and s.starts_at >= now),
        key=lambda s: s.starts_at,
    )
    past = [s for s in sessions if s.status != MentoringSession.Status.SCHEDULED or s.starts_at < now]
    page = Paginator(past, TIMELINE_PAGE_SIZE).get_page(timeline_page)
    shown = list(page.object_list)
    # Attendance and the viewer's notes only for the sessions on the page.
    attendance = list(SessionAttendance.objects.filter(session__in=shown))
    memberships = _people_by_membership_id(
        people,
        {row.membership_id for row in attendance}
        | {s.logged_by_id for s in sessions if s.logged_by_id}
        | {s.confirmed_by_id for s in sessions if s.confirmed_by_id},
    )
    stage_by_id = {stage.pk: stage for stage in stages}
    for session in sessions:
        session.stage = stage_by_id.get(session.stage_id)
        session.logged_by = memberships.get(session.logged_by_id)
        session.confirmed_by = memberships.get(session.confirmed_by_id)
    attendance_of = {s.pk: [] for s in shown}
    for row in attendance:
        row.membership = memberships[row.membership_id]
        attendance_of[row.session_id].append(row)
    my_notes = {n.session_id: n for n in PrivateNote.objects.filter(session__in=shown, author=viewer)}
    mentor_id = mentorship.mentor.membership_id
    timeline = [
        TimelineEntry(
            session=s,
            attendance=attendance_of[s.pk],
            my_feedback=s.pk in my_feedback,
            my_private_note=my_notes.get(s.pk),
            can_confirm=_can_confirm(s, mentor_membership_id=mentor_id, me=me),
        )
        for s in shown
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
        CapabilityAssessment.objects.filter(mentee__in=[p.application for p in people])
        .values_list("mentee_id", "phase", "rater")
        .distinct()
    )
    pulses = set(PulseSurvey.objects.filter(application=me.application).values_list("phase", flat=True))
    return Workspace(
        mentorship=mentorship,
        me=me,
        people=people,
        progress=StageProgress(stages, {s.stage_id for s in held if s.stage_id}),
        next_session=upcoming[0] if upcoming else None,
        upcoming=upcoming,
        timeline=timeline,
        timeline_page=page,
        feedback_due=[s for s in held if s.pk not in my_feedback],
        to_confirm=[s for s in past if _can_confirm(s, mentor_membership_id=mentor_id, me=me)],
        goals=goals,
        action_items=action_items,
        due=due_items(mentorship, me, given=given, pulses=pulses),
    )
