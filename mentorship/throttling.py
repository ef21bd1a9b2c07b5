"""Request throttling: DRF throttles for the API, and a per-IP counter for the invitation link.

DRF's stock throttles copy DEFAULT_THROTTLE_RATES once, at import; ours read `settings.API_THROTTLE_RATES` each time
DRF builds them (once per request), so a test's settings change takes effect. A rate of None means no limit.
Counters live in the default cache (Redis), shared by every web process.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from rest_framework import throttling


class SettingsRateMixin:
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(SettingsRateMixin, throttling.AnonRateThrottle):
    """Anonymous callers, per client IP (API_THROTTLE_ANON)."""


class UserRateThrottle(SettingsRateMixin, throttling.UserRateThrottle):
    """Authenticated callers, per user (API_THROTTLE_USER)."""


def allow_invitation_attempt(request) -> bool:
    """Count one visit of an invitation link from this client IP; False once INVITATION_ACCEPT_RATE is used up.

    Tokens are long random strings, but a fixed window per IP keeps anyone from walking through guesses.
    """
    rate = settings.INVITATION_ACCEPT_RATE
    if rate is None:
        return True
    number, period = rate.split("/")
    limit, window = int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]  # DRF's rate format
    key = f"throttle:invitation:{client_ip(request)}"
    cache.add(key, 0, timeout=window)  # starts the window; a no-op while one is running
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


def client_ip(request) -> str:
    """The address DRF's throttles use (X-Forwarded-For from our proxy when NUM_PROXIES is set, else REMOTE_ADDR)."""
    return throttling.BaseThrottle().get_ident(request)
