"""Invitation-only sign-up: an org admin invites, the invitee signs up or logs in and lands in the organization."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from mentorship.tenancy.models import Invitation, Membership, Role
from tests import factories
from tests.conftest import login


def invite(admin_client, tenant, email="newcomer@example.com", roles=(Role.PROGRAM_ADMIN,)):
    """Invite through the page; returns the link path from the email (sent when the transaction commits)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_client.post(
            reverse("member_invite", kwargs={"org_slug": tenant.organization.slug}),
            {"email": email, "roles": list(roles), "department": tenant.departments[0].pk, "job_title": "Analyst"},
        )
    assert response.status_code == 302, response.content
    link = re.search(r"http://testserver(/invite/\S+/)", mail.outbox[-1].body).group(1)
    return link


def test_invitee_signs_up_and_lands_in_the_organization(admin_client, client, tenant_a):
    link = invite(admin_client, tenant_a)
    assert mail.outbox[-1].to == ["newcomer@example.com"]
    visitor = client.__class__()
    landing = visitor.get(link)
    assert landing.status_code == 200 and b"Create your account" in landing.content
    signup = visitor.post(
        reverse("account_signup"),
        {"email": "newcomer@example.com", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
    )
    assert signup.status_code == 302
    home = visitor.get("/", follow=True)
    assert home.request["PATH_INFO"] == f"/o/{tenant_a.organization.slug}/"
    with tenant_a.scope():
        membership = Membership.objects.get(user__email="newcomer@example.com")
        assert membership.roles == [Role.PROGRAM_ADMIN]
        assert membership.department == tenant_a.departments[0] and membership.job_title == "Analyst"
        assert Invitation.objects.get(email="newcomer@example.com").status == "accepted"
    # Single use: the link now explains itself.
    again = client.__class__().get(link)
    assert again.status_code == 410 and b"already been used" in again.content


def test_signup_is_closed_without_an_invitation(client, db):
    response = client.get(reverse("account_signup"))
    assert b"Sign Up Closed" in response.content or b"closed" in response.content.lower()
    client.post(
        reverse("account_signup"),
        {"email": "stranger@example.com", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
    )
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(email="stranger@example.com").exists()


def test_signup_with_another_address_than_invited_is_a_field_error(admin_client, tenant_a):
    link = invite(admin_client, tenant_a)
    visitor = admin_client.__class__()
    visitor.get(link)
    response = visitor.post(
        reverse("account_signup"),
        {"email": "other@example.com", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert b"newcomer@example.com" in response.content


def test_existing_user_logs_in_and_joins(admin_client, tenants):
    tenant_a, tenant_b = tenants
    existing = tenant_b.member.user
    link = invite(admin_client, tenant_a, email=existing.email, roles=())
    visitor = admin_client.__class__()
    assert b"Log in" in visitor.get(link).content
    visitor.force_login(existing)
    joined = visitor.post(link)
    assert joined.status_code == 302 and joined["Location"] == f"/o/{tenant_a.organization.slug}/"
    assert visitor.get(joined["Location"]).status_code == 200


def test_logged_in_as_someone_else_gets_a_clear_error(admin_client, client, tenant_a):
    link = invite(admin_client, tenant_a)
    login(client, tenant_a.member)
    response = client.post(link)
    assert response.status_code == 410 and b"newcomer@example.com" in response.content


def test_expired_revoked_and_unknown_tokens_get_a_clear_page(client, tenant_a):
    with tenant_a.scope():
        factories.make_invitation(token="expired-token", expires_at=timezone.now() - timedelta(minutes=1))
        factories.make_invitation(token="revoked-token", revoked_at=timezone.now())
    for token, text in [("expired-token", b"expired"), ("revoked-token", b"withdrawn"), ("nope", b"not valid")]:
        response = client.get(reverse("invitation_accept", kwargs={"token": token}))
        assert response.status_code == 410 and text in response.content


def test_invitation_errors_name_the_email_field(admin_client, tenant_a):
    invite_url = reverse("member_invite", kwargs={"org_slug": tenant_a.organization.slug})
    for email, message in [("not-an-email", b"valid email"), (tenant_a.member.user.email, b"already a member")]:
        response = admin_client.post(invite_url, {"email": email})
        assert response.status_code == 400
        assert "email" in response.context["form"].errors and message in response.content


def test_revoking_a_foreign_invitation_is_404_and_changes_nothing(admin_client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        foreign = factories.make_invitation()
    revoke = reverse("invitation_revoke", kwargs={"org_slug": tenant_a.organization.slug, "invitation_id": foreign.pk})
    assert admin_client.post(revoke).status_code == 404
    with tenant_b.scope():
        foreign.refresh_from_db()
    assert foreign.status == "pending"


def test_pending_invitations_list_is_per_organization(admin_client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        factories.make_invitation(email="beta-invitee@example.com")
    with tenant_a.scope():
        factories.make_invitation(email="alpha-invitee@example.com")
    response = admin_client.get(reverse("member_invite", kwargs={"org_slug": tenant_a.organization.slug}))
    assert b"alpha-invitee@example.com" in response.content
    assert b"beta-invitee@example.com" not in response.content
