"""Row builder of the accounts app's tenant model (ApiToken) for the contract tests (tests/factories.py imports
`register`)."""

from __future__ import annotations

import itertools

_sequence = itertools.count(1)


def make_api_token(*, membership=None, name="Integration", role="member", expires_in_days=None):
    """A token through the service; the secret is dropped (tests that need it call api_token_create themselves)."""
    from mentorship.accounts.api_tokens import api_token_create
    from tests.factories import make_membership, make_user

    if membership is None:
        membership = make_membership(make_user(f"token-owner-{next(_sequence)}@example.com", "Token Owner"))
    return api_token_create(membership=membership, name=name, role=role, expires_in_days=expires_in_days).token


def register(builders: dict) -> None:
    from mentorship.accounts.models import ApiToken

    builders[ApiToken] = make_api_token
