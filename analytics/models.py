"""Metric snapshots and the runs that compute them.

`MetricSnapshot` holds one figure per (organization, metric, scope, department, period, dimension): written by the
nightly computation with INSERT ... ON CONFLICT DO UPDATE, so a rerun or a retried task rewrites the same rows and
never adds duplicates; read by analytics/selectors.py (which applies the suppression). `MetricsRun` records each
computation of an organization: its mode, the periods it recomputed, its progress and how it ended, so a run that
died half way, or whose task message was lost, is recognised and re-enqueued (analytics/reconcile.py).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator
from django.db import models

from analytics.definitions import SCOPE_TYPES
from mentorship.tenancy.models import Membership, TenantModel


class MetricSnapshot(TenantModel):
    """One figure. See docs/metrics.md for each metric's numerator, denominator, group size and dimensions.

    * scope: `scope_type` organization (scope_id 0), program or cohort (scope_id is its id), narrowed to one
      department by `department_id` (0: all departments, -1: people without a department);
    * `period`: a month `YYYY-MM` or `to-date`;
    * `value` from `numerator` / `denominator` as the metric's kind says; `extra` holds what else the figure needs
      (confidence interval, effect size, the departments of a gap, the sums a paired figure rolls up from);
    * `suppression`: '' (shown), `small_group` (fewer people than the minimum group size) or `complementary`
      (hidden so that a small group cannot be derived by subtraction), decided with the organization's minimum
      group size at computation time; selectors never return a suppressed figure's numbers;
    * `computed_at`: when a run last changed this row (a rerun that finds the same figure leaves it untouched).
    """

    class ScopeType(models.TextChoices):
        ORGANIZATION = SCOPE_TYPES[0], "Organization"
        PROGRAM = SCOPE_TYPES[1], "Program"
        COHORT = SCOPE_TYPES[2], "Cohort"

    class Suppression(models.TextChoices):
        SHOWN = "", "Shown"
        SMALL_GROUP = "small_group", "Fewer people than the minimum group size"
        COMPLEMENTARY = "complementary", "Hidden so that a small group cannot be derived"

    metric = models.CharField(max_length=40)
    scope_type = models.CharField(max_length=12, choices=ScopeType.choices)
    scope_id = models.BigIntegerField(default=0)
    department_id = models.BigIntegerField(default=0)
    period = models.CharField(max_length=7)
    dimension = models.CharField(max_length=120, blank=True, default="")
    numerator = models.FloatField(null=True)
    denominator = models.FloatField(null=True)
    value = models.FloatField(null=True)
    group_size = models.PositiveIntegerField(default=0)
    extra = models.JSONField(default=dict, blank=True)
    suppression = models.CharField(max_length=13, choices=Suppression.choices, blank=True, default="")
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "metric", "scope_type", "scope_id", "department_id", "period", "dimension"],
                name="metric_snapshot_key",
            )
        ]
        indexes = [
            # The computation's slices (a family's metrics over some periods) and the selectors' reads (a metric
            # over periods at a scope) both lead with metric; the unique key above serves exact lookups.
            models.Index(fields=["organization", "metric", "period", "scope_type", "scope_id"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.metric} {self.scope_type}:{self.scope_id} dep {self.department_id} {self.period} {self.dimension}"
        )


class MetricsRun(TenantModel):
    """One computation of an organization's metrics (nightly, backfill or "recompute now")."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (another computation was running)"

    class Mode(models.TextChoices):
        FULL = "full", "Full: every month since the first cohort"
        INCREMENTAL = "incremental", "Incremental: the months and cohorts that can still change"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.FULL)
    from_month = models.CharField(
        max_length=7, blank=True, help_text="Full runs only: recompute the months from this one (YYYY-MM) on."
    )
    periods = ArrayField(
        models.CharField(max_length=7), default=list, blank=True, help_text="The months recomputed (and to-date)."
    )
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    phase = models.CharField(max_length=60, blank=True)
    min_group_size = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The suppression threshold.")
    requested_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last progress of a running run.")
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reconciler last sent its task again (else: created_at)."
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="How often the reconciler re-enqueued it.")
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_written = models.PositiveIntegerField(default=0)
    rows_deleted = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"Metrics run {self.pk} ({self.mode}, {self.status})"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
