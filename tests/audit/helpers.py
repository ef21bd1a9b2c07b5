"""Reading the audit log in tests: the events of one organization, oldest first."""

from __future__ import annotations

from django.urls import reverse

from mentorship.audit.models import AuditEvent


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def events(tenant, action=None) -> list[AuditEvent]:
    with tenant.scope():
        found = AuditEvent.objects.order_by("created_at", "id")
        return list(found.filter(action=action) if action else found)


def only_event(tenant, action) -> AuditEvent:
    """The one event of `action`: an action recorded twice, or not at all, fails here."""
    found = events(tenant, action)
    assert len(found) == 1, [(event.action, event.target_label) for event in events(tenant)]
    return found[0]
