"""DRF authentication by personal API token (`Authorization: Bearer mtk_<secret>`), and its per-token throttle.

A token is valid only under /api/orgs/<its organization's slug>/: the lookup runs inside the scope of the
organization the URL names, so row-level security hides every other organization's tokens and a token used with
another slug is simply unknown (401). `request.auth` is the token; OrganizationAPIMixin then restricts the request's
membership to the token's role. No CSRF check: a bearer header is not sent by browsers on their own.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, throttling
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from mentorship.accounts.api_tokens import find_token, note_use
from mentorship.accounts.models import ApiToken
from mentorship.tenancy.models import Organization
from mentorship.tenancy.scope import tenant_scope
from mentorship.throttling import SettingsRateMixin

KEYWORD = b"bearer"


class InvalidToken(exceptions.APIException):
    """401 with `WWW-Authenticate: Bearer` whatever the order of the authentication classes (DRF turns its own
    AuthenticationFailed into 403 when the first class, session auth, names no challenge)."""

    status_code = 401
    default_detail = _("Invalid, expired or revoked API token.")
    default_code = "authentication_failed"
    auth_header = 'Bearer realm="api"'


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None  # not ours: session auth (or anonymous) carries on
        if len(parts) != 2:
            raise InvalidToken()
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise InvalidToken() from None
        slug = ((getattr(request, "parser_context", None) or {}).get("kwargs") or {}).get("org_slug")
        organization = Organization.objects.filter(slug=slug).first() if slug else None
        if organization is None:
            raise InvalidToken()
        with tenant_scope(organization):
            token = find_token(secret)
            if token is None or not is_usable(token):
                raise InvalidToken()
            note_use(token)
        return token.membership.user, token

    def authenticate_header(self, request):
        return InvalidToken.auth_header


def is_usable(token: ApiToken) -> bool:
    membership = token.membership
    return token.revoked_at is None and not token.is_expired and membership.is_active and membership.user.is_active


class ApiTokenRateThrottle(SettingsRateMixin, throttling.SimpleRateThrottle):
    """Requests authenticated by a token, per token (API_THROTTLE_TOKEN); other requests are not counted here."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the bearer token in the OpenAPI schema (/api/docs/ offers an Authorize button for it)."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal API token, `mtk_...`."}
