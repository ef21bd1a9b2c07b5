"""Personal API tokens: bearer authentication in the token's organization only, with the token's role only (never
beyond the membership's current roles), 401 for revoked, expired and deactivated; the hash is stored, not the
secret; per-token throttling; the member and admin pages with isolation pairs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from mentorship.accounts.api_tokens import api_token_create, hash_secret
from mentorship.accounts.models import ApiToken
from mentorship.tenancy.models import Membership, Role
from programs.models import Program
from tests import factories
from tests.conftest import login


def api(tenant, path):
    return f"/api/orgs/{tenant.organization.slug}/{path}"


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def page(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def new_token(tenant, membership, role=ApiToken.MEMBER, **fields):
    with tenant.scope():
        return api_token_create(membership=membership, name=fields.pop("name", "Sync"), role=role, **fields)


def program_admin(tenant):
    with tenant.scope():
        return factories.make_membership(
            factories.make_user(f"pa@{tenant.organization.slug}.test"), roles=[Role.PROGRAM_ADMIN]
        )


# --- Authentication and roles ---


def test_a_token_works_for_its_organization_with_its_role(client, tenant_a):
    created = new_token(tenant_a, tenant_a.admin, role=Role.ORG_ADMIN)
    response = client.get(api(tenant_a, "me/"), **bearer(created.secret))
    assert response.status_code == 200
    assert response.json()["id"] == tenant_a.admin.pk
    assert response.json()["roles"] == [Role.ORG_ADMIN]
    assert client.get(api(tenant_a, "members/"), **bearer(created.secret)).status_code == 200


def test_a_member_token_cannot_use_program_admin_endpoints_of_a_program_admin(client, tenant_a):
    admin = program_admin(tenant_a)
    with tenant_a.scope():
        program = factories.make_program("Grow", status=Program.Status.OPEN)
    member_token = new_token(tenant_a, admin, role=ApiToken.MEMBER)
    admin_token = new_token(tenant_a, admin, role=Role.PROGRAM_ADMIN)
    url = api(tenant_a, f"programs/{program.pk}/duplicate/")
    refused = client.post(url, **bearer(member_token.secret))
    assert refused.status_code == 403
    with tenant_a.scope():
        assert Program.objects.count() == 1  # nothing duplicated
        assert Membership.objects.get(pk=admin.pk).roles == [Role.PROGRAM_ADMIN]  # the restriction was never saved
    assert client.post(url, **bearer(admin_token.secret)).status_code in (200, 201)
    with tenant_a.scope():
        assert Program.objects.count() == 2


def test_a_token_is_refused_under_another_organizations_slug(client, tenants):
    tenant_a, tenant_b = tenants
    created = new_token(tenant_a, tenant_a.admin, role=Role.ORG_ADMIN)
    for path in ("me/", "members/", "programs/"):
        response = client.get(api(tenant_b, path), **bearer(created.secret))
        assert response.status_code == 401
        assert b"org-beta" not in response.content and b"@org-beta" not in response.content
    assert client.get("/api/orgs/nowhere/me/", **bearer(created.secret)).status_code == 401


@pytest.mark.parametrize("header", ["Bearer mtk_not-a-real-token", "Bearer something", "Bearer", "Bearer a b"])
def test_unknown_or_malformed_tokens_are_401(client, tenant_a, header):
    response = client.get(api(tenant_a, "me/"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_expired_and_deactivated_tokens_are_401(client, tenant_a):
    revoked = new_token(tenant_a, tenant_a.admin)
    expired = new_token(tenant_a, tenant_a.admin, expires_in_days=1)
    deactivated = new_token(tenant_a, tenant_a.member)
    with tenant_a.scope():
        ApiToken.objects.filter(pk=revoked.token.pk).update(revoked_at=timezone.now())
        ApiToken.objects.filter(pk=expired.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        Membership.objects.filter(pk=tenant_a.member.pk).update(is_active=False)
    for created in (revoked, expired, deactivated):
        assert client.get(api(tenant_a, "me/"), **bearer(created.secret)).status_code == 401


def test_only_the_hash_and_a_short_prefix_are_stored(tenant_a):
    created = new_token(tenant_a, tenant_a.admin)
    assert created.secret.startswith("mtk_") and len(created.secret) > 40
    with tenant_a.scope():
        row = ApiToken.objects.values().get(pk=created.token.pk)
    assert row["token_hash"] == hash_secret(created.secret)
    assert created.secret not in {str(value) for value in row.values()}
    assert created.secret.startswith(row["prefix"]) and len(row["prefix"]) == 12


def test_a_role_downgrade_after_creation_is_honoured(client, tenant_a):
    created = new_token(tenant_a, tenant_a.admin, role=Role.ORG_ADMIN)
    assert client.get(api(tenant_a, "members/"), **bearer(created.secret)).status_code == 200
    with tenant_a.scope():
        Membership.objects.filter(pk=tenant_a.admin.pk).update(roles=[Role.HR_ANALYST])
    assert client.get(api(tenant_a, "members/"), **bearer(created.secret)).status_code == 403
    assert client.get(api(tenant_a, "me/"), **bearer(created.secret)).json()["roles"] == []  # a plain member now


def test_a_token_cannot_be_created_beyond_ones_roles(tenant_a):
    from django.core.exceptions import ValidationError

    with tenant_a.scope(), pytest.raises(ValidationError) as error:
        api_token_create(membership=tenant_a.member, name="Sneaky", role=Role.ORG_ADMIN)
    assert "role" in error.value.message_dict
    with tenant_a.scope():
        assert not ApiToken.objects.exists()


def test_token_requests_need_no_csrf_and_session_auth_keeps_working(tenant_a):
    from django.test import Client

    from programs.models import Skill

    admin = program_admin(tenant_a)
    created = new_token(tenant_a, admin, role=Role.PROGRAM_ADMIN)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        api(tenant_a, "skills/"), {"name": "Data", "category": "Technical"}, **bearer(created.secret)
    )
    assert response.status_code == 201
    login(strict, admin)
    assert strict.get(api(tenant_a, "me/")).status_code == 200
    assert strict.post(api(tenant_a, "skills/"), {"name": "Other"}).status_code == 403  # session: CSRF enforced
    with tenant_a.scope():
        assert list(Skill.objects.values_list("name", flat=True)) == ["Data"]


def test_last_used_is_written_at_most_once_a_minute(client, tenant_a):
    created = new_token(tenant_a, tenant_a.admin)
    client.get(api(tenant_a, "me/"), **bearer(created.secret))
    with tenant_a.scope():
        first = ApiToken.objects.get(pk=created.token.pk).last_used_at
    assert first is not None
    client.get(api(tenant_a, "me/"), **bearer(created.secret))
    with tenant_a.scope():
        assert ApiToken.objects.get(pk=created.token.pk).last_used_at == first
        ApiToken.objects.filter(pk=created.token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(api(tenant_a, "me/"), **bearer(created.secret))
    with tenant_a.scope():
        assert ApiToken.objects.get(pk=created.token.pk).last_used_at > first


def test_tokens_are_throttled_per_token(client, tenant_a, settings):
    cache.clear()
    settings.API_THROTTLE_RATES = {"anon": None, "user": None, "token": "2/minute"}
    one = new_token(tenant_a, tenant_a.admin, name="One")
    two = new_token(tenant_a, tenant_a.admin, name="Two")
    url = api(tenant_a, "me/")
    assert [client.get(url, **bearer(one.secret)).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(url, **bearer(two.secret)).status_code == 200  # each token has its own budget
    login(client, tenant_a.admin)
    assert client.get(url).status_code == 200  # session requests are not counted per token
    cache.clear()


# --- Pages ---


def test_a_member_creates_a_token_and_sees_the_secret_once(client, tenant_a):
    login(client, tenant_a.member)
    response = client.post(page("api_token_list", tenant_a), {"name": "Sheets", "role": "member"})
    assert response.status_code == 200
    with tenant_a.scope():
        token = ApiToken.objects.get()
    secret = re.search(r'class="secret">(mtk_[\w-]+)<', response.content.decode()).group(1)
    assert hash_secret(secret) == token.token_hash
    assert client.get(api(tenant_a, "me/"), **bearer(secret)).status_code == 200
    assert token.membership_id == tenant_a.member.pk and token.name == "Sheets" and token.expires_at is None
    listing = client.get(page("api_token_list", tenant_a))
    assert token.prefix.encode() in listing.content
    assert b"mtk_" in listing.content and secret.encode() not in listing.content


def test_the_role_and_expiry_fields_are_checked(client, tenant_a):
    login(client, tenant_a.member)
    response = client.post(page("api_token_list", tenant_a), {"name": "X", "role": "org_admin", "expires_in_days": 5})
    assert response.status_code == 400 and b"Role:" in response.content
    response = client.post(page("api_token_list", tenant_a), {"name": "X", "role": "member", "expires_in_days": 0})
    assert response.status_code == 400 and b"Expires in (days):" in response.content
    with tenant_a.scope():
        assert not ApiToken.objects.exists()
    response = client.post(page("api_token_list", tenant_a), {"name": "X", "role": "member", "expires_in_days": 30})
    assert response.status_code == 200
    with tenant_a.scope():
        assert ApiToken.objects.get().expires_at > timezone.now() + timedelta(days=29)


def test_the_list_shows_my_tokens_only_in_constant_queries(client, tenant_a, tenant_b, django_assert_max_num_queries):
    mine = new_token(tenant_a, tenant_a.member, name="Mine").token
    colleague = new_token(tenant_a, tenant_a.admin, name="Colleague's").token
    foreign = new_token(tenant_b, tenant_b.member, name="Foreign").token
    login(client, tenant_a.member)
    client.get(page("api_token_list", tenant_a))
    for n in range(5):
        new_token(tenant_a, tenant_a.member, name=f"More {n}")
    with django_assert_max_num_queries(12):
        response = client.get(page("api_token_list", tenant_a))
    assert mine.prefix.encode() in response.content
    assert colleague.prefix.encode() not in response.content and foreign.prefix.encode() not in response.content


def test_a_member_revokes_their_own_token_only(client, tenants):
    tenant_a, tenant_b = tenants
    mine = new_token(tenant_a, tenant_a.member).token
    colleague = new_token(tenant_a, tenant_a.admin).token
    foreign = new_token(tenant_b, tenant_b.member).token
    login(client, tenant_a.member)
    for other in (colleague, foreign):
        assert client.post(page("api_token_revoke", tenant_a, token_id=other.pk)).status_code == 404
    assert client.post(page("api_token_revoke", tenant_a, token_id=mine.pk)).status_code == 302
    with tenant_a.scope():
        assert ApiToken.objects.get(pk=mine.pk).revoked_at is not None
        assert ApiToken.objects.get(pk=colleague.pk).revoked_at is None
    with tenant_b.scope():
        assert ApiToken.objects.get(pk=foreign.pk).revoked_at is None


def test_org_admins_see_and_revoke_every_token_of_their_organization(client, tenants, django_assert_max_num_queries):
    tenant_a, tenant_b = tenants
    members = new_token(tenant_a, tenant_a.member, name="Member sync").token
    foreign = new_token(tenant_b, tenant_b.member, name="Foreign sync").token
    for n in range(4):
        new_token(tenant_a, tenant_a.admin, name=f"Admin {n}")
    login(client, tenant_a.admin)
    with django_assert_max_num_queries(12):
        listing = client.get(page("admin_api_token_list", tenant_a))
    assert listing.status_code == 200
    assert members.prefix.encode() in listing.content and foreign.prefix.encode() not in listing.content
    assert client.post(page("admin_api_token_revoke", tenant_a, token_id=foreign.pk)).status_code == 404
    with tenant_b.scope():
        assert ApiToken.objects.get(pk=foreign.pk).revoked_at is None
    assert client.post(page("admin_api_token_revoke", tenant_a, token_id=members.pk)).status_code == 302
    with tenant_a.scope():
        assert ApiToken.objects.get(pk=members.pk).revoked_at is not None


def test_the_admin_pages_are_for_org_admins_only(client, tenant_a):
    token = new_token(tenant_a, tenant_a.admin).token
    login(client, tenant_a.member)
    assert client.get(page("admin_api_token_list", tenant_a)).status_code == 403
    assert client.post(page("admin_api_token_revoke", tenant_a, token_id=token.pk)).status_code == 403
    with tenant_a.scope():
        assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_another_organizations_token_pages_are_404(client, tenants):
    tenant_a, tenant_b = tenants
    login(client, tenant_a.admin)
    assert client.get(page("api_token_list", tenant_b)).status_code == 404
    assert client.get(page("admin_api_token_list", tenant_b)).status_code == 404


def test_token_authentication_costs_two_queries(client, tenant_a, django_assert_num_queries):
    """The organization and the token (with its membership and user); last_used_at is already fresh here."""
    created = new_token(tenant_a, tenant_a.admin)
    client.get(api(tenant_a, "me/"), **bearer(created.secret))
    with django_assert_num_queries(5):  # + the membership, its user and department for /me/, as with a session
        assert client.get(api(tenant_a, "me/"), **bearer(created.secret)).status_code == 200
