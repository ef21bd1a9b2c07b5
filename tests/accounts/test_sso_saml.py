"""Single sign-on with SAML, end to end through allauth's real views: the product's AuthnRequest goes to a loopback
IdP (tests/accounts/saml_idp.py), which signs an assertion with xmlsec; the browser posts it to allauth's ACS."""

from __future__ import annotations

import base64
import re
import socket
from urllib.parse import urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from mentorship.accounts.models import User
from mentorship.accounts.sso import SamlConfig, organization_sso_save, saml_provider_id
from mentorship.tenancy.models import Membership
from tests import factories
from tests.accounts.saml_idp import LoopbackSamlIdP
from tests.conftest import login


@pytest.fixture(scope="module")
def idp():
    return LoopbackSamlIdP()


@pytest.fixture
def client(client):
    """A browser's client: python3-saml reads the Host header, which every browser sends and the test client does
    not, and refuses a single-label host such as "testserver"."""
    client.defaults["HTTP_HOST"] = "127.0.0.1"
    return client


@pytest.fixture
def alpha_sso(idp, tenant_a):
    return organization_sso_save(
        organization=tenant_a.organization,
        email_domains=["org-alpha.test"],
        oidc=None,
        saml=SamlConfig(entity_id=idp.entity_id, sso_url=idp.sso_url, x509cert=idp.cert_pem),
    )


def saml_sign_in(client, idp, organization, *, name_id: str, email: str, alter=None):
    """Press "Sign in with <Org> SSO", let the IdP answer the AuthnRequest, post its response to the ACS."""
    slug = organization.slug
    start = client.get(reverse("sso_start", args=[slug]))
    assert f"Sign in with {organization.name} SSO" in start.text and reverse("saml_login", args=[slug]) in start.text
    response = client.post(reverse("saml_login", args=[slug]), {"process": "login"})
    assert response.status_code == 302 and response["Location"].startswith(idp.sso_url)
    request_id, acs_url, relay_state = idp.read_request(response["Location"])
    assert acs_url == "http://127.0.0.1" + reverse("saml_acs", args=[slug])
    saml_response = idp.response(
        request_id=request_id,
        acs_url=acs_url,
        audience="http://127.0.0.1" + reverse("saml_metadata", args=[slug]),
        name_id=name_id,
        email=email,
    )
    if alter:
        saml_response = base64.b64encode(alter(base64.b64decode(saml_response).decode()).encode()).decode()
    return client.post(urlsplit(acs_url).path, {"SAMLResponse": saml_response, "RelayState": relay_state}, follow=True)


def memberships_of(email: str):
    return list(
        Membership.all_organizations.filter(user__email=email).values_list("organization__slug", "roles", "is_active")
    )


def test_org_admin_configures_saml_in_the_browser_and_an_employee_joins_just_in_time(client, idp, tenant_a, tenant_b):
    admin = client.__class__(HTTP_HOST="127.0.0.1")
    login(admin, tenant_a.admin)
    page = reverse("sso_settings", args=[tenant_a.organization.slug])
    response = admin.post(
        page,
        {
            "email_domains": "org-alpha.test",
            "saml_enabled": "on",
            "saml_entity_id": idp.entity_id,
            "saml_sso_url": idp.sso_url,
            "saml_x509cert": idp.cert_pem,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "/accounts/saml/org-alpha/acs/" in admin.get(page).text

    response = saml_sign_in(client, idp, tenant_a.organization, name_id="E1001", email="alice@org-alpha.test")
    assert response.redirect_chain[-1][0] == reverse("org_home", args=[tenant_a.organization.slug])
    alice = User.objects.get(email="alice@org-alpha.test")
    assert int(client.session["_auth_user_id"]) == alice.pk
    assert memberships_of(alice.email) == [("org-alpha", [], True)]
    account = SocialAccount.objects.get(user=alice)
    assert (account.provider, account.uid) == (saml_provider_id(tenant_a.organization), "E1001")

    client.logout()
    saml_sign_in(client, idp, tenant_a.organization, name_id="E1001", email="alice@org-alpha.test")
    assert int(client.session["_auth_user_id"]) == alice.pk
    assert User.objects.count() == 5  # two admins, two members, Alice


def _no_user_was_made(client, response, email: str) -> None:
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email=email).exists()
    assert not SocialAccount.objects.exists()


def test_an_assertion_altered_after_signing_is_rejected(client, idp, alpha_sso, tenant_a):
    def swap_email(xml: str) -> str:
        return xml.replace("alice@org-alpha.test", "mallory@org-alpha.test")

    response = saml_sign_in(
        client, idp, tenant_a.organization, name_id="E1001", email="alice@org-alpha.test", alter=swap_email
    )
    assert response.status_code == 401 and "Third-Party Login Failure" in response.text
    _no_user_was_made(client, response, "mallory@org-alpha.test")


def test_an_unsigned_assertion_is_rejected(client, idp, alpha_sso, tenant_a):
    def strip_signature(xml: str) -> str:
        return re.sub(r"<ds:Signature.*?</ds:Signature>", "", xml, flags=re.DOTALL)

    response = saml_sign_in(
        client, idp, tenant_a.organization, name_id="E1001", email="alice@org-alpha.test", alter=strip_signature
    )
    assert response.status_code == 401 and "Third-Party Login Failure" in response.text
    _no_user_was_made(client, response, "alice@org-alpha.test")


def test_an_assertion_signed_by_another_key_is_rejected(client, alpha_sso, tenant_a):
    impostor = LoopbackSamlIdP()  # same entity ID and URL, its own key
    response = saml_sign_in(client, impostor, tenant_a.organization, name_id="E1001", email="alice@org-alpha.test")
    assert response.status_code == 401 and "Third-Party Login Failure" in response.text
    _no_user_was_made(client, response, "alice@org-alpha.test")


def test_an_address_outside_the_domains_gets_no_account(client, idp, alpha_sso, tenant_a):
    response = saml_sign_in(client, idp, tenant_a.organization, name_id="E2002", email="bob@elsewhere.test")
    assert response.status_code == 403 and "bob@elsewhere.test is not in an email domain of Org Alpha" in response.text
    _no_user_was_made(client, response, "bob@elsewhere.test")


def test_an_existing_account_is_not_linked_by_email(client, idp, alpha_sso, tenant_a, tenant_b):
    # Org Beta's member has an address in Org Alpha's domain: Org Alpha's IdP may not take that account over.
    existing = factories.make_user("carol@org-alpha.test", "Carol Local")
    with tenant_b.scope():
        factories.make_membership(existing)
    response = saml_sign_in(client, idp, tenant_a.organization, name_id="E3003", email="Carol@org-alpha.test")
    assert response.status_code == 409 and "already exists. Log in with your password" in response.text
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    assert memberships_of(existing.email) == [("org-beta", [], True)]


def test_the_sso_page_names_the_field_of_each_error_and_is_for_org_admins_only(client, idp, tenant_a, tenant_b):
    organization_sso_save(organization=tenant_b.organization, email_domains=["org-beta.test"], oidc=None, saml=None)
    login(client, tenant_a.admin)
    page = reverse("sso_settings", args=[tenant_a.organization.slug])
    response = client.post(
        page,
        {
            "email_domains": "org-alpha.test, not a domain",
            "saml_enabled": "on",
            "saml_sso_url": "ftp://idp",
            "saml_x509cert": "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----",
            "oidc_enabled": "on",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {
        "saml_entity_id",
        "saml_sso_url",
        "saml_x509cert",
        "oidc_server_url",
        "oidc_client_id",
        "oidc_client_secret",
    }
    assert errors["saml_x509cert"] == ["This is not a PEM X.509 certificate."]

    response = client.post(page, {"email_domains": "org-alpha.test not-a-domain"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "email_domains": ["“not-a-domain” is not an email domain (like example.com)."]
    }
    response = client.post(page, {"email_domains": "org-beta.test"})
    assert response.context["form"].errors == {
        "email_domains": ["org-beta.test already belongs to another organization's single sign-on."]
    }

    login(client, tenant_a.member)
    assert client.get(page).status_code == 403
    login(client, tenant_b.admin)
    assert client.get(page).status_code == 404
    client.logout()
    assert client.post(reverse("sso_discover"), {"email": "x@nowhere.test"}).status_code == 400
    assert client.get(reverse("sso_start", args=[tenant_b.organization.slug])).status_code == 404  # no app


def test_an_unreachable_metadata_url_is_a_clear_502_not_a_server_error(client, tenant_a):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    organization_sso_save(
        organization=tenant_a.organization,
        email_domains=["org-alpha.test"],
        oidc=None,
        saml=SamlConfig(entity_id="https://idp.down.test", metadata_url=f"http://127.0.0.1:{port}/metadata"),
    )
    response = client.post(reverse("saml_login", args=[tenant_a.organization.slug]))
    assert response.status_code == 502
    assert "The identity provider could not be reached" in response.text
