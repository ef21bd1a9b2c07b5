"""Reads of the audit log: the scope's organization's events, newest first, filtered."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import F, OuterRef, QuerySet, Subquery

from mentorship.audit.models import Action, AuditEvent, TargetType
from mentorship.audit.services import erased_member_label
from mentorship.tenancy.models import Membership


class AuditFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end of the period must not be before its start.")
        return cleaned


def _actors():
    """Only people who acted in this organization: the event subquery is filtered by the scope when it runs.

    `erased_as` is their membership's id when this organization erased them: the account may keep its name for
    another organization, but here they are shown as their redacted events name them."""
    erased = Membership.objects.filter(user=OuterRef("pk"), erased_at__isnull=False).values("pk")[:1]
    return (
        get_user_model()
        .objects.filter(pk__in=AuditEvent.objects.values("actor_id"))
        .annotate(erased_as=Subquery(erased))
        .order_by(F("erased_as").asc(nulls_first=True), "full_name", "email")
    )


class ActorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return str(user) if user.erased_as is None else erased_member_label(user.erased_as)


class ActorFilter(django_filters.ModelChoiceFilter):
    field_class = ActorChoiceField


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=Action.choices, label="Action", empty_label="Any action")
    actor = ActorFilter(queryset=_actors(), label="Who", empty_label="Anyone")
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
