"""A mentor logs the first session of a published mentorship in a real browser; the mentee logs in, confirms it
and gives feedback with the pairing-fit answer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from programs.models import MentoringSession, PrivateNote, SessionFeedback
from tests.e2e.browser import log_in
from tests.programs.workspace_setup import make_workspace_pair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_my_mentorship(page, live_server, slug):
    page.get_by_role("navigation", name="Org Alpha").get_by_role("link", name="My mentorships").click()
    page.wait_for_url(f"{live_server.url}/o/{slug}/mentorships/")
    page.get_by_role("link", name="Build Together").click()
    page.wait_for_url(re.compile(rf"{live_server.url}/o/{slug}/mentorships/\d+/"))


def test_mentor_logs_the_first_session_and_the_mentee_confirms_it_and_gives_feedback(
    page, live_server, tenants, artifacts
):
    tenant_a, _ = tenants
    pair = make_workspace_pair(tenant_a)
    slug = tenant_a.organization.slug
    first_stage = pair.stages[0]
    started = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)  # members' time zone: UTC

    # The mentor logs session 1.
    log_in(page, live_server, pair.mentor.user.email, lands_on=f"/o/{slug}/")
    open_my_mentorship(page, live_server, slug)
    assert page.get_by_text("Stage 1 of 4: Establish trust and define goals").is_visible()
    assert page.get_by_text("No session logged yet.").is_visible()
    page.get_by_role("link", name="Log a session").first.click()
    page.get_by_label("When did it start?").fill(started.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Duration (minutes)").fill("50")
    assert page.get_by_label("Stage").input_value() == str(first_stage.pk)  # the current stage by default
    page.get_by_label(first_stage.reflection_prompts[0]).fill("Mia wants to facilitate the planning workshop.")
    page.get_by_label("Topics").fill("Expectations, first goal")
    page.get_by_label("Shared notes").fill("We agreed to meet every second Tuesday.")
    page.get_by_label("Private note").fill("Mia seemed unsure about the scope.")
    page.screenshot(path=artifacts / "workspace-log-session.png", full_page=True)
    page.get_by_role("button", name="Log the session").click()
    page.wait_for_url(re.compile(r".*/mentorships/\d+/#session-\d+$"))
    entry = page.locator(".session-entry").first
    assert entry.get_by_text("Logged by one side").is_visible()
    assert entry.locator(".private-note").get_by_text("Mia seemed unsure about the scope.").is_visible()  # own note
    assert page.get_by_text("Waiting for the other side to confirm.").is_visible()
    page.screenshot(path=artifacts / "workspace-mentor-logged.png", full_page=True)
    page.get_by_role("button", name=re.compile("Log out")).click()

    # The mentee confirms it and gives feedback.
    log_in(page, live_server, pair.mentee.user.email, lands_on=f"/o/{slug}/")
    open_my_mentorship(page, live_server, slug)
    due = page.locator("#due")
    assert due.get_by_text("logged by Mona Mentor").is_visible()
    assert page.get_by_text("We agreed to meet every second Tuesday.").is_visible()
    assert page.get_by_text("Mia seemed unsure about the scope.").count() == 0  # not the mentor's private note
    due.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    assert page.get_by_text("is confirmed by both sides").is_visible()
    assert page.locator(".session-entry").first.get_by_text("Confirmed by both sides").is_visible()
    page.locator("#due").get_by_role("link", name="Give feedback").click()
    page.get_by_role("radio", name="4", exact=True).check()
    page.get_by_label("Comment (optional)").fill("A calm, useful start.")
    page.get_by_role("radio", name="Good fit", exact=True).check()
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url(re.compile(r".*/mentorships/\d+/#session-\d+$"))
    assert page.get_by_text("Thank you for your feedback.").is_visible()
    assert page.get_by_text("Your feedback is in").is_visible()
    assert page.get_by_text("Stage 2 of 4: Identify strengths and growth areas").is_visible()
    page.screenshot(path=artifacts / "workspace-mentee-confirmed.png", full_page=True)

    with tenant_a.scope():
        session = MentoringSession.objects.get()
        assert (session.status, session.starts_at, session.duration_minutes) == ("held", started, 50)
        assert (session.stage_id, session.logged_by_id) == (first_stage.pk, pair.mentor.pk)
        assert (session.confirmation, session.confirmed_by_id) == ("confirmed", pair.mentee.pk)
        assert session.reflection_answers == [
            {"prompt": first_stage.reflection_prompts[0], "answer": "Mia wants to facilitate the planning workshop."}
        ]
        assert list(PrivateNote.objects.values_list("author_id", flat=True)) == [pair.mentor.pk]
        assert list(SessionFeedback.objects.values_list("author_id", "rating", "comment", "pairing_fit")) == [
            (pair.mentee.pk, 4, "A calm, useful start.", "good")
        ]
