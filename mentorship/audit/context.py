"""The request an audited action happens in, so `record()` knows who acted and from which address without every
service taking a request.

Set for every request by `AuditRequestMiddleware`. The API authenticates later, in the view: DRF writes the user
it authenticated (a personal API token's owner too) back onto the Django request, which is the object held here,
so `request.user` is right by the time a service records. Celery tasks and commands have no request: their events
are the system's unless the service names an actor.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.http import HttpRequest

_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_current_request", default=None)


def current_request() -> HttpRequest | None:
    return _current_request.get()


class AuditRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)
