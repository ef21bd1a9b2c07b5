"""The audit log page of an organization (org admins): events newest first, filtered, paginated, and the CSV of the
filtered view. The middleware has entered the organization's scope."""

from __future__ import annotations

import csv
from datetime import UTC

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from mentorship.audit.selectors import audit_event_list
from mentorship.audit.services import record_export
from mentorship.spreadsheets import formula_safe
from mentorship.tenancy.views import org_admin_required

EVENTS_PER_PAGE = 50
CSV_HEADERS = ["time (UTC)", "who", "action", "target type", "target id", "target", "details", "IP address"]


@require_GET
@org_admin_required
def audit_log(request, org_slug):
    filterset, events = audit_event_list(filters=request.GET)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filterset": filterset, "page": page, "query": query.urlencode()}
    return render(request, "audit/audit_log.html", context, status=400 if filterset.errors else 200)


@require_GET
@org_admin_required
def audit_log_csv(request, org_slug):
    """Every event of the filtered view (not only one page); the download itself is recorded."""
    filterset, events = audit_event_list(filters=request.GET)
    if filterset.errors:
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items())
        return HttpResponse(f"Invalid filters. {problems}", status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")  # so that spreadsheets read it as UTF-8
    writer = csv.writer(response)
    writer.writerow(CSV_HEADERS)
    # Labels and details come from what people typed: formula_safe keeps a spreadsheet from running them.
    for event in events.iterator(chunk_size=2000):
        writer.writerow(
            [
                event.created_at.astimezone(UTC).isoformat(timespec="seconds"),
                formula_safe(event.actor_label),
                event.action,
                event.target_type,
                event.target_id if event.target_id is not None else "",
                formula_safe(event.target_label),
                formula_safe(event.details_text),
                event.ip_address or "",
            ]
        )
    record_export(name="Audit log", fmt="csv", filters=request.GET.dict())
    file_name = f"audit-{request.organization.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
