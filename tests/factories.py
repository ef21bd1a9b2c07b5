"""Builders that keep a whole object graph inside one organization. Call them inside `tenant_scope(org)`.

`TENANT_ROW_BUILDERS` maps every TenantModel to a builder of one row; the contract tests fail when a model has none,
so each new tenant model brings its builder along.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from mentorship.tenancy.models import Department, Invitation, Membership, Organization
from mentorship.tenancy.services import hash_token

PASSWORD = "correct-horse-battery-9"
_sequence = itertools.count(1)


def make_organization(name: str) -> Organization:
    slug = name.lower().replace(" ", "-")
    return Organization.objects.create(name=name, slug=slug)


def make_user(email: str | None = None, full_name: str = "Test Person"):
    from allauth.account.models import EmailAddress

    email = email or f"person{next(_sequence)}@example.com"
    user = get_user_model().objects.create_user(email=email, password=PASSWORD, full_name=full_name)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def make_department(name: str | None = None) -> Department:
    return Department.objects.create(name=name or f"Department {next(_sequence)}")


def make_membership(user=None, *, roles=(), department: Department | None = None, **fields) -> Membership:
    return Membership.objects.create(user=user or make_user(), roles=list(roles), department=department, **fields)


def make_invitation(email: str | None = None, token: str | None = None, **fields) -> Invitation:
    return Invitation.objects.create(
        email=email or f"invitee{next(_sequence)}@example.com",
        token_hash=hash_token(token or f"token-{next(_sequence)}"),
        expires_at=fields.pop("expires_at", timezone.now() + timedelta(days=7)),
        **fields,
    )


TENANT_ROW_BUILDERS = {
    Department: make_department,
    Membership: make_membership,
    Invitation: make_invitation,
}
