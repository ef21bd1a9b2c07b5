"""The mentorship workspace: what mentors and mentees log once a match is published.

Everything hangs off a `Mentorship` (programs.models.core): sessions with per-participant attendance, shared notes
on the session and private notes in a table of their own (so no query that reads sessions can carry them), goals
with progress updates, action items, feedback per session, capability assessments (self and mentor, at baseline,
midpoint and final), the collaboration pulse, and the reminders and recognition built on them.

Participants are named by their `Membership` where a person acts (author, owner, attendee) and by their cohort
`Application` where the row belongs to the enrollment (assessments, pulse, recognition), so a re-match keeps it.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.expressions import RawSQL

from mentorship.tenancy.models import Membership, TenantModel
from programs.models.core import LEVELS, Application, Cohort, Mentorship, SessionStage, Skill

MIN_SESSION_MINUTES = 5
MAX_SESSION_MINUTES = 480


class MentoringSession(TenantModel):
    """One meeting of a mentorship: scheduled ahead, then logged as held (or cancelled).

    Either side may log it; until someone from the other side confirms or corrects it, `confirmation` says it was
    logged by one side only.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    class Confirmation(models.TextChoices):
        NOT_LOGGED = "not_logged", "Not logged yet"
        ONE_SIDED = "one_sided", "Logged by one side"
        CONFIRMED = "confirmed", "Confirmed by both sides"
        CORRECTED = "corrected", "Corrected by the other side"

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="sessions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    starts_at = models.DateTimeField("when")
    duration_minutes = models.PositiveSmallIntegerField(
        "duration (minutes)",
        default=60,
        validators=[MinValueValidator(MIN_SESSION_MINUTES), MaxValueValidator(MAX_SESSION_MINUTES)],
    )
    location = models.CharField("place or video link", max_length=300, blank=True)
    stage = models.ForeignKey(SessionStage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    topics = models.CharField(max_length=300, blank=True)
    shared_notes = models.TextField(blank=True, help_text="Visible to everyone in this mentorship.")
    reflection_answers = models.JSONField(
        default=list, blank=True, help_text='Answers to the stage\'s prompts: [{"prompt": ..., "answer": ...}].'
    )
    scheduled_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    logged_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    logged_at = models.DateTimeField(null=True, blank=True)
    confirmation = models.CharField(max_length=10, choices=Confirmation.choices, default=Confirmation.NOT_LOGGED)
    confirmed_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The UTC month of starts_at as year * 12 + month - 1, kept by PostgreSQL: the nightly metrics group a million
    # sessions by month, and reading a column costs a fraction of computing it for each row (analytics/sql.py).
    month_index = models.GeneratedField(
        expression=RawSQL(
            "date_part('year', starts_at AT TIME ZONE 'UTC')::int * 12"
            " + date_part('month', starts_at AT TIME ZONE 'UTC')::int - 1",
            [],
        ),
        output_field=models.IntegerField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-starts_at"]
        indexes = [
            models.Index(fields=["organization", "mentorship", "starts_at"]),
            models.Index(fields=["organization", "status", "starts_at"]),
            # "Changed since the last run": what the incremental metrics run recomputes (analytics/compute.py).
            models.Index(fields=["organization", "updated_at"]),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk} of mentorship {self.mentorship_id} at {self.starts_at:%Y-%m-%d %H:%M}"


class SessionAttendance(TenantModel):
    """Whether one participant of the mentorship attended a held session (every participant has a row)."""

    class Role(models.TextChoices):
        MENTOR = "mentor", "Mentor"
        MENTEE = "mentee", "Mentee"

    session = models.ForeignKey(MentoringSession, on_delete=models.CASCADE, related_name="attendance")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=6, choices=Role.choices)
    attended = models.BooleanField(default=True)

    class Meta:
        ordering = ["session", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "session", "membership"], name="attendance_once")
        ]
        indexes = [
            models.Index(fields=["organization", "membership"]),
            # The absences alone, about a tenth of the rows, for the nightly metrics (analytics/sql.py).
            models.Index(
                fields=["organization", "session", "membership"],
                condition=models.Q(attended=False),
                name="attendance_absent",
            ),
        ]


class PrivateNote(TenantModel):
    """A participant's own note on a session: readable and writable by its author alone (no admin, HR or API of
    anyone else), and read by no metric."""

    session = models.ForeignKey(MentoringSession, on_delete=models.CASCADE, related_name="private_notes")
    author = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "session", "author"], name="private_note_per_author")
        ]


class Goal(TenantModel):
    """A SMART goal of one mentee in a mentorship, optionally tied to one of the program's skills."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        ACHIEVED = "achieved", "Achieved"
        DROPPED = "dropped", "Dropped"

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="goals")
    mentee = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="workspace_goals")
    title = models.CharField("what", max_length=200)
    measure = models.CharField("how progress is measured", max_length=300, blank=True)
    target_date = models.DateField(null=True, blank=True)
    skill = models.ForeignKey(Skill, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    progress = models.PositiveSmallIntegerField(
        "progress (%)", default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    achieved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["target_date", "id"]
        indexes = [
            models.Index(fields=["organization", "mentorship", "status"]),
            models.Index(fields=["organization", "updated_at"]),  # changed since the last metrics run
        ]

    def __str__(self) -> str:
        return self.title


class GoalUpdate(TenantModel):
    """A progress update on a goal: a note, the progress and the status it moved the goal to."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(100)])
    status = models.CharField(max_length=12, choices=Goal.Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ActionItem(TenantModel):
    """Something one participant agreed to do, with an owner and a due date; optionally towards a goal."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="action_items")
    goal = models.ForeignKey(Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="action_items")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done_at", "due_on", "id"]
        indexes = [models.Index(fields=["organization", "mentorship"])]

    def __str__(self) -> str:
        return self.title


class SessionFeedback(TenantModel):
    """A participant's feedback on a held session; after the first session it also asks about the pairing fit
    ("not a good fit" opens a re-match request)."""

    class PairingFit(models.TextChoices):
        GOOD = "good", "Good fit"
        UNSURE = "unsure", "Unsure"
        NOT_GOOD = "not_good", "Not a good fit"

    session = models.ForeignKey(MentoringSession, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(validators=LEVELS)
    comment = models.TextField(blank=True)
    pairing_fit = models.CharField(max_length=8, choices=PairingFit.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "session", "author"], name="feedback_once")]
        indexes = [models.Index(fields=["organization", "created_at"])]  # given since the last metrics run


class CapabilityAssessment(TenantModel):
    """One rating of a mentee on one skill: by the mentee (self) or the mentor, at baseline, midpoint or final."""

    class Phase(models.TextChoices):
        BASELINE = "baseline", "Baseline (start)"
        MIDPOINT = "midpoint", "Midpoint"
        FINAL = "final", "Final (end)"

    class Rater(models.TextChoices):
        SELF = "self", "Self"
        MENTOR = "mentor", "Mentor"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="+")
    mentee = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="assessments")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="+")
    phase = models.CharField(max_length=8, choices=Phase.choices)
    rater = models.CharField(max_length=6, choices=Rater.choices)
    assessor = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, related_name="+")
    level = models.PositiveSmallIntegerField(validators=LEVELS)
    evidence = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mentee", "skill", "phase", "rater"], name="assessment_once_per_phase"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "cohort", "phase"]),
            models.Index(fields=["organization", "updated_at"]),  # changed since the last metrics run
        ]


class PulseSurvey(TenantModel):
    """The collaboration pulse of one participant at the start and at the end of the cohort."""

    class Phase(models.TextChoices):
        START = "start", "Start"
        END = "end", "End"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="pulses")
    phase = models.CharField(max_length=5, choices=Phase.choices)
    cross_department_colleagues = models.PositiveSmallIntegerField(
        "colleagues in other departments you work with each month",
        validators=[MaxValueValidator(500)],
    )
    trust_other_departments = models.PositiveSmallIntegerField("trust in other departments (1-5)", validators=LEVELS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "application", "phase"], name="pulse_once")]
        indexes = [models.Index(fields=["organization", "created_at"])]  # answered since the last metrics run


class Notification(TenantModel):
    """An in-app notification (and the email sent with it). `dedupe_key` makes reminders idempotent: the same
    reminder for the same person is recorded, and so sent, once."""

    class Category(models.TextChoices):
        SESSION_UPCOMING = "session_upcoming", "Upcoming sessions"
        CADENCE_GAP = "cadence_gap", "No session within the program's cadence"
        FEEDBACK_DUE = "feedback_due", "Feedback due"
        ASSESSMENT_DUE = "assessment_due", "Assessments and pulse surveys due"
        CONFIRMATION_DUE = "confirmation_due", "Sessions to confirm"
        RECOGNITION = "recognition", "Certificates and badges"

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200)
    emailed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "membership", "dedupe_key"], name="notification_once")
        ]
        indexes = [models.Index(fields=["organization", "membership", "read_at"])]


class NotificationPreference(TenantModel):
    """The notification categories one member turned off (neither email nor in-app)."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    muted_categories = ArrayField(
        models.CharField(max_length=20, choices=Notification.Category.choices), default=list, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "membership"], name="notification_preference_once")
        ]


class CalendarFeed(TenantModel):
    """A member's personal calendar feed: the URL carries a secret token, stored here only as its hash."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "membership"])]


class Recognition(TenantModel):
    """A participant completed the program's flow (every stage held, final assessment in): the certificate's
    figures are frozen here when it is awarded."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="recognitions")
    role = models.CharField(max_length=6, choices=Application.Role.choices)
    awarded_at = models.DateTimeField(auto_now_add=True)
    sessions_held = models.PositiveIntegerField(default=0)
    minutes = models.PositiveIntegerField(default=0)
    people = models.PositiveSmallIntegerField(default=0, help_text="Mentors: the mentees they mentored.")
    skills = ArrayField(models.CharField(max_length=120), default=list, blank=True)

    class Meta:
        ordering = ["-awarded_at"]
        constraints = [models.UniqueConstraint(fields=["organization", "application"], name="recognition_once")]

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)
