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
    # Cross-organization read by design: this is how a request finds the one organization it may enter.
    membership = (
        Membership.all_organizations.select_related("organization")
        .filter(user=user, organization__slug=organization_slug, is_active=True)
        .first()
    )
    if membership is None:
        raise Http404("No such organization.")
    return membership


def user_memberships(user) -> list[Membership]:
    """Every active membership of one user (the organization switcher)."""
    return list(
        Membership.all_organizations.select_related("organization")
        .filter(user=user, is_active=True)
        .order_by("organization__name")
    )


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


def access_membership_by_id(membership_id: int) -> Membership:
    try:
        return Membership.objects.select_related("user", "department").get(pk=membership_id)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404("No such member.") from None


def access_department_by_id(department_id: int) -> Department:
    try:
        return Department.objects.get(pk=department_id)
    except (Department.DoesNotExist, ValueError, TypeError):
        raise Http404("No such department.") from None


def access_invitation_by_id(invitation_id: int) -> Invitation:
    try:
        return Invitation.objects.get(pk=invitation_id)
    except (Invitation.DoesNotExist, ValueError, TypeError):
        raise Http404("No such invitation.") from None


def access_people_import_by_id(import_id: int) -> PeopleImport:
    try:
        return PeopleImport.objects.defer("data").select_related("uploaded_by__user").get(pk=import_id)
    except (PeopleImport.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import.") from None
