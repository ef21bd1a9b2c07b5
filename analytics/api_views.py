"""The metrics API under /api/orgs/<org_slug>/: `GET metrics/`, the snapshot figures with the dashboard's filters.

Same roles as the dashboard (analytics/access.py): HR analysts and org admins read every scope, program admins
the programs they created and their cohorts (the organization scope is 403 for them), members 403. Same
suppression: a suppressed figure comes back with `suppressed: true` and no numbers. A query parameter this endpoint
does not know is a 400 naming it; another organization's (or, for a program admin, another admin's) program or
cohort id is a 404.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers

from analytics.access import ANALYTICS_ROLES, PERIOD_RE, analytics_viewer
from analytics.dashboard import visible_figure
from analytics.definitions import COHORT, METRICS, NO_DEPARTMENT, ORGANIZATION, PROGRAM, SCOPE_TYPES, TO_DATE
from analytics.models import MetricSnapshot
from analytics.privacy import REASONS
from analytics.selectors import metrics_status
from analytics.tables import suppressed_text
from mentorship.tenancy.api import OrganizationAPIMixin

PAGE_PARAMETERS = {"page"}
MAX_ID = 2**63 - 1  # bigint: a larger id would fail in the database instead of in validation


class MetricsQuerySerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=sorted(METRICS), required=False, help_text="A metric slug.")
    scope = serializers.ChoiceField(
        choices=SCOPE_TYPES,
        required=False,
        help_text="organization, program or cohort. Default: cohort when `cohort` is given, program when "
        "`program` is, else organization (program admins: their programs).",
    )
    program = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    cohort = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    department = serializers.IntegerField(
        required=False,
        min_value=NO_DEPARTMENT,
        max_value=MAX_ID,
        help_text="A department id (-1: people without a department). Default: all departments together (0).",
    )
    period = serializers.CharField(required=False, help_text="A month YYYY-MM or to-date. Default: every period.")

    def validate_period(self, value: str) -> str:
        if value != TO_DATE and not PERIOD_RE.match(value):
            raise serializers.ValidationError("Give a month as YYYY-MM, or to-date.")
        return value


class MetricFigureSerializer(serializers.Serializer):
    metric = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    scope = serializers.ChoiceField(choices=SCOPE_TYPES)
    scope_id = serializers.IntegerField(help_text="The program or cohort id; 0 for the organization.")
    department = serializers.IntegerField(help_text="0: all departments; -1: people without a department.")
    period = serializers.CharField(help_text="YYYY-MM or to-date.")
    dimension = serializers.CharField(help_text='"" for the headline figure; see docs/metrics.md.')
    suppressed = serializers.BooleanField()
    suppressed_reason = serializers.CharField(allow_blank=True)
    value = serializers.FloatField(allow_null=True)
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    group_size = serializers.IntegerField(allow_null=True, help_text="The people behind the figure.")
    extra = serializers.DictField(help_text="Confidence interval, effect size, gap departments... (if any).")
    computed_at = serializers.DateTimeField()


# The sums a paired figure is rolled up from stay inside: with them a reader could rebuild a suppressed cell.
INTERNAL_EXTRA = {"sum_sq", "improved", "before_sum", "after_sum"}


@extend_schema(
    parameters=[
        MetricsQuerySerializer,
        OpenApiParameter("page", OpenApiTypes.INT, description="Page number (50 figures a page)."),
    ],
    responses={
        200: MetricFigureSerializer(many=True),
        400: OpenApiResponse(description="An unknown query parameter or an invalid value, keyed by the parameter."),
        403: OpenApiResponse(description="Members; program admins asking for the organization scope."),
        404: OpenApiResponse(
            description="A program, cohort or department that is not in the organization (or, "
            "for a program admin, not theirs)."
        ),
    },
)
class MetricsListAPI(OrganizationAPIMixin, generics.ListAPIView):
    """Metric figures of the organization (snapshots, after suppression), filtered like the HR dashboard."""

    required_roles = ANALYTICS_ROLES
    serializer_class = MetricFigureSerializer
    filter_backends = []  # the query parameters are validated by MetricsQuerySerializer below

    def list(self, request, *args, **kwargs):
        unknown = sorted(set(request.query_params) - set(MetricsQuerySerializer().fields) - PAGE_PARAMETERS)
        if unknown:
            known = ", ".join([*MetricsQuerySerializer().fields, *PAGE_PARAMETERS])
            raise exceptions.ValidationError({name: [f"Unknown filter; use {known}."] for name in unknown})
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        self.query = query.validated_data
        self.viewer = analytics_viewer(self.membership)
        page = self.paginate_queryset(self.get_queryset())
        min_size = self.organization.min_group_size
        pending = metrics_status(organization=self.organization).pending
        figures = [self._figure(row, min_size, pending=pending) for row in page]
        return self.get_paginated_response(self.get_serializer(figures, many=True).data)

    def get_queryset(self):
        query, viewer = self.query, self.viewer
        rows = MetricSnapshot.objects.all()
        program = cohort = None
        if "program" in query:
            program = next((p for p in viewer.programs if p.pk == query["program"]), None)
            if program is None:
                raise Http404("No such program.")
        if "cohort" in query:
            cohort = next((c for c in viewer.cohorts if c.pk == query["cohort"]), None)
            if cohort is None or (program is not None and cohort.program_id != program.pk):
                raise Http404("No such cohort.")
        department = query.get("department", 0)
        if department not in (0, NO_DEPARTMENT) and not any(d.pk == department for d in viewer.departments):
            raise Http404("No such department.")
        scope = query.get("scope") or (COHORT if cohort else PROGRAM if program else ORGANIZATION)
        if scope == ORGANIZATION and not viewer.full_access:
            if "scope" in query:
                raise exceptions.PermissionDenied("Program admins read the metrics of their own programs only.")
            scope = None  # a program admin's default: every scope of their programs
        if scope == ORGANIZATION and (program or cohort):
            raise exceptions.ValidationError({"scope": ["The organization scope takes no program or cohort."]})
        if scope == PROGRAM and cohort:
            raise exceptions.ValidationError({"scope": ["Use scope=cohort (or leave it out) with a cohort."]})
        rows = self._scoped(rows, scope, program, cohort)
        rows = rows.filter(department_id=department)
        if "metric" in query:
            rows = rows.filter(metric=query["metric"])
        if "period" in query:
            rows = rows.filter(period=query["period"])
        return rows.order_by("metric", "scope_type", "scope_id", "department_id", "period", "dimension", "pk")

    def _scoped(self, rows, scope, program, cohort):
        viewer = self.viewer
        if scope == ORGANIZATION:
            return rows.filter(scope_type=ORGANIZATION)
        if scope == COHORT:
            if cohort is not None:
                return rows.filter(scope_type=COHORT, scope_id=cohort.pk)
            cohorts = [c.pk for c in viewer.cohorts if program is None or c.program_id == program.pk]
            if viewer.full_access and program is None:
                return rows.filter(scope_type=COHORT)
            return rows.filter(scope_type=COHORT, scope_id__in=cohorts)
        if scope == PROGRAM:
            if program is not None:
                return rows.filter(scope_type=PROGRAM, scope_id=program.pk)
            if viewer.full_access:
                return rows.filter(scope_type=PROGRAM)
            return rows.filter(scope_type=PROGRAM, scope_id__in=[p.pk for p in viewer.programs])
        # A program admin without a scope: their programs and their cohorts.
        return rows.filter(scope_type=PROGRAM, scope_id__in=[p.pk for p in viewer.programs]) | rows.filter(
            scope_type=COHORT, scope_id__in=[c.pk for c in viewer.cohorts]
        )

    def _figure(self, row: MetricSnapshot, min_size: int, *, pending: bool) -> dict:
        figure = visible_figure(row, min_size, hide=pending)
        definition = METRICS.get(row.metric)
        return {
            "metric": row.metric,
            "label": definition.label if definition else row.metric,
            "unit": definition.unit if definition else "",
            "scope": row.scope_type,
            "scope_id": row.scope_id,
            "department": row.department_id,
            "period": row.period,
            "dimension": row.dimension,
            "suppressed": figure.hidden,
            "suppressed_reason": (REASONS["pending"] if pending else suppressed_text(min_size))
            if figure.hidden
            else "",
            "value": figure.value,
            "numerator": figure.numerator,
            "denominator": figure.denominator,
            "group_size": figure.group_size,
            "extra": {key: value for key, value in figure.extra.items() if key not in INTERNAL_EXTRA},
            "computed_at": row.computed_at,
        }
