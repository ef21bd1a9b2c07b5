"""Throttling: the invitation link per client IP, the API per user and per anonymous IP (rates from settings)."""

from __future__ import annotations

from django.urls import reverse

from tests import factories
from tests.conftest import login


def test_invitation_links_are_throttled_per_client_ip(client, tenant_a, settings, empty_cache):
    settings.INVITATION_ACCEPT_RATE = "3/minute"
    with tenant_a.scope():
        factories.make_invitation(email="newcomer@example.com", token="a-real-token-0123456789")
    url = reverse("invitation_accept", kwargs={"token": "a-real-token-0123456789"})
    guesses = [reverse("invitation_accept", kwargs={"token": f"guess-{n}"}) for n in range(2)]
    assert [client.get(u, REMOTE_ADDR="10.0.0.7").status_code for u in guesses] == [410, 410]
    assert client.get(url, REMOTE_ADDR="10.0.0.7").status_code == 200
    # The fourth visit from that address is refused even with the right token, and names the reason...
    refused = client.get(url, REMOTE_ADDR="10.0.0.7")
    assert refused.status_code == 429
    assert b"Too many invitation links" in refused.content
    assert b"newcomer@example.com" not in refused.content
    # ... while another address is not affected.
    assert client.get(url, REMOTE_ADDR="10.0.0.8").status_code == 200


def test_accepting_is_counted_too(client, tenant_a, settings, empty_cache):
    settings.INVITATION_ACCEPT_RATE = "1/minute"
    user = factories.make_user("joiner@example.com", "Jo Iner")
    with tenant_a.scope():
        factories.make_invitation(email=user.email, token="another-real-token-0123")
    client.force_login(user)
    url = reverse("invitation_accept", kwargs={"token": "another-real-token-0123"})
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 429
    with tenant_a.scope():
        from mentorship.tenancy.models import Membership

        assert not Membership.objects.filter(user=user).exists()  # nothing joined


def test_the_api_is_throttled_per_user(client, tenants, settings, empty_cache):
    tenant_a, tenant_b = tenants
    settings.API_THROTTLE_RATES = {"anon": None, "user": "3/minute"}
    login(client, tenant_a.admin)
    url = f"/api/orgs/{tenant_a.organization.slug}/me/"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    throttled = client.get(url)
    assert throttled.status_code == 429
    assert "throttled" in throttled.json()["detail"].lower()
    assert "Retry-After" in throttled.headers
    # Another user has a budget of their own.
    login(client, tenant_b.admin)
    assert client.get(f"/api/orgs/{tenant_b.organization.slug}/me/").status_code == 200


def test_anonymous_api_callers_are_throttled_per_ip(client, db, settings, empty_cache):
    settings.API_THROTTLE_RATES = {"anon": "1/minute", "user": None}
    assert client.get(reverse("api_schema")).status_code == 200
    assert client.get(reverse("api_schema")).status_code == 429


def test_failed_logins_are_rate_limited_by_allauth(client, db, empty_cache):
    """ACCOUNT_RATE_LIMITS: five failed attempts for one address in five minutes, then even the right password waits."""
    user = factories.make_user("locked@example.com", "Lock Ed")
    user.set_password("the-right-password-42")
    user.save()
    url = reverse("account_login")
    for _ in range(5):
        response = client.post(url, {"login": user.email, "password": "wrong-password-1"})
        assert b"Too many failed login attempts" not in response.content
    response = client.post(url, {"login": user.email, "password": "the-right-password-42"})
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session
