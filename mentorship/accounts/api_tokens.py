"""Personal API tokens: create (the secret is shown once), revoke, look up by secret, and note their use.

A secret reads `mtk_<random>`; the database keeps only its SHA-256 (`ApiToken.token_hash`), so a leaked table grants
nothing. Every function runs inside the token's organization scope (ApiToken is a TenantModel with row-level
security).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mentorship.accounts.models import ApiToken
from mentorship.audit.models import Action
from mentorship.audit.services import actor_label, record
from mentorship.tenancy.models import Membership

SECRET_PREFIX = "mtk_"
SHOWN_PREFIX_LENGTH = 12  # "mtk_" and 8 random characters: enough to tell tokens apart, useless for guessing
MAX_EXPIRY_DAYS = 366
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # only ever returned here; not stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def roles_for(membership: Membership) -> list[str]:
    """The roles a member may give a token: plain member, and each role the membership holds."""
    return [ApiToken.MEMBER, *[role for role, _ in ApiToken.ROLE_CHOICES if role in membership.roles]]


@transaction.atomic
def api_token_create(
    *, membership: Membership, name: str, role: str, expires_in_days: int | None = None
) -> CreatedToken:
    if role not in roles_for(membership):
        raise ValidationError({"role": "Choose one of your own roles in this organization."})
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise ValidationError({"expires_in_days": f"Choose between 1 and {MAX_EXPIRY_DAYS} days, or leave it empty."})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        membership=membership,
        name=(name or "").strip(),
        role=role,
        token_hash=hash_secret(secret),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    token.full_clean()
    token.save()
    record(action=Action.TOKEN_CREATED, target=token, actor=membership, details=_token_details(token))
    return CreatedToken(token, secret)


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token for good; revoking a revoked token changes nothing (and records nothing). The actor is the
    request's user: the token's owner, or an org admin revoking someone else's."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(action=Action.TOKEN_REVOKED, target=token, details=_token_details(token))
    return token


def _token_details(token: ApiToken) -> dict:
    return {
        "owner": actor_label(token.membership.user),
        "role": token.role,
        "prefix": token.prefix,
        "expires_at": token.expires_at,
    }


def find_token(secret: str) -> ApiToken | None:
    """The token of this secret in the current scope, with its membership and user loaded; None if unknown."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    return ApiToken.objects.select_related("membership__user").filter(token_hash=hash_secret(secret)).first()


def note_use(token: ApiToken) -> None:
    """Record that the token was used, at most once a minute, so busy integrations do not write on every request."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
