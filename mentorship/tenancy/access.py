"""Resolve a URL's organization for a user, and fetch-and-authorize helpers (`access_*`).

A missing organization, one the user does not belong to, and an inactive membership all look the same: 404.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404

from mentorship.tenancy.models import Department, Invitation, Membership, PeopleImport


def resolve_membership(user, organization_slug: str) -> Membership:
    """The user's active membership in the organization named by the URL, with the organization loaded; or 404."""
    if not user.is_authenticated:
        raise Http404("No such organization.")
    membership = next((m for m in user_memberships(user) if m.organization.slug == organization_slug), None)
    if membership is None:
        raise Http404("No such organization.")
    return membership


def user_memberships(user) -> list[Membership]:
    """Every active membership of one user, by organization name (the organization switcher).

    Read once a request: kept on the user object, which lives as long as the request, so that finding the URL's
    organization and the page's switcher share one query (a user belongs to a handful of organizations)."""
    memberships = getattr(user, "_active_memberships", None)
    if memberships is None:
        # Cross-organization read by design: this is how a request finds the one organization it may enter.
        memberships = list(
            Membership.all_organizations.select_related("organization")
            .filter(user=user, is_active=True)
            .order_by("organization__name", "pk")
        )
        user._active_memberships = memberships
    return memberships


def require_roles(membership: Membership, *roles: str) -> None:
    """Inside an organization the user belongs to, a page beyond their roles is 403 (the org is no secret)."""
    if not membership.has_role(*roles):
        raise PermissionDenied("Your role in this organization does not include this page.")


def roles_required(*roles: str):
    """View decorator: the page is for members holding one of `roles` (403 for the others)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            require_roles(request.membership, *roles)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def fetch_or_404(queryset, pk, what: str):
    """`queryset.get(pk=pk)`, or 404 alike for a missing row, another organization's row (the scope hides it) and
    a malformed id: the base of every access_* helper."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No such {what}.") from None


def access_membership_by_id(membership_id: int) -> Membership:
    return fetch_or_404(Membership.objects.select_related("user", "department"), membership_id, "member")


def access_department_by_id(department_id: int) -> Department:
    return fetch_or_404(Department.objects.all(), department_id, "department")


def access_invitation_by_id(invitation_id: int) -> Invitation:
    return fetch_or_404(Invitation.objects.all(), invitation_id, "invitation")


def access_people_import_by_id(import_id: int) -> PeopleImport:
    return fetch_or_404(PeopleImport.objects.defer("data").select_related("uploaded_by__user"), import_id, "import")
