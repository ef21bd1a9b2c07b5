"""Calendar pages: a session's .ics download (its participants only), the member's feed settings, and the feed
itself, which calendar clients fetch without a login (the secret token in the URL is the credential)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from mentorship.tenancy.models import Organization
from mentorship.tenancy.scope import tenant_scope
from programs import calendar
from programs.workspace.sessions import access_session_for_participant

ICS_TYPE = "text/calendar; charset=utf-8"


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_GET
def session_calendar(request, org_slug, session_id):
    session, _me = access_session_for_participant(request.membership, session_id)
    body = calendar.session_ics(session=session, membership=request.membership, base_url=_base_url(request))
    response = HttpResponse(body, content_type=ICS_TYPE)
    response["Content-Disposition"] = f'attachment; filename="mentoring-session-{session.pk}.ics"'
    return response


def calendar_settings(request, org_slug):
    """Create, regenerate or revoke the member's feed. A new URL is shown in this response only."""
    membership = request.membership
    feed_url = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("create", "regenerate"):
            token = calendar.calendar_feed_create(membership=membership)
            feed_url = request.build_absolute_uri(
                reverse("calendar_feed", kwargs={"org_slug": org_slug, "token": token})
            )
        elif action == "revoke":
            calendar.calendar_feed_revoke(membership=membership)
            messages.success(request, "Your calendar feed is revoked: its URL no longer works.")
            return redirect("calendar_settings", org_slug=org_slug)
        else:
            messages.error(request, "Choose create, regenerate or revoke.")
            return redirect("calendar_settings", org_slug=org_slug)
    context = {
        "feed": calendar.calendar_feed_of(membership),
        "past_days": calendar.FEED_PAST_DAYS,
        "feed_url": feed_url,
        "webcal_url": feed_url.replace("https://", "webcal://").replace("http://", "webcal://") if feed_url else None,
    }
    return render(request, "programs/notifications/calendar.html", context)


@require_GET
def calendar_feed(request, org_slug, token):
    """No login here. An unknown organization, an unknown or revoked token, a token of another organization and a
    deactivated member all give the same 404."""
    organization = Organization.objects.filter(slug=org_slug).first()
    if organization is None:
        raise Http404("No such calendar.")
    with tenant_scope(organization):
        feed = calendar.calendar_feed_for_token(token)
        if feed is None:
            raise Http404("No such calendar.")
        body = calendar.feed_ics(membership=feed.membership, base_url=_base_url(request))
    response = HttpResponse(body, content_type=ICS_TYPE)
    response["Cache-Control"] = "private, max-age=900"
    return response
