"""Reads of the tenancy kernel; each runs inside the caller's tenant scope."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Func, IntegerField, Q, QuerySet

from mentorship.tenancy.models import Department, Invitation, Membership, PeopleImport, Role

MEMBER_ROLE = "member"  # filter value: members without any elevated role


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), label="Department", empty_label="All departments"
    )
    role = django_filters.ChoiceFilter(
        choices=[*Role.choices, (MEMBER_ROLE, "Member only")], method="with_role", label="Role", empty_label="Any role"
    )
    status = django_filters.ChoiceFilter(
        choices=[("active", "Active"), ("inactive", "Deactivated")],
        method="with_status",
        label="Status",
    )

    class Meta:
        model = Membership
        fields = ["q", "department", "role", "status"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(user__full_name__icontains=value) | Q(user__email__icontains=value) | Q(job_title__icontains=value)
        )

    def with_role(self, queryset, name, value):
        if value == MEMBER_ROLE:
            return queryset.filter(roles=[])
        return queryset.filter(roles__contains=[value])

    def with_status(self, queryset, name, value):
        return queryset.filter(is_active=value == "active")


def member_list(*, filters: dict | None = None) -> tuple[MemberFilter, QuerySet[Membership]]:
    """Members of the scope's organization, filtered; the FilterSet carries the form and its errors."""
    queryset = Membership.objects.select_related("user", "department", "manager__user").order_by(
        "user__full_name", "user__email"
    )
    filterset = MemberFilter(filters or {}, queryset=queryset)
    return filterset, filterset.qs


def department_list() -> QuerySet[Department]:
    return Department.objects.annotate(
        member_count=Count("memberships", filter=Q(memberships__is_active=True))
    ).order_by("name")


def invitation_list_pending() -> QuerySet[Invitation]:
    return Invitation.objects.pending().select_related("department", "invited_by__user").order_by("-created_at")


def organization_overview(*, membership: Membership) -> dict:
    """Counts for the organization home page."""
    counts = Membership.objects.aggregate(
        active=Count("id", filter=Q(is_active=True)),
        departments=Count("department", distinct=True, filter=Q(is_active=True)),
    )
    counts["pending_invitations"] = Invitation.objects.pending().count()
    counts["direct_reports"] = membership.direct_reports.filter(is_active=True).count()
    return counts


def people_import_list(*, limit: int = 50) -> QuerySet[PeopleImport]:
    """The latest imports, without their stored files and problem lists (only how many problems)."""
    error_count = Func("errors", function="jsonb_array_length", output_field=IntegerField())
    return (
        PeopleImport.objects.defer("data", "errors")
        .select_related("uploaded_by__user")
        .annotate(error_count=error_count)
        .order_by("-created_at", "-id")[:limit]
    )
