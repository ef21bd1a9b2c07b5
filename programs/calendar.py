"""Mentoring sessions in people's calendars: an .ics file per session, and a personal feed URL per member.

Every event has a UID stable per session (a calendar that imports the file or polls the feed again updates the
event instead of adding a copy), its times in UTC, the summary "Mentoring: <program> with <other side>", the place
or video link as its location, and STATUS:CANCELLED once the session is cancelled, so clients take it out.

The feed URL carries a secret token: calendar clients fetch it without logging in. Only the token's hash is stored
(`CalendarFeed.token_hash`), so the URL is shown once, when it is made; regenerating it revokes the old one.
"""

from __future__ import annotations

import secrets
from datetime import UTC, timedelta

import icalendar
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from mentorship.tenancy.models import Membership
from mentorship.tenancy.services import hash_token
from programs.models import CalendarFeed, MentoringSession, Mentorship
from programs.workspace.access import mentorship_queryset, mentorships_of, names_label, participant_of, participants

FEED_PAST_DAYS = 90  # the feed lists sessions from this many days back, and everything ahead
PRODUCT_ID = "-//Mentorship//Mentoring sessions//EN"
STATUS = {
    MentoringSession.Status.SCHEDULED: "CONFIRMED",
    MentoringSession.Status.HELD: "CONFIRMED",
    MentoringSession.Status.CANCELLED: "CANCELLED",
}


def session_uid(session: MentoringSession) -> str:
    return f"mentoring-session-{session.pk}-org-{session.organization_id}@mentorship"


def session_summary(mentorship: Mentorship, membership: Membership) -> str:
    """Whom `membership` meets: a mentee their mentor, the mentor their mentees."""
    me = participant_of(mentorship, membership)
    others = [p.membership for p in participants(mentorship) if p.is_mentor != me.is_mentor]
    return f"Mentoring: {mentorship.cohort.program.name} with {names_label([str(person) for person in others])}"


def _event(session: MentoringSession, mentorship: Mentorship, membership: Membership, base_url: str):
    event = icalendar.Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", session.updated_at)
    event.add("last-modified", session.updated_at)
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", (session.starts_at + timedelta(minutes=session.duration_minutes)).astimezone(UTC))
    event.add("summary", session_summary(mentorship, membership))
    if session.location:
        event.add("location", session.location)
    page = base_url + reverse(
        "mentorship_detail", kwargs={"org_slug": membership.organization.slug, "mentorship_id": mentorship.pk}
    )
    lines = [f"Stage: {session.stage.title}"] if session.stage else []
    if session.topics:
        lines.append(f"Topics: {session.topics}")
    lines.append(f"Workspace: {page}")
    event.add("description", "\n".join(lines))
    event.add("url", page)
    event.add("status", STATUS[session.status])
    return event


def _calendar(name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def session_ics(*, session: MentoringSession, membership: Membership, base_url: str) -> bytes:
    """One session as an .ics file, for one of its participants (`session.mentorship` loaded with its people, as
    `access_session_for_participant` returns it)."""
    calendar = _calendar("Mentoring session")
    calendar.add("method", "PUBLISH")
    calendar.add_component(_event(session, session.mentorship, membership, base_url))
    return calendar.to_ical()


def feed_ics(*, membership: Membership, base_url: str) -> bytes:
    """The member's sessions across their mentorships, from FEED_PAST_DAYS ago on, in four queries whatever their
    number."""
    mentorships = {m.pk: m for m in mentorship_queryset().filter(pk__in=mentorships_of(membership).values("pk"))}
    sessions = (
        MentoringSession.objects.filter(
            mentorship_id__in=list(mentorships), starts_at__gte=timezone.now() - timedelta(days=FEED_PAST_DAYS)
        )
        .select_related("stage")
        .order_by("starts_at", "pk")
    )
    calendar = _calendar(f"Mentoring · {membership.organization.name}")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for session in sessions:
        calendar.add_component(_event(session, mentorships[session.mentorship_id], membership, base_url))
    return calendar.to_ical()


# --- The personal feed ---


@transaction.atomic
def calendar_feed_create(*, membership: Membership) -> str:
    """A new feed for the member; returns its token (shown once: only the hash is kept). Any feed the member had
    stops working, so this is also how a feed is regenerated."""
    calendar_feed_revoke(membership=membership)
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.create(membership=membership, token_hash=hash_token(token))
    return token


def calendar_feed_revoke(*, membership: Membership) -> int:
    return CalendarFeed.objects.filter(membership=membership, revoked_at__isnull=True).update(revoked_at=timezone.now())


def calendar_feed_of(membership: Membership) -> CalendarFeed | None:
    """The member's working feed, if any."""
    return CalendarFeed.objects.filter(membership=membership, revoked_at__isnull=True).order_by("-created_at").first()


def calendar_feed_for_token(token: str) -> CalendarFeed | None:
    """The working feed of an active member of the organization in scope that `token` opens, or None."""
    return (
        CalendarFeed.objects.select_related("membership__organization")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True, membership__is_active=True)
        .first()
    )
