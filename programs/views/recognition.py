"""Recognition pages: a member's certificates and mentoring totals, the printable certificate, and the org
admins' list with its CSV and XLSX export (for performance conversations)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mentorship.audit.services import record_export
from mentorship.tenancy.views import org_admin_required
from programs import recognition

RECOGNITIONS_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def my_recognition(request, org_slug):
    context = {
        "recognitions": recognition.my_recognitions(membership=request.membership),
        "mentoring": recognition.mentoring_totals(membership=request.membership),
    }
    return render(request, "programs/recognition/mine.html", context)


def recognition_certificate(request, org_slug, recognition_id):
    certificate = recognition.access_recognition_for_viewer(request.membership, recognition_id)
    return render(request, "programs/recognition/certificate.html", {"recognition": certificate})


def _download(content, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@org_admin_required
def recognition_admin_list(request, org_slug):
    """The table (paginated, filtered); `?format=csv` or `?format=xlsx` downloads every filtered row."""
    filterset, recognitions = recognition.recognition_list(filters=request.GET)
    export = request.GET.get("format")
    file_name = f"recognition-{request.organization.slug}-{timezone.localdate():%Y-%m-%d}"
    if export == "csv":
        # The byte-order mark makes spreadsheets read the file as UTF-8.
        content = "\ufeff" + recognition.recognition_export_csv(recognitions.iterator(chunk_size=1000))
        record_export(name="Recognition", fmt=export, filters=request.GET.dict())
        return _download(content, "text/csv; charset=utf-8", f"{file_name}.csv")
    if export == "xlsx":
        content = recognition.recognition_export_xlsx(recognitions.iterator(chunk_size=1000))
        record_export(name="Recognition", fmt=export, filters=request.GET.dict())
        return _download(content, XLSX, f"{file_name}.xlsx")
    page = Paginator(recognitions, RECOGNITIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    context = {"filterset": filterset, "page": page, "query": query.urlencode()}
    return render(request, "programs/recognition/admin_list.html", context)
