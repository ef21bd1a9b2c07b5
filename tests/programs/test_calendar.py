"""Calendar: a session's .ics for its participants only (parsed back with icalendar: UID, UTC times, summary,
location, cancelled status), and the personal feed (valid, revoked, regenerated, another organization's slug, a
deactivated member: 404), with isolation pairs on every page and POST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mentorship.tenancy.models import Membership
from mentorship.tenancy.services import hash_token
from programs.models import CalendarFeed, MentoringSession
from tests import factories
from tests.conftest import login
from tests.programs.test_reminders import pair, people


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def feed_path(tenant, token):
    return reverse("calendar_feed", kwargs={"org_slug": tenant.organization.slug, "token": token})


def events(response) -> list:
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content).walk("VEVENT")


def a_session(tenant, *, status=MentoringSession.Status.SCHEDULED, starts_at=None, **fields):
    """A session of a fresh mentorship in the tenant's organization; returns (session, mentor, mentee)."""
    with tenant.scope():
        mentorship = pair(published_days_ago=5)
        mentor, (mentee,) = people(mentorship)
        session = factories.make_session(
            mentorship, status=status, starts_at=starts_at or datetime(2031, 3, 4, 9, 30, tzinfo=UTC), **fields
        )
        assert session.mentorship.cohort.program  # loaded inside the scope, for the assertions outside it
    return session, mentor, mentee


def create_feed(client, tenant) -> str:
    """Create the logged-in member's feed on the calendar page; returns the URL it shows (once)."""
    response = client.post(url("calendar_settings", tenant), {"action": "create"})
    assert response.status_code == 200
    return response.context["feed_url"]


# --- One session's .ics ---


def test_a_participant_downloads_the_session_with_utc_times_a_stable_uid_and_the_other_side(client, tenant_a):
    session, mentor, mentee = a_session(tenant_a, duration_minutes=45, location="https://meet.example/room")
    response = login(client, mentee).get(url("session_calendar", tenant_a, session_id=session.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="mentoring-session-{session.pk}.ics"'
    (event,) = events(response)
    assert event["DTSTART"].dt == datetime(2031, 3, 4, 9, 30, tzinfo=UTC)
    assert event["DTEND"].dt == datetime(2031, 3, 4, 10, 15, tzinfo=UTC)
    assert b"DTSTART:20310304T093000Z" in response.content
    program = session.mentorship.cohort.program.name
    assert str(event["SUMMARY"]) == f"Mentoring: {program} with {mentor}"
    assert str(event["LOCATION"]) == "https://meet.example/room"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert f"/o/{tenant_a.organization.slug}/mentorships/{session.mentorship_id}/" in str(event["DESCRIPTION"])
    # The mentor sees the mentee on the other side, under the same UID.
    again = login(client, mentor).get(url("session_calendar", tenant_a, session_id=session.pk))
    (mentor_event,) = events(again)
    assert str(mentor_event["SUMMARY"]) == f"Mentoring: {program} with {mentee}"
    assert str(mentor_event["UID"]) == str(event["UID"])


def test_a_cancelled_session_is_marked_cancelled(client, tenant_a):
    session, _mentor, mentee = a_session(tenant_a, status=MentoringSession.Status.CANCELLED)
    (event,) = events(login(client, mentee).get(url("session_calendar", tenant_a, session_id=session.pk)))
    assert str(event["STATUS"]) == "CANCELLED"


def test_the_session_file_is_404_for_anyone_but_its_participants(client, tenants):
    tenant_a, tenant_b = tenants
    session, _mentor, _mentee = a_session(tenant_a)
    foreign, _foreign_mentor, _foreign_mentee = a_session(tenant_b)
    for outsider in (tenant_a.admin, tenant_a.member):  # an org admin is no participant either
        response = login(client, outsider).get(url("session_calendar", tenant_a, session_id=session.pk))
        assert response.status_code == 404
    login(client, tenant_a.member)
    assert client.get(url("session_calendar", tenant_a, session_id=foreign.pk)).status_code == 404
    assert client.get(url("session_calendar", tenant_b, session_id=foreign.pk)).status_code == 404


def test_the_mentorship_page_links_each_upcoming_session_to_its_file(client, tenant_a):
    session, _mentor, mentee = a_session(tenant_a, starts_at=timezone.now() + timedelta(days=3))
    response = login(client, mentee).get(url("mentorship_detail", tenant_a, mentorship_id=session.mentorship_id))
    assert response.status_code == 200
    assert url("session_calendar", tenant_a, session_id=session.pk) in response.content.decode()


# --- The personal feed ---


def test_the_feed_lists_my_sessions_across_mentorships_without_a_login(client, tenant_a):
    soon, mentor, _mentee = a_session(tenant_a, starts_at=timezone.now() + timedelta(days=2))
    with tenant_a.scope():
        other = pair(published_days_ago=5)
        other.mentor = factories.make_application(other.cohort, mentor, role="mentor", status="accepted")
        other.save(update_fields=["mentor"])
        second = factories.make_session(other, status="held", starts_at=timezone.now() - timedelta(days=10))
        factories.make_session(other, status="held", starts_at=timezone.now() - timedelta(days=100))  # too old
        factories.make_session(pair(published_days_ago=5), status="scheduled")  # someone else's
    login(client, mentor)
    feed_url = create_feed(client, tenant_a)
    client.logout()
    response = client.get(feed_url)
    assert response.status_code == 200
    uids = {str(event["UID"]) for event in events(response)}
    assert uids == {f"mentoring-session-{s.pk}-org-{tenant_a.organization.pk}@mentorship" for s in (soon, second)}


def test_the_feed_url_is_shown_once_and_only_its_hash_is_kept(client, tenant_a):
    login(client, tenant_a.member)
    feed_url = create_feed(client, tenant_a)
    token = feed_url.rsplit("/", 1)[1].removesuffix(".ics")
    assert feed_url == f"http://testserver{feed_path(tenant_a, token)}"
    with tenant_a.scope():
        feed = CalendarFeed.objects.get(membership=tenant_a.member)
    assert feed.token_hash == hash_token(token) and token not in feed.token_hash
    page = client.get(url("calendar_settings", tenant_a)).content.decode()
    assert token not in page and "You have a calendar feed" in page


def test_revoking_the_feed_makes_its_url_404(client, tenant_a):
    login(client, tenant_a.member)
    feed_url = create_feed(client, tenant_a)
    response = client.post(url("calendar_settings", tenant_a), {"action": "revoke"})
    assert response.status_code == 302
    assert client.get(feed_url).status_code == 404
    assert "You have no calendar feed" in client.get(url("calendar_settings", tenant_a)).content.decode()


def test_regenerating_stops_the_old_url_and_starts_a_new_one(client, tenant_a):
    login(client, tenant_a.member)
    old = create_feed(client, tenant_a)
    response = client.post(url("calendar_settings", tenant_a), {"action": "regenerate"})
    new = response.context["feed_url"]
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    with tenant_a.scope():
        assert CalendarFeed.objects.filter(membership=tenant_a.member, revoked_at__isnull=True).count() == 1


def test_a_token_under_another_organizations_slug_or_an_unknown_one_is_404(client, tenants):
    tenant_a, tenant_b = tenants
    login(client, tenant_a.member)
    token = create_feed(client, tenant_a).rsplit("/", 1)[1].removesuffix(".ics")
    client.logout()
    assert client.get(feed_path(tenant_a, token)).status_code == 200
    assert client.get(feed_path(tenant_b, token)).status_code == 404
    assert client.get(feed_path(tenant_a, "not-a-real-token")).status_code == 404
    assert client.get(f"/calendar/no-such-org/{token}.ics").status_code == 404


def test_a_deactivated_members_feed_is_404(client, tenant_a):
    login(client, tenant_a.member)
    feed_url = create_feed(client, tenant_a)
    with tenant_a.scope():
        Membership.objects.filter(pk=tenant_a.member.pk).update(is_active=False)
    client.logout()
    assert client.get(feed_url).status_code == 404


def test_the_calendar_page_acts_on_my_feed_in_this_organization_only(client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        my_other_self = factories.make_membership(tenant_a.member.user)
        beta_feed = factories.make_calendar_feed(my_other_self)
    with tenant_a.scope():
        colleague_feed = factories.make_calendar_feed(tenant_a.admin)
    login(client, tenant_a.member)
    create_feed(client, tenant_a)
    client.post(url("calendar_settings", tenant_a), {"action": "revoke"})
    with tenant_b.scope():
        beta_feed.refresh_from_db()
    with tenant_a.scope():
        colleague_feed.refresh_from_db()
    assert beta_feed.revoked_at is None and colleague_feed.revoked_at is None
    # The admin belongs to Alpha only: Beta's calendar page is 404 and makes no feed there.
    login(client, tenant_a.admin)
    for action in ("create", "revoke"):
        assert client.post(url("calendar_settings", tenant_b), {"action": action}).status_code == 404
    assert client.get(url("calendar_settings", tenant_b)).status_code == 404
    with tenant_b.scope():
        assert list(CalendarFeed.objects.values_list("pk", "revoked_at")) == [(beta_feed.pk, None)]


def test_an_unknown_action_changes_nothing(client, tenant_a):
    login(client, tenant_a.member)
    response = client.post(url("calendar_settings", tenant_a), {"action": "explode"})
    assert response.status_code == 302
    with tenant_a.scope():
        assert not CalendarFeed.objects.exists()


def test_the_feed_runs_a_constant_number_of_queries(client, tenant_a):
    session, mentor, _mentee = a_session(tenant_a, starts_at=timezone.now() + timedelta(days=2))
    login(client, mentor)
    feed_url = create_feed(client, tenant_a)
    client.logout()
    with CaptureQueriesContext(connection) as few:
        assert len(events(client.get(feed_url))) == 1
    with tenant_a.scope():
        for days in range(1, 11):
            factories.make_session(session.mentorship, status="scheduled", starts_at=timezone.now() + timedelta(days))
    with CaptureQueriesContext(connection) as many:
        assert len(events(client.get(feed_url))) == 11
    assert len(many) == len(few)
