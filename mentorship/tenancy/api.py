"""DRF base for the tenant API under /api/orgs/<org_slug>/.

`OrganizationAPIView` authenticates (DRF), resolves the organization and the caller's membership (404 for a missing
and a forbidden organization alike), checks roles, and runs the rest of the request inside the tenant scope.
Subclasses declare `required_roles` and build their querysets on TenantModel.objects, which the scope filters;
like PostHog's routing mixin, they may not widen the queryset themselves.
"""

from __future__ import annotations

import contextlib

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, generics, serializers
from rest_framework.views import exception_handler as drf_exception_handler

from mentorship.accounts.models import ApiToken
from mentorship.tenancy.access import resolve_membership
from mentorship.tenancy.mfa import mfa_missing, mfa_required_message
from mentorship.tenancy.scope import tenant_scope


class OrganizationAPIMixin:
    required_roles: tuple[str, ...] = ()  # empty: any active member

    def dispatch(self, request, *args, **kwargs):
        with contextlib.ExitStack() as stack:
            self._scope_stack = stack
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttling
        self.membership = resolve_membership(request.user, kwargs["org_slug"])
        self.organization = self.membership.organization
        restrict_to_token_role(self.membership, request.auth)
        if mfa_missing(self.membership):
            raise exceptions.PermissionDenied(mfa_required_message(self.membership))
        if self.required_roles and not self.membership.has_role(*self.required_roles):
            raise exceptions.PermissionDenied("Your role in this organization does not allow this operation.")
        self._scope_stack.enter_context(tenant_scope(self.organization))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["membership"] = getattr(self, "membership", None)
        return context


def restrict_to_token_role(membership, token) -> None:
    """A request made with a personal API token acts with the token's role only, for this request (never saved).

    The authentication found the token in this organization's scope; its membership is the one resolved here.
    """
    if isinstance(token, ApiToken):
        if token.membership_id != membership.pk:
            raise exceptions.NotFound("No such organization.")
        membership.roles = token.effective_roles()


class OrganizationAPIView(OrganizationAPIMixin, generics.GenericAPIView):
    pass


def exception_handler(exc, context):
    """Model validation errors raised by services become 400s that name the field, like serializer errors."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    return drf_exception_handler(exc, context)
