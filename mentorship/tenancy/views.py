"""Pages of the tenancy kernel. The middleware has already resolved the organization, checked the membership and
entered the scope for everything under /o/<org_slug>/; views check roles and call services and selectors."""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mentorship.accounts.adapters import INVITATION_SESSION_KEY
from mentorship.tenancy import imports, selectors, services
from mentorship.tenancy.access import (
    access_department_by_id,
    access_invitation_by_id,
    access_membership_by_id,
    access_people_import_by_id,
    roles_required,
    user_memberships,
)
from mentorship.tenancy.forms import DepartmentForm, InvitationForm, MembershipForm, PeopleImportForm
from mentorship.tenancy.models import Role
from mentorship.throttling import allow_invitation_attempt

MEMBERS_PER_PAGE = 25
PROBLEMS_SHOWN = 1_000  # on the page; the CSV download has all of them


org_admin_required = roles_required(Role.ORG_ADMIN)


def apply_errors(form, error: ValidationError) -> None:
    """Show a service's field errors next to the form's fields; unknown fields and errors that name no field (a
    plain `ValidationError("...")`) go to the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@login_required
def home(request):
    memberships = user_memberships(request.user)
    if len(memberships) == 1:
        return redirect("org_home", org_slug=memberships[0].organization.slug)
    return render(request, "tenancy/organizations.html", {"memberships": memberships})


def org_home(request, org_slug):
    return render(
        request,
        "tenancy/org_home.html",
        {"overview": selectors.organization_overview(membership=request.membership)},
    )


@org_admin_required
def member_list(request, org_slug):
    filterset, members = selectors.member_list(filters=request.GET)
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filterset": filterset, "page": page, "query": query.urlencode()}
    template = "tenancy/_member_table.html" if request.htmx else "tenancy/member_list.html"
    return render(request, template, context)


@org_admin_required
def member_invite(request, org_slug):
    form = InvitationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                organization=request.organization,
                invited_by=request.membership,
                base_url=request.build_absolute_uri("/"),
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("member_invite", org_slug=org_slug)
    return render(
        request,
        "tenancy/member_invite.html",
        {
            "form": form,
            "invitations": selectors.invitation_list_pending(),
            "ttl_days": settings.INVITATION_TTL_DAYS,
        },
        status=400 if form.errors else 200,
    )


@org_admin_required
@require_POST
def invitation_revoke(request, org_slug, invitation_id):
    invitation = access_invitation_by_id(invitation_id)
    try:
        services.invitation_revoke(invitation=invitation)
        messages.success(request, f"Invitation of {invitation.email} revoked.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("member_invite", org_slug=org_slug)


@org_admin_required
def member_detail(request, org_slug, membership_id):
    member = access_membership_by_id(membership_id)
    initial = {
        "roles": member.roles,
        "department": member.department,
        "job_title": member.job_title,
        "manager": member.manager,
    }
    form = MembershipForm(request.POST if request.method == "POST" else None, initial=initial, membership=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(membership=member, actor=request.membership, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Saved {member.user}.")
            return redirect("member_detail", org_slug=org_slug, membership_id=member.pk)
    return render(
        request,
        "tenancy/member_detail.html",
        {"member": member, "form": form},
        status=400 if form.errors else 200,
    )


@org_admin_required
@require_POST
def member_set_active(request, org_slug, membership_id):
    member = access_membership_by_id(membership_id)
    active = request.POST.get("active") == "1"
    try:
        services.membership_set_active(membership=member, actor=request.membership, active=active)
        messages.success(request, f"{member.user} is {'active again' if active else 'deactivated'}.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("member_detail", org_slug=org_slug, membership_id=member.pk)


@org_admin_required
def department_list(request, org_slug):
    form = DepartmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_create(name=form.cleaned_data["name"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Department {department.name} added.")
            return redirect("department_list", org_slug=org_slug)
    return render(
        request,
        "tenancy/department_list.html",
        {"form": form, "departments": selectors.department_list()},
        status=400 if form.errors else 200,
    )


@org_admin_required
@require_POST
def department_edit(request, org_slug, department_id):
    department = access_department_by_id(department_id)
    try:
        if request.POST.get("action") == "delete":
            services.department_delete(department=department)
            messages.success(request, f"Department {department.name} deleted.")
        else:
            form = DepartmentForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors)
            services.department_rename(department=department, name=form.cleaned_data["name"])
            messages.success(request, f"Department renamed to {department.name}.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("department_list", org_slug=org_slug)


@org_admin_required
def people_import(request, org_slug):
    posted = request.method == "POST"
    form = PeopleImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            people_import = imports.people_import_create(
                organization=request.organization,
                uploaded_by=request.membership,
                file=form.cleaned_data["file"],
                send_invitations=form.cleaned_data["send_invitations"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("people_import_detail", org_slug=org_slug, import_id=people_import.pk)
    return render(
        request,
        "tenancy/people_import.html",
        {
            "form": form,
            "imports": selectors.people_import_list(),
            "columns": imports.COLUMNS,
            "max_rows": imports.MAX_ROWS,
            "max_bytes": settings.PEOPLE_IMPORT_MAX_BYTES,
        },
        status=400 if form.errors else 200,
    )


def _people_import_context(people_import) -> dict:
    return {
        "people_import": people_import,
        "problems": people_import.errors[:PROBLEMS_SHOWN],
        "problem_count": len(people_import.errors),
    }


@org_admin_required
def people_import_detail(request, org_slug, import_id):
    people_import = access_people_import_by_id(import_id)
    return render(request, "tenancy/people_import_detail.html", _people_import_context(people_import))


@org_admin_required
def people_import_status(request, org_slug, import_id):
    """The status partial the detail page polls (every second) while the import runs."""
    people_import = access_people_import_by_id(import_id)
    return render(request, "tenancy/_people_import_status.html", _people_import_context(people_import))


@org_admin_required
def people_import_problems(request, org_slug, import_id):
    people_import = access_people_import_by_id(import_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{people_import.pk}-problems.csv"'
    response.write("\ufeff")  # so that spreadsheets read it as UTF-8
    writer = csv.writer(response)
    writer.writerow(["row", "column", "problem"])
    for problem in people_import.errors:
        writer.writerow([problem["row"] or "", problem["column"], problem["message"]])
    return response


@org_admin_required
def people_import_template(request, org_slug):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="people-import-template.csv"'
    response.write("\ufeff")
    csv.writer(response).writerow([column.label for column in imports.COLUMNS])
    return response


def invitation_accept(request, token):
    """Landing page of an invitation link: join (logged in), log in, or sign up with the invited address."""
    if not allow_invitation_attempt(request):
        reason = "Too many invitation links were opened from your network. Please wait a minute and try again."
        return render(request, "tenancy/invitation_invalid.html", {"reason": reason}, status=429)
    try:
        invitation = services.invitation_by_token(token)
    except services.InvitationError as error:
        return render(request, "tenancy/invitation_invalid.html", {"reason": str(error)}, status=410)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except services.InvitationError as error:
            return render(request, "tenancy/invitation_invalid.html", {"reason": str(error)}, status=410)
        messages.success(request, f"Welcome to {membership.organization.name}.")
        return redirect("org_home", org_slug=membership.organization.slug)
    request.session[INVITATION_SESSION_KEY] = token
    get_adapter(request).stash_verified_email(request, invitation.email)
    has_account = get_user_model().objects.filter(email__iexact=invitation.email).exists()
    return render(
        request,
        "tenancy/invitation_accept.html",
        {
            "invitation": invitation,
            "has_account": has_account,
            "login_url": f"{reverse('account_login')}?{urlencode({'next': request.path})}",
            "signup_url": f"{reverse('account_signup')}?{urlencode({'email': invitation.email})}",
        },
    )
