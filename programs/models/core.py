"""Programs, cohorts, the capability framework, session flow, targets and applications.

Every model is a TenantModel with row-level security. Many-to-many links are explicit TenantModels too (an
automatic through table would carry no organization_id and so no row-level security).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from mentorship.tenancy.models import Membership, TenantModel, validate_languages, validate_time_zone

LEVELS = [MinValueValidator(1), MaxValueValidator(5)]

DEFAULT_STAGES = [
    (
        "Establish trust and define goals",
        "Share backgrounds and expectations to build rapport; co-create specific, measurable goals and a mentoring "
        "roadmap.",
        ["What do you each hope to get from these months?", "Which goal would make the biggest difference by the end?"],
    ),
    (
        "Identify strengths and growth areas",
        "Analyse the mentee's current capabilities and challenges through structured reflection.",
        ["Which strengths does the mentee underuse?", "Which growth area matters most for the goals?"],
    ),
    (
        "Co-create actionable solutions",
        "Brainstorm and prioritise practical strategies for the key challenges; turn them into an implementation plan.",
        ["Which strategy will the mentee try first, and by when?", "What support is needed from the mentor?"],
    ),
    (
        "Review progress and plan forward",
        "Celebrate achievements, extract lessons from the journey and plan sustained growth.",
        ["What changed since the first session?", "What will the mentee keep doing after the program?"],
    ),
]


class Skill(TenantModel):
    """One capability of the organization's framework, rated 1-5 with a description per level."""

    name = models.CharField(max_length=120)
    category = models.CharField(max_length=80, blank=True)
    description = models.TextField(blank=True)
    level_descriptions = ArrayField(
        models.CharField(max_length=200, blank=True),
        size=5,
        default=list,
        blank=True,
        help_text="What levels 1 to 5 mean for this skill.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="skill_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name


class Program(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for enrollment"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        ARCHIVED = "archived", "Archived"

    class Format(models.TextChoices):
        ONE_TO_ONE = "one_to_one", "1:1"
        GROUP = "group", "Group"

    class CrossFunctional(models.TextChoices):
        REQUIRED = "required", "Required: mentor and mentee from different departments"
        PREFERRED = "preferred", "Preferred: a bonus for different departments"
        OFF = "off", "Off"

    class MatchingMode(models.TextChoices):
        ADMIN = "admin", "Admin-led matching"
        MENTEE_CHOICE = "mentee_choice", "Mentees choose from ranked suggestions"

    class Objective(models.TextChoices):
        RETENTION = "retention", "Retention"
        UPSKILLING = "upskilling", "Upskilling"
        COLLABORATION = "collaboration", "Cross-department collaboration"
        SUCCESSION = "succession", "Succession"
        ONBOARDING = "onboarding", "Onboarding"
        LEADERSHIP = "leadership", "Leadership development"
        INNOVATION = "innovation", "Innovation"

    name = models.CharField(max_length=150)
    theme_tag = models.CharField(max_length=80, blank=True, help_text="For example #BuildTogether&GrowTogether")
    description = models.TextField(blank=True)
    objectives = ArrayField(models.CharField(max_length=20, choices=Objective.choices), default=list, blank=True)
    participation_criteria = models.TextField(blank=True)
    mentor_expectations = models.TextField(blank=True)
    mentee_expectations = models.TextField(blank=True)
    format = models.CharField(max_length=12, choices=Format.choices, default=Format.ONE_TO_ONE)
    ratio = models.PositiveSmallIntegerField(
        "mentees per mentor",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="The most mentees one mentor takes (3:1 by default).",
    )
    cadence_per_month = models.PositiveSmallIntegerField(
        "sessions per month", default=1, validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    cross_functional = models.CharField(
        max_length=10, choices=CrossFunctional.choices, default=CrossFunctional.REQUIRED
    )
    matching_mode = models.CharField(max_length=14, choices=MatchingMode.choices, default=MatchingMode.ADMIN)
    matching_weights = models.JSONField(
        default=dict, blank=True, help_text="Weight per matching factor (0-10), over the defaults for those not set."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="program_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_matching_weights(self) -> dict[str, float]:
        """The matching defaults updated by this program's saved weights."""
        from matching.algorithms import DEFAULT_WEIGHTS, FACTORS

        saved = self.matching_weights if isinstance(self.matching_weights, dict) else {}
        return {**DEFAULT_WEIGHTS, **{name: float(value) for name, value in saved.items() if name in FACTORS}}


class ProgramSkill(TenantModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="program_skills")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "program", "skill"], name="program_skill_unique")
        ]


class SessionStage(TenantModel):
    """One stage of the program's session flow, in order (position 1..N)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=150)
    objectives = models.TextField(blank=True)
    reflection_prompts = ArrayField(models.CharField(max_length=300), default=list, blank=True)

    class Meta:
        ordering = ["program", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "program", "position"],
                name="stage_position_unique",
                deferrable=models.Deferrable.DEFERRED,  # reordering swaps positions inside one transaction
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class ProgramTarget(TenantModel):
    """Where a metric starts (baseline) and where the program means to take it (target), in percent or points."""

    class Metric(models.TextChoices):
        PARTICIPATION_RATE = "participation_rate", "Participation rate (%)"
        ATTENDANCE_RATE = "attendance_rate", "Attendance rate (%)"
        CAPABILITY_GROWTH = "capability_growth", "Capability growth (levels)"
        MATCH_RATE = "match_rate", "Match rate (%)"
        CROSS_DEPARTMENT_SHARE = "cross_department_share", "Cross-department matches (%)"
        SATISFACTION = "satisfaction", "Satisfaction (1-5)"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=30, choices=Metric.choices)
    baseline = models.DecimalField(max_digits=7, decimal_places=2)
    target = models.DecimalField(max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["metric"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "program", "metric"], name="target_metric_unique")
        ]


class Cohort(TenantModel):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ENROLLING = "enrolling", "Enrolling"
        MATCHING = "matching", "Matching"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(max_length=120)
    starts_on = models.DateField()
    ends_on = models.DateField()
    enrollment_opens_on = models.DateField()
    enrollment_closes_on = models.DateField()
    capacity = models.PositiveIntegerField("mentee seats", validators=[MinValueValidator(1)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "program", "name"], name="cohort_name_unique_per_program")
        ]

    def __str__(self) -> str:
        return f"{self.program.name}: {self.name}"


class Application(TenantModel):
    class Role(models.TextChoices):
        MENTOR = "mentor", "Mentor"
        MENTEE = "mentee", "Mentee"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        WAITLISTED = "waitlisted", "Waitlisted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class SeniorityPreference(models.TextChoices):
        ANY = "any", "No preference"
        MORE_SENIOR = "more_senior", "Someone more senior"
        PEER = "peer", "A peer"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="applications")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="applications")
    role = models.CharField(max_length=6, choices=Role.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    goals = models.TextField(blank=True, help_text="In your own words: what you want to learn or pass on.")
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True, validators=[validate_languages])
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    meeting_windows = ArrayField(models.CharField(max_length=12), default=list, blank=True)
    capacity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Mentors: how many mentees you can take (up to the program's ratio).",
    )
    prefers_other_department = models.BooleanField(default=True)
    seniority_preference = models.CharField(
        max_length=12, choices=SeniorityPreference.choices, default=SeniorityPreference.ANY
    )
    decline_reason = models.CharField(max_length=300, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "cohort", "membership"], name="one_application_per_cohort")
        ]
        indexes = [models.Index(fields=["organization", "cohort", "role", "status"])]

    def __str__(self) -> str:
        return f"{self.membership} as {self.role} in {self.cohort_id}"


class ApplicationSkill(TenantModel):
    """A skill a mentor offers (level) or a mentee wants (level = current, target_level = wanted)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(validators=LEVELS)
    target_level = models.PositiveSmallIntegerField(null=True, blank=True, validators=LEVELS)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "application", "skill"], name="application_skill_unique")
        ]


class Mentorship(TenantModel):
    """A published match: one mentor with one mentee (1:1 programs) or with a group of up to the program's ratio.

    Created by `matching.services.match_run_publish` from the proposals of a cohort's latest finished run; `run`
    and `published_by` say where and by whom it came from. Its mentees are `MentorshipMentee` rows.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="mentorships")
    mentor = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="mentorships_as_mentor")
    format = models.CharField(max_length=12, choices=Program.Format.choices, default=Program.Format.ONE_TO_ONE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    run = models.ForeignKey(
        "matching.MatchRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="mentorships"
    )
    published_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["cohort", "id"]
        indexes = [models.Index(fields=["organization", "cohort", "status"])]

    def __str__(self) -> str:
        return f"Mentorship {self.pk} of mentor {self.mentor_id} in cohort {self.cohort_id}"


class MentorshipMentee(TenantModel):
    """A mentee of a mentorship; an application is the mentee of at most one mentorship."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="mentees")
    mentee = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["mentorship", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "mentee"], name="one_mentorship_per_mentee_application")
        ]

    def __str__(self) -> str:
        return f"{self.mentee_id} in mentorship {self.mentorship_id}"
