"""Data-rights pages: a member downloads their personal data; an org admin erases a member."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import redirect, render

from mentorship.tenancy.access import access_membership_by_id
from mentorship.tenancy.views import org_admin_required
from programs import data_rights


def my_data(request, org_slug):
    return render(request, "programs/data_rights/my_data.html")


def my_data_download(request, org_slug):
    data = data_rights.personal_data_export(membership=request.membership)
    response = JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="my-data-{org_slug}.json"'
    return response


@org_admin_required
def member_erase(request, org_slug, membership_id):
    """GET: what erasure removes and keeps; POST: erase (refused for oneself and for an already erased member)."""
    member = access_membership_by_id(membership_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            data_rights.member_erase(membership=member, erased_by=request.membership)
        except ValidationError as error:
            errors.extend(error.messages)
        else:
            messages.success(request, "The member's personal data has been erased.")
            return redirect("member_detail", org_slug=org_slug, membership_id=member.pk)
    return render(
        request,
        "programs/data_rights/member_erase.html",
        {"member": member, "errors": errors, "is_self": member.pk == request.membership.pk},
        status=400 if errors else 200,
    )
