"""Session idle and absolute timeouts: an expired session is logged out and sent to the login page."""

from __future__ import annotations

import time

from django.urls import reverse

from mentorship.accounts.session_timeouts import LAST_SEEN, LOGIN_AT
from tests.conftest import login


def backdate(client, **stamps):
    session = client.session
    for key, seconds_ago in stamps.items():
        session[key] = int(time.time()) - seconds_ago
    session.save()


def test_login_stamps_the_session(client, tenant_a):
    login(client, tenant_a.member)
    now = int(time.time())
    assert now - client.session[LOGIN_AT] < 5
    assert now - client.session[LAST_SEEN] < 5


def test_an_active_session_within_both_limits_goes_on(client, tenant_a, settings):
    login(client, tenant_a.member)
    backdate(
        client, **{LOGIN_AT: settings.SESSION_ABSOLUTE_TIMEOUT - 60, LAST_SEEN: settings.SESSION_IDLE_TIMEOUT - 60}
    )
    response = client.get(reverse("org_home", kwargs={"org_slug": tenant_a.organization.slug}))
    assert response.status_code == 200
    assert int(time.time()) - client.session[LAST_SEEN] < 5  # the request counts as activity


def test_an_idle_session_is_logged_out(client, tenant_a, settings):
    login(client, tenant_a.member)
    backdate(client, **{LAST_SEEN: settings.SESSION_IDLE_TIMEOUT + 1})
    home = reverse("org_home", kwargs={"org_slug": tenant_a.organization.slug})
    response = client.get(home, follow=True)
    assert response.redirect_chain[0][0] == f"{reverse('account_login')}?next={home}"
    assert b"logged out after a period of inactivity" in response.content
    assert "_auth_user_id" not in client.session
    assert client.get(home).status_code == 302  # stays logged out


def test_a_session_past_its_absolute_limit_is_logged_out_however_active(client, tenant_a, settings):
    login(client, tenant_a.member)
    backdate(client, **{LOGIN_AT: settings.SESSION_ABSOLUTE_TIMEOUT + 1, LAST_SEEN: 0})
    home = reverse("org_home", kwargs={"org_slug": tenant_a.organization.slug})
    response = client.get(home, follow=True)
    assert response.redirect_chain[0][0] == f"{reverse('account_login')}?next={home}"
    assert b"maximum length" in response.content
    assert "_auth_user_id" not in client.session


def test_an_expired_htmx_request_redirects_the_whole_page(client, tenant_a, settings):
    login(client, tenant_a.member)
    backdate(client, **{LAST_SEEN: settings.SESSION_IDLE_TIMEOUT + 1})
    response = client.get(reverse("org_home", kwargs={"org_slug": tenant_a.organization.slug}), HTTP_HX_REQUEST="true")
    assert response.headers["HX-Redirect"] == reverse("account_login")


def test_an_expired_api_session_gets_403(client, tenant_a, settings):
    login(client, tenant_a.member)
    url = f"/api/orgs/{tenant_a.organization.slug}/me/"
    assert client.get(url).status_code == 200
    backdate(client, **{LOGIN_AT: settings.SESSION_ABSOLUTE_TIMEOUT + 1})
    assert client.get(url).status_code == 403
    assert "_auth_user_id" not in client.session


def test_the_timeouts_come_from_settings(client, tenant_a, settings):
    settings.SESSION_IDLE_TIMEOUT = 5
    login(client, tenant_a.member)
    backdate(client, **{LAST_SEEN: 6})
    assert client.get(reverse("org_home", kwargs={"org_slug": tenant_a.organization.slug})).status_code == 302
