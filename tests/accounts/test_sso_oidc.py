"""Single sign-on with OpenID Connect, end to end against a real identity provider on loopback: django-oauth-toolkit
in its own process (tests/accounts/oidc_idp), reached over HTTP by allauth (discovery, token, keys, userinfo) and by
the "browser" (the test plays it with requests there and the Django test client here)."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from mentorship.accounts.models import User
from mentorship.accounts.sso import OidcConfig, oidc_provider_id, organization_sso_save
from mentorship.audit.models import Action, AuditEvent
from mentorship.tenancy.models import Membership
from tests import factories
from tests.accounts.oidc_idp.run import loopback_idp
from tests.conftest import login

PASSWORD = "correct-horse-battery"
IDP_USERS = [
    {"username": "alice", "email": "alice@org-alpha.test", "name": "Alice Able", "password": PASSWORD},
    {"username": "bob", "email": "bob@elsewhere.test", "name": "Bob Outside", "password": PASSWORD},
    {"username": "carol", "email": "carol@org-alpha.test", "name": "Carol Local", "password": PASSWORD},
]


@pytest.fixture(scope="module")
def idp_process(tmp_path_factory):
    with loopback_idp(tmp_path_factory.mktemp("oidc-idp"), users=IDP_USERS) as provider:
        yield provider


@pytest.fixture
def idp(idp_process, tenant_a):
    idp_process.allow_redirect_uri(
        "http://testserver" + reverse("openid_connect_callback", args=[oidc_provider_id(tenant_a.organization)])
    )
    return idp_process


@pytest.fixture
def alpha_sso(idp, tenant_a):
    return organization_sso_save(
        organization=tenant_a.organization,
        email_domains=["org-alpha.test"],
        oidc=OidcConfig(server_url=idp.url, client_id=idp.client_id, secret=idp.client_secret),
        saml=None,
    )


def sso_sign_in(client, idp, organization, username: str):
    """Press "Sign in with <Org> SSO", sign in at the IdP, and return the product's answer to the callback."""
    start = client.get(reverse("sso_start", args=[organization.slug]))
    assert start.status_code == 200 and f"Sign in with {organization.name} SSO" in start.text
    # The button's POST is answered with a redirect to the IdP, which CSP form-action must allow, and only that.
    form_action = next(part for part in start.headers["Content-Security-Policy"].split(";") if "form-action" in part)
    assert form_action.split() == ["form-action", "'self'", idp.url.rsplit("/o", 1)[0]]
    login_url = reverse("openid_connect_login", args=[oidc_provider_id(organization)])
    assert login_url in start.text
    response = client.post(login_url, {"process": "login"})
    assert response.status_code == 302 and response["Location"].startswith(idp.url + "/authorize/")
    callback = urlsplit(idp.sign_in(response["Location"], username, PASSWORD))
    assert callback.netloc == "testserver"
    return client.get(f"{callback.path}?{callback.query}", follow=True)


def memberships_of(email: str) -> list[tuple[str, list[str], bool]]:
    return list(
        Membership.all_organizations.filter(user__email=email).values_list("organization__slug", "roles", "is_active")
    )


def test_org_admin_configures_oidc_in_the_browser_and_an_employee_joins_just_in_time(client, idp, tenant_a, tenant_b):
    admin = client.__class__()
    login(admin, tenant_a.admin)
    page = reverse("sso_settings", args=[tenant_a.organization.slug])
    assert "OpenID Connect redirect URI" in admin.get(page).text
    response = admin.post(
        page,
        {
            "email_domains": "Org-Alpha.test, ",
            "oidc_enabled": "on",
            "oidc_server_url": idp.url + "/",
            "oidc_client_id": idp.client_id,
            "oidc_client_secret": idp.client_secret,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_a.scope():
        event = AuditEvent.objects.get(action=Action.SSO_CHANGED)
    assert (event.actor, event.details) == (
        tenant_a.admin.user,
        {"email_domains": ["org-alpha.test"], "oidc": True, "saml": False},
    )  # the audit log says who changed it and how, never the secret

    # The login page's work-email box leads to the organization's SSO start page.
    response = client.post(reverse("sso_discover"), {"email": "alice@ORG-ALPHA.test"})
    assert response["Location"] == reverse("sso_start", args=[tenant_a.organization.slug])

    response = sso_sign_in(client, idp, tenant_a.organization, "alice")
    assert response.redirect_chain[-1][0] == reverse("org_home", args=[tenant_a.organization.slug])
    alice = User.objects.get(email="alice@org-alpha.test")
    assert int(client.session["_auth_user_id"]) == alice.pk
    assert not alice.has_usable_password()
    assert memberships_of(alice.email) == [("org-alpha", [], True)]  # plain member of this organization only
    account = SocialAccount.objects.get(user=alice)
    assert account.provider == oidc_provider_id(tenant_a.organization)
    assert alice.emailaddress_set.get().verified

    # Signing in again finds the same account and adds nothing.
    client.logout()
    sso_sign_in(client, idp, tenant_a.organization, "alice")
    assert int(client.session["_auth_user_id"]) == alice.pk
    assert User.objects.filter(email="alice@org-alpha.test").count() == 1
    assert memberships_of(alice.email) == [("org-alpha", [], True)]


def test_an_address_outside_the_organizations_domains_gets_no_account(client, idp, alpha_sso, tenant_a):
    response = sso_sign_in(client, idp, tenant_a.organization, "bob")
    assert response.status_code == 403
    assert "bob@elsewhere.test is not in an email domain of Org Alpha" in response.text
    assert not User.objects.filter(email="bob@elsewhere.test").exists()
    assert "_auth_user_id" not in client.session


def test_an_existing_account_is_never_linked_by_email_but_can_connect_after_a_password_login(
    client, idp, alpha_sso, tenant_a
):
    carol = factories.make_user("carol@org-alpha.test", "Carol Local")
    carol.set_password(PASSWORD)
    carol.save()

    response = sso_sign_in(client, idp, tenant_a.organization, "carol")
    assert response.status_code == 409
    assert "An account with the address carol@org-alpha.test already exists. Log in with your password" in response.text
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    assert memberships_of(carol.email) == []

    # Logged in with her password, Carol connects the SSO from her connections page; she joins then.
    client.force_login(carol)
    connections = client.get(reverse("socialaccount_connections"))
    login_url = reverse("openid_connect_login", args=[oidc_provider_id(tenant_a.organization)])
    assert login_url in connections.text
    response = client.post(login_url, {"process": "connect"})
    callback = urlsplit(idp.sign_in(response["Location"], "carol", PASSWORD))
    client.get(f"{callback.path}?{callback.query}", follow=True)
    assert SocialAccount.objects.get().user == carol
    assert memberships_of(carol.email) == [("org-alpha", [], True)]

    client.logout()
    sso_sign_in(client, idp, tenant_a.organization, "carol")
    assert int(client.session["_auth_user_id"]) == carol.pk


def test_the_organizations_mfa_requirement_applies_to_sso_members(client, idp, alpha_sso, tenant_a):
    tenant_a.organization.require_mfa = True
    tenant_a.organization.save()
    response = sso_sign_in(client, idp, tenant_a.organization, "alice")
    hops = [url for url, _ in response.redirect_chain]
    assert reverse("mfa_activate_totp") in hops
    # With no password, allauth confirms it is them with a code sent to the address their IdP vouched for.
    assert hops[-1].startswith("/accounts/reauthenticate/code/") and response.status_code == 200
    assert "requires two-factor authentication" in response.text


def test_a_deactivated_member_is_not_reactivated_by_signing_in_again(client, idp, alpha_sso, tenant_a):
    sso_sign_in(client, idp, tenant_a.organization, "alice")
    Membership.all_organizations.filter(user__email="alice@org-alpha.test").update(is_active=False)
    client.logout()
    sso_sign_in(client, idp, tenant_a.organization, "alice")
    assert memberships_of("alice@org-alpha.test") == [("org-alpha", [], False)]
    assert client.get(reverse("org_home", args=[tenant_a.organization.slug])).status_code == 404


def test_an_unreachable_identity_provider_is_a_clear_502_not_a_server_error(client, tenant_a):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    organization_sso_save(
        organization=tenant_a.organization,
        email_domains=["org-alpha.test"],
        oidc=OidcConfig(server_url=f"http://127.0.0.1:{port}/o", client_id="x", secret="y"),
        saml=None,
    )
    response = client.post(reverse("openid_connect_login", args=[oidc_provider_id(tenant_a.organization)]))
    assert response.status_code == 502
    assert "The identity provider could not be reached" in response.text


def test_no_page_lists_the_organizations_that_use_sso(client, alpha_sso, tenant_a, tenant_b):
    login_url = reverse("openid_connect_login", args=[oidc_provider_id(tenant_a.organization)])
    page = client.get(reverse("account_login"))
    assert reverse("sso_discover") in page.text and "Work email" in page.text
    assert login_url not in page.text and "Org Alpha" not in page.text
    login(client, tenant_b.member)  # neither a member of Org Alpha nor in its domains
    assert login_url not in client.get(reverse("socialaccount_connections")).text
    login(client, tenant_a.member)
    assert login_url in client.get(reverse("socialaccount_connections")).text
