"""HR dashboard pages: the dashboard, its CSV/XLSX exports, the printable impact report and "Recompute now".

Roles as in analytics/access.py (HR analysts and org admins everything, program admins their own programs, members
403). The middleware has entered the organization's scope; every figure comes from `dashboard_build`, which reads
the snapshots after suppression.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from analytics import exports, report
from analytics.access import DashboardFilters, analytics_viewer
from analytics.dashboard import SECTION_KEYS, dashboard_build
from analytics.dashboard_cache import dashboard_body
from analytics.models import MetricsRun
from analytics.selectors import metrics_status
from analytics.services import live_run, metrics_recompute_start
from mentorship.audit.services import record_export


def _dashboard(request):
    viewer = analytics_viewer(request.membership)
    filters = DashboardFilters(request.GET, viewer=viewer)
    dashboard = dashboard_build(viewer=viewer, filters=filters, organization=request.organization)
    return viewer, filters, dashboard


@require_GET
def dashboard(request, org_slug):
    """The body below the heading comes from the cache (analytics/dashboard_cache.py); the navigation, the CSRF
    token and "Recompute now" are rendered for this request."""
    viewer = analytics_viewer(request.membership)
    filters = DashboardFilters(request.GET, viewer=viewer)
    status = metrics_status(organization=request.organization)
    body = dashboard_body(organization=request.organization, viewer=viewer, filters=filters, status=status)
    context = {"viewer": viewer, "body": body, "run": status.last_run if viewer.can_recompute else None}
    return render(request, "analytics/dashboard.html", context)


@require_GET
def export(request, org_slug, table, fmt):
    """One dashboard table as CSV or XLSX, with the page's filters; suppressed cells say so instead of a number."""
    if table not in SECTION_KEYS or fmt not in exports.FORMATS:
        raise Http404("No such export.")
    _viewer, filters, dashboard = _dashboard(request)
    if not filters.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filters.errors.items())
        return HttpResponse(f"Invalid filters. {problems}", status=400, content_type="text/plain; charset=utf-8")
    data = dashboard.table(table)
    about = [
        ("Organization", request.organization.name),
        ("Selection", f"{dashboard.scope_label}, {dashboard.period_label}"),
        ("Computed at", dashboard.computed_at.isoformat() if dashboard.computed_at else "not computed yet"),
        ("Exported at", timezone.now().isoformat(timespec="seconds")),
        ("Privacy", f"Figures about fewer than {dashboard.min_group_size} people are not shown."),
    ]
    filename = f"{request.organization.slug}-{data.key}-{timezone.localdate().isoformat()}"
    response = exports.export_response(data, fmt, filename=filename, about=about)
    record_export(name=f"HR dashboard: {table}", fmt=fmt, filters=request.GET.dict())
    return response


@require_GET
def impact_report(request, org_slug):
    """The printable program impact report for ?program= or ?cohort= (a chooser until one is given)."""
    viewer, filters, dashboard = _dashboard(request)
    chosen = filters.is_valid() and (filters.selected_program() or filters.selected_cohort())
    context = {
        "viewer": viewer,
        "filters": filters,
        "dashboard": dashboard,
        "report": report.impact_report(dashboard) if chosen else None,
        "program": filters.selected_program() if chosen else None,
        "cohort": filters.selected_cohort() if chosen else None,
        "generated_at": timezone.now(),
    }
    return render(request, "analytics/report.html", context)


def _require_recompute(request):
    if not analytics_viewer(request.membership).can_recompute:
        raise PermissionDenied("Only HR analysts and org admins may recompute the metrics.")


@require_POST
def recompute(request, org_slug):
    """Start a full recompute of the organization (or show the one already in progress)."""
    _require_recompute(request)
    try:
        run = metrics_recompute_start(organization=request.organization, requested_by=request.membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        run = metrics_status(organization=request.organization).last_run
    if request.htmx:
        return render(request, "analytics/_recompute.html", {"run": run})
    messages.success(request, "Recomputing the metrics: the figures update when it finishes.")
    return redirect("analytics_dashboard", org_slug=org_slug)


@require_GET
def recompute_status(request, org_slug):
    """The progress partial the dashboard polls; when the run has ended the page reloads to show the new figures."""
    _require_recompute(request)
    run = live_run() or metrics_status(organization=request.organization).last_run
    response = render(request, "analytics/_recompute.html", {"run": run})
    if request.htmx and (run is None or run.status not in (MetricsRun.Status.QUEUED, MetricsRun.Status.RUNNING)):
        response["HX-Refresh"] = "true"
    return response
