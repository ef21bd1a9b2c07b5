"""The nightly reminders of the mentorship workspace, for the organization in scope.

Each kind is found for every active participant (active membership) of every active mentorship at once, with a
few set-based queries (one per side of the mentorship: the mentor, the mentees), never a query per person. Kind:
who gets it, when, and its dedupe key:

* upcoming session: every participant; a scheduled session starts in the next 48 h; `upcoming:<session>:<start>`.
* cadence gap: every participant; no session held for 30/cadence + 7 days (counted from the mentorship's start
  when none was), none scheduled ahead, the cohort running; `cadence:<mentorship>:<first day of the gap>`.
* feedback due: each participant who attended a session held in the past 14 days and gave no feedback on it;
  `feedback:<session>`.
* assessment due: every participant; the baseline assessment or the start pulse missing 14 days after the
  mentorship started (`assessment:<mentorship>:start`); the final assessment or the end pulse missing once the
  final window opened (`assessment:<mentorship>:end`). Mentors owe the rating of each of their mentees.
* confirmation due: the side that did not log a session logged by one side more than 2 days (and less than 30
  days) ago; `confirm:<session>`.

The dedupe key makes a run idempotent: `notifications_deliver` records and emails a (person, key) once, so a second
run, a retried task or two overlapping runs send nothing twice, while a rescheduled session or a new gap has a new
key. Muted categories are left out there too. A mentorship starts on the later of its publication and its cohort's
first day.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.urls import reverse
from django.utils import timezone

from mentorship.tenancy.models import Organization
from mentorship.tenancy.scope import require_organization_id
from programs.models import (
    CapabilityAssessment,
    MentoringSession,
    Mentorship,
    MentorshipMentee,
    Notification,
    ProgramSkill,
    PulseSurvey,
    SessionAttendance,
    SessionFeedback,
)
from programs.notifications import notifications_deliver
from programs.workspace.access import names_label
from programs.workspace.assessments import FINAL_WINDOW_DAYS

Category = Notification.Category
Phase = CapabilityAssessment.Phase

UPCOMING_HOURS = 48
CADENCE_GRACE_DAYS = 7
FEEDBACK_DAYS = 14
START_ASSESSMENT_AFTER_DAYS = 14
CONFIRM_AFTER_DAYS = 2
CONFIRM_WITHIN_DAYS = 30


@dataclass(frozen=True)
class Side:
    """One side of a mentorship, as the path from a Mentorship to that side's Application."""

    is_mentor: bool
    application: str


MENTOR = Side(True, "mentor")
MENTEE = Side(False, "mentees__mentee")
SIDES = (MENTOR, MENTEE)


class DaysBetween(Func):
    """`later - earlier` for two dates, in whole days (PostgreSQL's date subtraction; Django's would be an
    interval)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()


def _participants(queryset: QuerySet, side: Side, via: str = "") -> QuerySet:
    """`queryset`'s rows once per active participant on `side` of the row's active mentorship (reached from the
    row by the path `via`), annotated with `recipient` (membership id), `time_zone`, `application` and
    `mentorship_pk`. Later filters name these annotations, so they stay on the same participant's join."""
    prefix = f"{via}__" if via else ""
    person = f"{prefix}{side.application}"
    return (
        queryset.filter(**{f"{prefix}status": Mentorship.Status.ACTIVE})
        .annotate(
            recipient=F(f"{person}__membership_id"),
            recipient_active=F(f"{person}__membership__is_active"),
            time_zone=F(f"{person}__membership__time_zone"),
            application=F(f"{person}__id"),
            mentorship_pk=F(f"{prefix}id"),
        )
        .filter(recipient_active=True)
    )


def _started_on():
    """When a mentorship started: the later of its publication and its cohort's first day."""
    return Greatest(TruncDate("created_at"), F("cohort__starts_on"))


# --- The candidates of each kind, as rows: recipient, time_zone, mentorship_pk, is_mentor and the kind's fields ---


def _rows(queryset: QuerySet, side: Side, *names: str, **fields) -> list[dict]:
    return list(
        queryset.order_by().values(
            "recipient",
            "time_zone",
            "application",
            "mentorship_pk",
            *names,
            is_mentor=Value(side.is_mentor),
            **fields,
        )
    )


def upcoming_rows(now: datetime) -> list[dict]:
    sessions = MentoringSession.objects.filter(
        status=MentoringSession.Status.SCHEDULED,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(hours=UPCOMING_HOURS),
    )
    return [
        row
        for side in SIDES
        for row in _rows(
            _participants(sessions, side, via="mentorship"), side, "starts_at", "location", session=F("pk")
        )
    ]


def cadence_rows(now: datetime) -> list[dict]:
    """Mentorships of running cohorts with no scheduled session ahead whose gap (since the last held session, or
    since the start) exceeds 30/cadence + grace days, compared as whole numbers: days * cadence > 30 + grace *
    cadence."""
    today = timezone.localdate(now)
    last_held = (
        MentoringSession.objects.filter(mentorship=OuterRef("pk"), status=MentoringSession.Status.HELD)
        .order_by("-starts_at")
        .values("starts_at")[:1]
    )
    scheduled_ahead = MentoringSession.objects.filter(
        mentorship=OuterRef("pk"), status=MentoringSession.Status.SCHEDULED, starts_at__gte=now
    )
    cadence = F("cohort__program__cadence_per_month")
    mentorships = (
        Mentorship.objects.filter(cohort__starts_on__lte=today, cohort__ends_on__gte=today)
        .exclude(Exists(scheduled_ahead))
        .annotate(last_held=Subquery(last_held))
        .annotate(gap_start=Coalesce(TruncDate("last_held"), _started_on()))
        .annotate(
            gap_score=DaysBetween(Value(today), F("gap_start")) * cadence, gap_limit=30 + CADENCE_GRACE_DAYS * cadence
        )
        .filter(gap_score__gt=F("gap_limit"))
    )
    return [
        row
        for side in SIDES
        for row in _rows(_participants(mentorships, side), side, "gap_start", "last_held", cadence=cadence)
    ]


def feedback_rows(now: datetime) -> list[dict]:
    """Held sessions of the past 14 days, for each participant marked as attending who gave no feedback."""
    attended = MentoringSession.objects.filter(
        status=MentoringSession.Status.HELD, starts_at__gte=now - timedelta(days=FEEDBACK_DAYS), starts_at__lte=now
    )
    rows = []
    for side in SIDES:
        sessions = _participants(attended, side, via="mentorship").filter(
            Exists(
                SessionAttendance.objects.filter(
                    session_id=OuterRef("pk"), membership_id=OuterRef("recipient"), attended=True
                )
            ),
            ~Exists(SessionFeedback.objects.filter(session_id=OuterRef("pk"), author_id=OuterRef("recipient"))),
        )
        rows += _rows(sessions, side, "starts_at", session=F("pk"))
    return rows


@dataclass(frozen=True)
class AssessmentRound:
    """The start or the end of a mentorship: an assessment phase and a pulse phase asked together."""

    key: str
    assessment_phase: str
    pulse_phase: str


START = AssessmentRound("start", Phase.BASELINE, PulseSurvey.Phase.START)
END = AssessmentRound("end", Phase.FINAL, PulseSurvey.Phase.END)


def _assessment_missing(side: Side, phase: str):
    """Whether the participant on `side` still owes `phase`: a mentee their self-assessment; a mentor the rating
    of at least one of their mentees."""
    if side.is_mentor:
        unrated = MentorshipMentee.objects.filter(mentorship_id=OuterRef("pk")).exclude(
            Exists(
                CapabilityAssessment.objects.filter(
                    mentee_id=OuterRef("mentee_id"), phase=phase, rater=CapabilityAssessment.Rater.MENTOR
                )
            )
        )
        return Exists(unrated)
    return ~Exists(
        CapabilityAssessment.objects.filter(
            mentee_id=OuterRef("application"), phase=phase, rater=CapabilityAssessment.Rater.SELF
        )
    )


def assessment_rows(now: datetime) -> list[dict]:
    today = timezone.localdate(now)
    due = {
        START: Mentorship.objects.annotate(started_on=_started_on()).filter(
            started_on__lte=today - timedelta(days=START_ASSESSMENT_AFTER_DAYS)
        ),
        END: Mentorship.objects.filter(cohort__ends_on__lte=today + timedelta(days=FINAL_WINDOW_DAYS)),
    }
    rows = []
    for round_, mentorships in due.items():
        for side in SIDES:
            participants = _participants(mentorships, side).annotate(
                # A program without skills has nothing to assess (assessment_submit refuses it).
                has_skills=Exists(ProgramSkill.objects.filter(program_id=OuterRef("cohort__program_id"))),
                assessment_missing=_assessment_missing(side, round_.assessment_phase),
                pulse_missing=~Exists(
                    PulseSurvey.objects.filter(application_id=OuterRef("application"), phase=round_.pulse_phase)
                ),
            )
            participants = participants.filter(Q(has_skills=True, assessment_missing=True) | Q(pulse_missing=True))
            rows += _rows(
                participants, side, "has_skills", "assessment_missing", "pulse_missing", round=Value(round_.key)
            )
    return rows


def confirmation_rows(now: datetime) -> list[dict]:
    """Sessions logged by one side: the mentor confirms a mentee's log, the mentees confirm the mentor's."""
    logged = MentoringSession.objects.filter(
        status=MentoringSession.Status.HELD,
        confirmation=MentoringSession.Confirmation.ONE_SIDED,
        logged_by__isnull=False,
        logged_at__lte=now - timedelta(days=CONFIRM_AFTER_DAYS),
        logged_at__gte=now - timedelta(days=CONFIRM_WITHIN_DAYS),
    )
    by_mentor = Q(logged_by_id=F("mentorship__mentor__membership_id"))
    rows = []
    for side, logged_by_other_side in ((MENTOR, ~by_mentor), (MENTEE, by_mentor)):
        sessions = _participants(logged.filter(logged_by_other_side), side, via="mentorship")
        rows += _rows(sessions, side, "starts_at", "logged_by_id", session=F("pk"))
    return rows


# --- From rows to notifications ---


@dataclass
class People:
    """Names and programs of the organization's active mentorships, read once for every reminder's text."""

    program: dict[int, str]
    mentor: dict[int, int]  # mentorship -> mentor membership
    mentees: dict[int, list[int]]  # mentorship -> mentee memberships
    names: dict[int, str]  # membership -> name

    @classmethod
    def load(cls) -> People:
        people = cls({}, {}, {}, {})
        for pk, program, mentor, name, email in Mentorship.objects.filter(status=Mentorship.Status.ACTIVE).values_list(
            "pk", "cohort__program__name", "mentor__membership_id", "mentor__membership__user__full_name",
            "mentor__membership__user__email",
        ):  # fmt: skip
            people.program[pk], people.mentor[pk], people.names[mentor] = program, mentor, name or email
        for mentorship, mentee, name, email in (
            MentorshipMentee.objects.filter(mentorship__status=Mentorship.Status.ACTIVE)
            .order_by("pk")
            .values_list("mentorship_id", "mentee__membership_id", "mentee__membership__user__full_name",
                         "mentee__membership__user__email")
        ):  # fmt: skip
            people.mentees.setdefault(mentorship, []).append(mentee)
            people.names[mentee] = name or email
        return people

    def other_side(self, row: dict) -> str:
        """Whom the recipient meets: the mentor for a mentee, the mentee(s) for the mentor."""
        if not row["is_mentor"]:
            return self.names[self.mentor[row["mentorship_pk"]]]
        return names_label([self.names[pk] for pk in self.mentees.get(row["mentorship_pk"], [])]) or "your mentees"


@functools.cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _when(moment: datetime, time_zone: str) -> str:
    """The moment where the recipient is, as "Thu 3 Dec, 15:30 (Europe/Berlin)". strftime, not Django's dateformat,
    which costs a millisecond a call: the texts are written in English, as the rest of the product."""
    local = moment.astimezone(_zone(time_zone))
    return f"{local:%a} {local.day} {local:%b, %H:%M} ({time_zone})"


def _day(value: date | datetime, time_zone: str) -> str:
    """A day as "3 Dec 2026" (a moment is taken in the recipient's time zone)."""
    if isinstance(value, datetime):
        value = value.astimezone(_zone(time_zone)).date()
    return f"{value.day} {value:%b %Y}"


class Reminder(NamedTuple):
    title: str
    body: str
    dedupe_key: str
    url: str


class _Writer:
    """Each kind's reminder (title, body, dedupe key, link) from one of its rows; no queries."""

    def __init__(self, people: People, org_slug: str):
        self.people = people
        self.org_slug = org_slug
        self._pages: dict[int, str] = {}

    def page(self, mentorship: int, anchor: str = "") -> str:
        if mentorship not in self._pages:
            self._pages[mentorship] = reverse(
                "mentorship_detail", kwargs={"org_slug": self.org_slug, "mentorship_id": mentorship}
            )
        return f"{self._pages[mentorship]}#{anchor}" if anchor else self._pages[mentorship]

    def upcoming(self, row: dict) -> Reminder:
        where = f" Where: {row['location']}" if row["location"] else ""  # no full stop after a link
        return Reminder(
            f"Mentoring session on {_when(row['starts_at'], row['time_zone'])}",
            f"With {self.people.other_side(row)} in {self.people.program[row['mentorship_pk']]}.{where}",
            f"upcoming:{row['session']}:{row['starts_at']:%Y%m%dT%H%M}",
            self.page(row["mentorship_pk"], "upcoming"),
        )

    def cadence(self, row: dict) -> Reminder:
        since = (
            f"The last session was on {_day(row['last_held'], row['time_zone'])}"
            if row["last_held"]
            else f"No session has been held since the mentorship started on {_day(row['gap_start'], 'UTC')}"
        )
        cadence = row["cadence"]
        return Reminder(
            f"Time to meet {self.people.other_side(row)}",
            f"{since}, and none is scheduled. {self.people.program[row['mentorship_pk']]} suggests {cadence} "
            f"session{'s' if cadence != 1 else ''} a month: schedule the next one.",
            f"cadence:{row['mentorship_pk']}:{row['gap_start']:%Y-%m-%d}",
            self.page(row["mentorship_pk"], "upcoming"),
        )

    def feedback(self, row: dict) -> Reminder:
        return Reminder(
            f"How was your session with {self.people.other_side(row)}?",
            f"Give your feedback on the session of {_day(row['starts_at'], row['time_zone'])} in "
            f"{self.people.program[row['mentorship_pk']]}: a rating and a line or two.",
            f"feedback:{row['session']}",
            reverse("mentorship_session_feedback", kwargs={"org_slug": self.org_slug, "session_id": row["session"]}),
        )

    def assessment(self, row: dict) -> Reminder:
        round_ = START if row["round"] == START.key else END
        items = []
        if row["has_skills"] and row["assessment_missing"]:
            whom = "your mentees" if row["is_mentor"] else "yourself"
            items.append(f"the {Phase(round_.assessment_phase).label.lower()} capability assessment of {whom}")
        if row["pulse_missing"]:
            items.append(f"the collaboration pulse ({PulseSurvey.Phase(round_.pulse_phase).label.lower()})")
        return Reminder(
            f"Due at the {round_.key} of {self.people.program[row['mentorship_pk']]}",
            f"Please fill in {' and '.join(items)}. It takes a few minutes and shows what the mentorship changed.",
            f"assessment:{row['mentorship_pk']}:{round_.key}",
            self.page(row["mentorship_pk"], "due"),
        )

    def confirmation(self, row: dict) -> Reminder:
        logger = self.people.names.get(row["logged_by_id"], "The other side")
        return Reminder(
            f"Confirm the session {logger} logged",
            f"{logger} logged the session of {_day(row['starts_at'], row['time_zone'])} in "
            f"{self.people.program[row['mentorship_pk']]}. Confirm it, or correct what is not right.",
            f"confirm:{row['session']}",
            self.page(row["mentorship_pk"], f"session-{row['session']}"),
        )


KINDS = (
    (Category.SESSION_UPCOMING, upcoming_rows, _Writer.upcoming),
    (Category.CADENCE_GAP, cadence_rows, _Writer.cadence),
    (Category.FEEDBACK_DUE, feedback_rows, _Writer.feedback),
    (Category.ASSESSMENT_DUE, assessment_rows, _Writer.assessment),
    (Category.CONFIRMATION_DUE, confirmation_rows, _Writer.confirmation),
)


def reminders_send(*, now: datetime | None = None) -> dict[str, int]:
    """Find and deliver every reminder of the organization in scope; returns the new notifications per category."""
    now = now or timezone.now()
    found = {category: finder(now) for category, finder, _ in KINDS}
    sent = dict.fromkeys(found, 0)
    if not any(found.values()):
        return sent
    slug = Organization.objects.values_list("slug", flat=True).get(pk=require_organization_id())
    writer = _Writer(People.load(), slug)
    notifications = []
    for category, _finder, write in KINDS:
        for row in found[category]:
            reminder = write(writer, row)
            notifications.append(
                Notification(
                    membership_id=row["recipient"],
                    category=category,
                    title=reminder.title[:200],
                    body=reminder.body,
                    url=reminder.url,
                    dedupe_key=reminder.dedupe_key,
                )
            )
    sent.update(notifications_deliver(notifications))
    return sent
