"""The "What's due" entries rendered in Python (programs/templatetags/workspace_due.py) are the HTML the template
loops they replaced rendered, byte for byte: names that need escaping, the member's time zone, the CSRF token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone

from programs.models import MentoringSession
from programs.workspace.selectors import workspace_for
from tests import factories
from tests.programs.workspace_setup import make_workspace_pair

# The loops as templates/programs/workspace/mentorship_detail.html had them before the tags.
LOOPS = """{% for session in workspace.to_confirm %}
      <li><span><strong>Confirm</strong> the session of {{ session.starts_at|date:"D j M, H:i" }}, logged by {{ session.logged_by }}</span>
        <span class="due-actions">
          <form class="inline" method="post" action="{% url 'mentorship_session_confirm' organization.slug session.pk %}">{% csrf_token %}<button type="submit">Confirm</button></form>
          <a href="{% url 'mentorship_session_correct' organization.slug session.pk %}">Correct</a>
        </span></li>
      {% endfor %}
      {% for session in workspace.feedback_due %}
      <li><span><strong>Feedback</strong> on the session of {{ session.starts_at|date:"D j M, H:i" }}</span>
        <a class="button secondary" href="{% url 'mentorship_session_feedback' organization.slug session.pk %}">Give feedback</a></li>
      {% endfor %}"""  # noqa: E501
TAGS = """{% due_confirmations workspace.to_confirm %}
      {% due_feedback workspace.feedback_due %}"""
SEPARATOR = "<!-- tags -->"


def render_both(workspace, tenant, user) -> tuple[str, str]:
    """Both in one render, so that they see the same CSRF token."""
    request = RequestFactory().get("/")
    request.user = user
    context = {"workspace": workspace, "organization": tenant.organization}
    page = engines["django"].from_string("{% load workspace_due %}" + LOOPS + SEPARATOR + TAGS).render(context, request)
    loops, tags = page.split(SEPARATOR)
    return loops, tags


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/St_Johns"])
def test_the_due_entries_are_the_html_of_the_template_loops(tenant_a, zone):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        user = pair.mentor.user
        user.full_name = 'Mo <b>"O\'Brien"</b> & Co'
        user.save()
        for days in (1, 3, 9):
            factories.make_session(
                pair.mentorship, starts_at=timezone.now() - timedelta(days=days, minutes=7 * days),
                logged_by=pair.mentor, confirmation=MentoringSession.Confirmation.ONE_SIDED,
            )  # fmt: skip
        mentorship = pair.reload()
        workspace = workspace_for(mentorship=mentorship, me=pair.participant(pair.mentee))
        assert len(workspace.to_confirm) == 3 and len(workspace.feedback_due) == 3
        with timezone.override(zone):
            loops, tags = render_both(workspace, tenant_a, pair.mentee.user)
    assert "&lt;b&gt;&quot;O&#x27;Brien&quot;&lt;/b&gt; &amp; Co" in loops
    assert 'name="csrfmiddlewaretoken"' in loops
    assert tags == loops


def test_nothing_due_renders_nothing(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        mentorship = pair.reload()
        workspace = workspace_for(mentorship=mentorship, me=pair.participant(pair.mentee))
        loops, tags = render_both(workspace, tenant_a, pair.mentee.user)
    assert tags == loops == "\n      "
