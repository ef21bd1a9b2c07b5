"""Session idle and absolute timeouts.

A signed-in session ends SESSION_IDLE_TIMEOUT seconds after its last request, and SESSION_ABSOLUTE_TIMEOUT seconds
after login however active it is. The login time is stamped when the user logs in (and, for a session from before
this code, on its first request); the last activity is refreshed at most once a minute, so an active user does not
cost a session write on every request. An expired session is logged out: pages redirect to the login page with a
message (htmx requests get HX-Redirect, so the login page does not land inside a fragment); API requests carry on
as anonymous and DRF answers 403.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

LOGIN_AT = "security_login_at"
LAST_SEEN = "security_last_seen"
ACTIVITY_RESOLUTION = 60  # seconds: the idle timeout is exact to within this


@receiver(user_logged_in, dispatch_uid="accounts.stamp_login_time")
def stamp_login_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_AT] = now
        request.session[LAST_SEEN] = now


def expired_reason(session, now: int) -> str | None:
    """Why this signed-in session is over, or None while it is valid."""
    login_at = session.get(LOGIN_AT)
    last_seen = session.get(LAST_SEEN)
    if login_at is not None and now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT:
        return "Your session has reached its maximum length. Please log in again."
    if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT:
        return "You were logged out after a period of inactivity. Please log in again."
    return None


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            reason = expired_reason(request.session, now)
            if reason:
                logout(request)
                if not request.path_info.startswith("/api/"):
                    messages.info(request, reason)
                    if getattr(request, "htmx", False):
                        return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
                    return redirect_to_login(request.get_full_path())
            else:
                request.session.setdefault(LOGIN_AT, now)
                if now - request.session.get(LAST_SEEN, 0) >= ACTIVITY_RESOLUTION:
                    request.session[LAST_SEEN] = now
        return self.get_response(request)
