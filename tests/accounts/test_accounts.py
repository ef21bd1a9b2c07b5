"""Accounts: email login, verification required, password reset, TOTP MFA, login rate limiting."""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from tests import factories


def test_login_with_email_and_password(client, tenant_a):
    response = client.post(reverse("account_login"), {"login": "admin@org-alpha.test", "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # logged in: sent to the organization


def test_wrong_password_is_a_clear_error(client, tenant_a):
    response = client.post(reverse("account_login"), {"login": "admin@org-alpha.test", "password": "nope"})
    assert response.status_code == 200
    assert b"not correct" in response.content


def test_unverified_email_cannot_log_in_until_verified(client, db):
    user = factories.make_user("fresh@example.com")
    EmailAddress.objects.filter(user=user).update(verified=False)
    response = client.post(reverse("account_login"), {"login": "fresh@example.com", "password": factories.PASSWORD})
    assert response.status_code == 302 and "confirm-email" in response["Location"]
    assert "Confirm" in mail.outbox[-1].subject or "confirm" in mail.outbox[-1].body.lower()


def test_password_reset_sends_a_working_link(client, tenant_a):
    client.post(reverse("account_reset_password"), {"email": "admin@org-alpha.test"})
    link = re.search(r"http://testserver(\S+)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.request["PATH_INFO"], {"password1": "brand-new-passphrase-7", "password2": "brand-new-passphrase-7"}
    )
    assert response.status_code == 302
    tenant_a.admin.user.refresh_from_db()
    assert tenant_a.admin.user.check_password("brand-new-passphrase-7")


def test_login_is_rate_limited_after_repeated_failures(client, tenant_a):
    cache.clear()
    pages = [
        client.post(reverse("account_login"), {"login": "admin@org-alpha.test", "password": "wrong"}).content
        for _ in range(6)
    ]
    assert b"Too many failed login attempts" not in pages[0]
    assert b"Too many failed login attempts" in pages[-1]
    # Even the right password is refused while the limit holds.
    right = client.post(reverse("account_login"), {"login": "admin@org-alpha.test", "password": factories.PASSWORD})
    assert right.status_code == 200 and b"Too many failed login attempts" in right.content
    cache.clear()


def test_totp_mfa_can_be_activated_and_is_then_required(client, tenant_a):
    from allauth.mfa.totp.internal.auth import hotp_value, yield_hotp_counters_from_time

    user = tenant_a.admin.user
    client.force_login(user)
    activate = reverse("mfa_activate_totp")
    # Security-sensitive: allauth asks for the password again first.
    reauth = client.get(activate)
    assert reauth.status_code == 302 and "reauthenticate" in reauth["Location"]
    client.post(reauth["Location"], {"password": factories.PASSWORD})
    page = client.get(activate)
    assert page.status_code == 200
    secret = page.context["form"].secret
    code = next(f"{hotp_value(secret, counter):06d}" for counter in yield_hotp_counters_from_time())
    response = client.post(activate, {"code": code})
    assert response.status_code == 302
    client.logout()
    login = client.post(reverse("account_login"), {"login": user.email, "password": factories.PASSWORD})
    assert login.status_code == 302 and "2fa" in login["Location"]


def test_every_page_names_its_icon_and_the_icon_is_a_static_file(client):
    """The pages link the favicon (browsers otherwise ask for /favicon.ico and get a 404)."""
    page = client.get(reverse("account_login")).content.decode()
    match = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert match, "the login page links no icon"
    path = match.group(1).removeprefix(settings.STATIC_URL)
    assert finders.find(path), f"{path} is not among the static files"
