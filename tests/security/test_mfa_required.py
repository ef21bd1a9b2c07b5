"""Organization.require_mfa: members without an authenticator app are sent to set one up (pages) or get 403 (API)."""

from __future__ import annotations

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from tests import factories
from tests.conftest import login


def require_mfa(tenant):
    tenant.organization.require_mfa = True
    tenant.organization.save(update_fields=["require_mfa"])


def test_a_member_without_an_authenticator_is_sent_to_set_one_up(client, tenant_a):
    require_mfa(tenant_a)
    login(client, tenant_a.member)
    response = client.get(reverse("org_home", kwargs={"org_slug": tenant_a.organization.slug}), follow=True)
    # force_login records no password entry, so allauth asks for the password before showing the setup page.
    assert response.redirect_chain[0] == (reverse("mfa_activate_totp"), 302)
    assert response.status_code == 200
    assert b"Org Alpha requires two-factor authentication" in response.content
    # Every page of the organization, not only its home.
    opportunities = client.get(reverse("opportunity_list", kwargs={"org_slug": tenant_a.organization.slug}))
    assert opportunities.status_code == 302
    assert opportunities.url == reverse("mfa_activate_totp")


def test_an_htmx_request_sends_the_whole_page_to_the_setup_page(client, tenant_a):
    require_mfa(tenant_a)
    login(client, tenant_a.member)
    url = reverse("opportunity_list", kwargs={"org_slug": tenant_a.organization.slug})
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.headers["HX-Redirect"] == reverse("mfa_activate_totp")


def test_the_api_answers_403_with_the_reason(client, tenant_a):
    require_mfa(tenant_a)
    login(client, tenant_a.member)
    response = client.get(f"/api/orgs/{tenant_a.organization.slug}/me/")
    assert response.status_code == 403
    assert "requires two-factor authentication" in response.json()["detail"]


def test_a_member_with_an_authenticator_app_gets_in(client, tenant_a):
    require_mfa(tenant_a)
    TOTP.activate(tenant_a.member.user, generate_totp_secret())
    login(client, tenant_a.member)
    assert client.get(reverse("org_home", kwargs={"org_slug": tenant_a.organization.slug})).status_code == 200
    assert client.get(f"/api/orgs/{tenant_a.organization.slug}/me/").status_code == 200


def test_the_requirement_is_per_organization(client, tenants):
    tenant_a, tenant_b = tenants
    require_mfa(tenant_a)
    login(client, tenant_b.member)
    assert client.get(reverse("org_home", kwargs={"org_slug": tenant_b.organization.slug})).status_code == 200
    assert client.get(f"/api/orgs/{tenant_b.organization.slug}/me/").status_code == 200
    # Another organization's pages stay 404, not a hint to set up MFA.
    assert client.get(reverse("org_home", kwargs={"org_slug": tenant_a.organization.slug})).status_code == 404
    assert client.get(f"/api/orgs/{tenant_a.organization.slug}/me/").status_code == 404


def test_ops_switch_it_on_in_the_django_admin(client, tenant_a, django_user_model):
    ops = django_user_model.objects.create_superuser(email="ops@example.com", password="ops-password-123")
    client.force_login(ops)
    url = reverse("admin:tenancy_organization_change", args=[tenant_a.organization.pk])
    form = client.get(url)
    assert b'name="require_mfa"' in form.content
    response = client.post(
        url,
        {
            "name": tenant_a.organization.name,
            "slug": tenant_a.organization.slug,
            "min_group_size": 5,
            "require_mfa": "on",
        },
    )
    assert response.status_code == 302
    tenant_a.organization.refresh_from_db()
    assert tenant_a.organization.require_mfa


def security_url(tenant):
    return reverse("security_settings", kwargs={"org_slug": tenant.organization.slug})


def test_an_org_admin_requires_mfa_on_the_security_page(client, tenant_a):
    TOTP.activate(tenant_a.admin.user, generate_totp_secret())
    login(client, tenant_a.admin)
    page = client.get(security_url(tenant_a))
    assert page.status_code == 200
    assert b"1 active member has no authenticator app yet" in page.content  # the member; the admin has one
    response = client.post(security_url(tenant_a), {"require_mfa": "on"}, follow=True)
    assert response.redirect_chain == [(security_url(tenant_a), 302)]
    assert b"Two-factor authentication is now required in Org Alpha" in response.content
    tenant_a.organization.refresh_from_db()
    assert tenant_a.organization.require_mfa
    client.post(security_url(tenant_a), {})
    tenant_a.organization.refresh_from_db()
    assert not tenant_a.organization.require_mfa


def test_only_org_admins_of_that_organization_change_it(client, tenants):
    tenant_a, tenant_b = tenants
    login(client, tenant_a.member)
    assert client.get(security_url(tenant_a)).status_code == 403
    assert client.post(security_url(tenant_a), {"require_mfa": "on"}).status_code == 403
    login(client, tenant_b.admin)
    assert client.post(security_url(tenant_a), {"require_mfa": "on"}).status_code == 404
    tenant_a.organization.refresh_from_db()
    assert not tenant_a.organization.require_mfa


def test_the_security_page_counts_in_constant_queries(client, tenant_a, django_assert_max_num_queries):
    login(client, tenant_a.admin)
    with tenant_a.scope():
        for _ in range(5):
            factories.make_membership()
    with django_assert_max_num_queries(12):
        page = client.get(security_url(tenant_a))
    assert b"7 active members have no authenticator app yet" in page.content
