"""Match runs, their proposals and the mentees a run could not match.

A `MatchRun` scores the accepted applications of one cohort, solves the assignment and stores one `MatchProposal`
per matched mentee (with each factor's contribution to the score) and one `UnmatchedMentee` per mentee left out
(with the reason). Admins decide on the proposals of the latest finished run of a cohort: lock, reject, hand-pick;
a new run keeps the locked and hand-picked pairs and avoids the rejected ones. All TenantModels with row-level
security.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models

from mentorship.tenancy.models import Membership, TenantModel
from programs.models import Application, Cohort


class MatchRun(TenantModel):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Phase(models.TextChoices):
        CANDIDATES = "candidates", "Finding and scoring candidates"
        ASSIGNMENT = "assignment", "Optimal assignment"
        EXPLANATIONS = "explanations", "Explanations"

    class Objective(models.TextChoices):
        SCORE = "score", "Highest total score"
        COVERAGE = "coverage", "Most mentees matched, then highest score"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="match_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    phase = models.CharField(max_length=14, choices=Phase.choices, blank=True)
    objective = models.CharField(max_length=10, choices=Objective.choices, default=Objective.SCORE)
    weights = models.JSONField(default=dict, blank=True, help_text="The factor weights used: {factor: weight}.")
    summary = models.JSONField(default=dict, blank=True, help_text="Figures of the run and of greedy on its scores.")
    started_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "cohort", "-created_at"])]

    def __str__(self) -> str:
        return f"Match run {self.pk} of cohort {self.cohort_id}"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class MatchProposal(TenantModel):
    """One proposed pair of a run. ``factors`` holds each factor's weighted contribution (they sum to ``score``).

    ``published`` is set when the proposals of a run are published (the mentorships are created); published,
    locked and hand-picked pairs count as having met for the rotation rule of later cohorts of the program.
    """

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        LOCKED = "locked", "Locked"
        REJECTED = "rejected", "Rejected"
        HAND_PICKED = "hand_picked", "Hand-picked"
        PUBLISHED = "published", "Published"

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="proposals")
    mentee = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    factors = models.JSONField(default=dict, blank=True, help_text="{factor: weighted contribution}")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PROPOSED)
    warnings = models.JSONField(
        default=list, blank=True, help_text="Rules or capacity a hand-picked (or kept) pair breaks: [{code, message}]."
    )

    class Meta:
        ordering = ["run", "-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "run", "mentee"], name="one_proposal_per_mentee_per_run")
        ]
        indexes = [models.Index(fields=["organization", "run", "mentor"])]

    def __str__(self) -> str:
        return f"{self.mentee_id} -> {self.mentor_id} ({self.score:.2f})"


class UnmatchedMentee(TenantModel):
    """A mentee a run left without a mentor, and why. ``rules`` counts the candidates each hard rule removed."""

    class Reason(models.TextChoices):
        NO_MENTORS = "no_mentors", "No mentor in the cohort has a free seat"
        NO_CANDIDATES = "no_candidates", "No mentor offers a wanted skill above the mentee's level"
        RULES = "rules", "Every candidate mentor is excluded by a rule"
        CAPACITY = "capacity", "Allowed mentors' seats are taken"

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="unmatched")
    mentee = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=14, choices=Reason.choices)
    detail = models.TextField(blank=True)
    rules = models.JSONField(default=dict, blank=True, help_text="{rule: candidate mentors it removed}")

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "run", "mentee"], name="one_unmatched_per_mentee_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.mentee_id} unmatched: {self.reason}"


class MentorRequest(TenantModel):
    """Mentee choice mode: a mentee's request to one of their suggested mentors (`matching.choice`).

    A mentee has at most one open (``requested``) request per cohort. The mentor accepts (a seat of their capacity
    is taken) or declines; an unanswered request expires at ``expires_at``. Declined, expired and withdrawn requests
    leave the mentee free to request the next suggestion, and the declined or expired mentor is not suggested again.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="mentor_requests")
    mentee = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="mentor_requests_sent")
    mentor = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="mentor_requests_received")
    rank = models.PositiveSmallIntegerField(help_text="The mentor's place among the mentee's suggestions (1 = best).")
    score = models.FloatField(default=0)
    factors = models.JSONField(default=dict, blank=True, help_text="{factor: weighted contribution}")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mentee"],
                condition=models.Q(status="requested"),
                name="one_open_mentor_request_per_mentee",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "mentor", "status"]),
            models.Index(fields=["organization", "status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.mentee_id} -> {self.mentor_id} ({self.status})"


class RematchRequest(TenantModel):
    """A participant's "not a good fit" on a match (`matching.rematch`), resolved by an admin from the queue.

    Once the cohort is published the current pair is the mentee's active mentorship, and resolving moves the mentee
    to a mentorship of the new mentor. Before that it is the mentee's proposal in the cohort's latest finished run
    (resolving rewrites it, hand-picked), or the accepted mentor request in mentee-choice cohorts (see
    `matching.rematch`).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="rematch_requests")
    mentee = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="rematch_requests")
    current_mentor = models.ForeignKey(Application, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.TextField(max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    chosen_mentor = models.ForeignKey(Application, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mentee"],
                condition=models.Q(status="open"),
                name="one_open_rematch_request_per_mentee",
            )
        ]
        indexes = [models.Index(fields=["organization", "cohort", "status"])]

    def __str__(self) -> str:
        return f"Re-match of {self.mentee_id} ({self.status})"
