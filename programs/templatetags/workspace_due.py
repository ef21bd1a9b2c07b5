"""`{% due_confirmations sessions %}` and `{% due_feedback sessions %}`: the "What's due" entries of the mentorship
page for the logs waiting for the viewer's confirmation and the sessions waiting for their feedback.

Written in Python rather than as template loops (the HTML is the same, byte for byte): every log the other side
makes adds an entry to each list until it is confirmed and given feedback, and with a few dozen of them the loops,
their URL reversals and date formatting were most of the page's time (the load test's workspace page).
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

register = template.Library()

WHEN = "D j M, H:i"
_SENTINEL = 987654321987  # a session id no real one collides with within a URL (only digits are replaced)


class _SessionUrl:
    """The URL of `view_name` for a session of the organization: reversed once, then filled in with each id."""

    def __init__(self, view_name: str, org_slug: str):
        url = reverse(view_name, args=[org_slug, _SENTINEL])
        self.before, _, self.after = url.rpartition(str(_SENTINEL))

    def __call__(self, session_id: int) -> str:
        return f"{self.before}{int(session_id)}{self.after}"


def _when(context, session) -> str:
    """As `{{ session.starts_at|date:"D j M, H:i" }}` renders it (in the current time zone), escaped; once per
    session and page (a session waiting for both a confirmation and feedback is in both lists)."""
    formatted = context.render_context.setdefault("workspace_due_when", {})
    key = (session.pk, session.starts_at)
    if key not in formatted:
        local = template_localtime(session.starts_at, use_tz=context.use_tz)
        formatted[key] = conditional_escape(date_format(local, WHEN))
    return formatted[key]


def _csrf_input(context) -> str:
    """What `{% csrf_token %}` renders."""
    token = context.get("csrf_token")
    if not token:
        return ""
    if token == "NOTPROVIDED":
        return ""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


@register.simple_tag(takes_context=True)
def due_confirmations(context, sessions) -> SafeString:
    slug = context["organization"].slug
    confirm, correct = _SessionUrl("mentorship_session_confirm", slug), _SessionUrl("mentorship_session_correct", slug)
    csrf = _csrf_input(context)
    parts = []
    for session in sessions:
        parts.append(
            f"\n      <li><span><strong>Confirm</strong> the session of {_when(context, session)}, logged by "
            f"{conditional_escape(session.logged_by)}</span>\n"
            f'        <span class="due-actions">\n'
            f'          <form class="inline" method="post" action="{conditional_escape(confirm(session.pk))}">{csrf}'
            f'<button type="submit">Confirm</button></form>\n'
            f'          <a href="{conditional_escape(correct(session.pk))}">Correct</a>\n'
            f"        </span></li>\n      "
        )
    return mark_safe("".join(parts))  # every value above is escaped


@register.simple_tag(takes_context=True)
def due_feedback(context, sessions) -> SafeString:
    feedback = _SessionUrl("mentorship_session_feedback", context["organization"].slug)
    parts = []
    for session in sessions:
        parts.append(
            f"\n      <li><span><strong>Feedback</strong> on the session of {_when(context, session)}</span>\n"
            f'        <a class="button secondary" href="{conditional_escape(feedback(session.pk))}">Give feedback</a>'
            f"</li>\n      "
        )
    return mark_safe("".join(parts))  # every value above is escaped
