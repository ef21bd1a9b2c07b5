"""The HR dashboard's body (freshness line, filters, cards, charts and tables), rendered once and kept in the cache.

The figures only change when a metrics computation writes snapshots, yet building and rendering them was most of
the page's cost (the load test's HR dashboard at 1M sessions). The body (templates/analytics/_dashboard_body.html)
holds nothing about the signed-in person: the navigation, the CSRF token and "Recompute now" are rendered for each
request around it (analytics/views.py).

The key holds everything the body is made from, so two requests share an entry only when they would render the
same HTML:

* the organization (id, slug for the links, minimum group size);
* what the viewer may see: full access or not, and the programs, cohorts and departments offered to them (ids and
  names, in order), so a program admin's entry is never another's unless they may see exactly the same programs;
* the filter values as sent (the form shows them back, errors included);
* the metrics version (`MetricsStatus.version`): the latest successful run and the state of the recent runs, which
  changes whenever a computation starts, progresses, succeeds or fails; and a counter bumped whenever snapshot
  rows are saved or deleted through the ORM (tests, fixtures; the computation itself writes with SQL inside a run);
* what the body reads besides the snapshots and can change without a computation: the chosen program's targets and
  the skills' names.

A cache that cannot be reached is skipped: the page is then rendered as before, without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from redis.exceptions import RedisError

from analytics.access import DashboardFilters, Viewer
from analytics.dashboard import dashboard_build, program_targets
from analytics.selectors import MetricsStatus
from programs.models import Skill

logger = logging.getLogger(__name__)

TEMPLATE = "analytics/_dashboard_body.html"
KEY_PREFIX = "analytics:dashboard:v1"
TIMEOUT = 15 * 60  # seconds; a new metrics version makes an entry unreachable sooner
FILTER_NAMES = ("program", "cohort", "department", "period")
CACHE_ERRORS = (RedisError, OSError)  # an unreachable or failing cache: carry on without it


def _snapshot_counter_key(organization_id: int) -> str:
    return f"{KEY_PREFIX}:snapshots:{organization_id}"


def snapshots_changed(organization_id: int) -> None:
    """Bump the organization's snapshot counter: now (the writing connection sees its own rows at once) and again
    once the transaction commits (other requests see them only then)."""

    def bump():
        try:
            cache.incr(_snapshot_counter_key(organization_id))
        except ValueError:  # not set yet
            cache.add(_snapshot_counter_key(organization_id), 1, timeout=None)
        except CACHE_ERRORS:  # an unreachable cache holds nothing to invalidate
            logger.warning("dashboard cache: could not bump the snapshot counter", exc_info=True)

    bump()
    transaction.on_commit(bump)


def _snapshot_counter(organization_id: int) -> int:
    return cache.get(_snapshot_counter_key(organization_id), 0)


def _viewer_scope(viewer: Viewer) -> list:
    return [
        viewer.full_access,
        viewer.can_recompute,
        [(program.pk, program.name) for program in viewer.programs],
        [(cohort.pk, cohort.program_id, str(cohort)) for cohort in viewer.cohorts],
        [(department.pk, department.name) for department in viewer.departments],
    ]


@dataclass(frozen=True)
class Inputs:
    """What the body reads besides the snapshots and the viewer, editable without a computation: the selected
    program's targets and every skill's name. Read once, for the key and for `dashboard_build`."""

    targets: dict[str, tuple[float, float]]
    skill_names: dict[int, str]

    @classmethod
    def read(cls, filters: DashboardFilters) -> Inputs:
        program = filters.selected_program() if filters.is_valid() else None
        targets = program_targets(program) if program is not None else {}
        return cls(targets, dict(Skill.objects.values_list("pk", "name")))

    def key(self) -> list:
        return [sorted(self.targets.items()), sorted(self.skill_names.items())]


def cache_key(*, organization, viewer: Viewer, filters: DashboardFilters, status: MetricsStatus, inputs: Inputs) -> str:
    """Everything the body is made from (the module's docstring); reads the cache (the snapshot counter)."""
    parts = [
        organization.pk,
        organization.slug,
        organization.min_group_size,
        _viewer_scope(viewer),
        [filters.data.get(name) for name in FILTER_NAMES],
        status.version,
        inputs.key(),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        _snapshot_counter(organization.pk),
    ]
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
    return f"{KEY_PREFIX}:{organization.pk}:{digest}"


def _render(*, organization, viewer: Viewer, filters: DashboardFilters, status: MetricsStatus, inputs: Inputs) -> str:
    dashboard = dashboard_build(
        viewer=viewer, filters=filters, organization=organization, status=status, targets=inputs.targets,
        skill_names=inputs.skill_names,
    )  # fmt: skip
    context = {
        "organization": organization,
        "filters": filters,
        "dashboard": dashboard,
        "computed_at": dashboard.computed_at,
        "exports": filters.is_valid(),
        "query": filters.query_string() if filters.is_valid() else "",
    }
    return render_to_string(TEMPLATE, context)


def dashboard_body(*, organization, viewer: Viewer, filters: DashboardFilters, status: MetricsStatus) -> SafeString:
    """The rendered body for this viewer and these filters: from the cache, else rendered and stored."""
    inputs = Inputs.read(filters)
    try:
        key = cache_key(organization=organization, viewer=viewer, filters=filters, status=status, inputs=inputs)
        body = cache.get(key)
    except CACHE_ERRORS:  # the page does not depend on the cache
        logger.warning("dashboard cache unavailable; rendering without it", exc_info=True)
        key, body = None, None
    if body is None:
        body = _render(organization=organization, viewer=viewer, filters=filters, status=status, inputs=inputs)
        if key is not None:
            try:
                cache.set(key, body, timeout=TIMEOUT)
            except CACHE_ERRORS:
                logger.warning("dashboard cache: could not store the body", exc_info=True)
    return mark_safe(body)  # rendered by our own template, autoescaped
