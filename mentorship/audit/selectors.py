"""Reads of the audit log: the scope's organization's events, newest first, filtered."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from mentorship.audit.models import Action, AuditEvent, TargetType


class AuditFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end of the period must not be before its start.")
        return cleaned


def _actors():
    """Only people who acted in this organization: the event subquery is filtered by the scope when it runs."""
    return get_user_model().objects.filter(pk__in=AuditEvent.objects.values("actor_id")).order_by("full_name", "email")


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=Action.choices, label="Action", empty_label="Any action")
    actor = django_filters.ModelChoiceFilter(queryset=_actors(), label="Who", empty_label="Anyone")
    target_type = django_filters.ChoiceFilter(choices=TargetType.choices, label="Target", empty_label="Any target")
    since = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "target_type", "since", "until"]
        form = AuditFilterForm


def audit_event_list(*, filters=None) -> tuple[AuditEventFilter, QuerySet[AuditEvent]]:
    """The events matching `filters`, newest first; none while the filters are invalid (the FilterSet carries the
    errors), so a mistyped filter never passes for "everything"."""
    filterset = AuditEventFilter(filters or {}, queryset=AuditEvent.objects.order_by("-created_at", "-id"))
    events = filterset.qs if filterset.is_valid() else AuditEvent.objects.none()
    return filterset, events
