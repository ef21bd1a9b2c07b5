"""The member's notifications: the list (unread first), mark one or all read (htmx swaps the list in place), and
the preferences (a checkbox per category; an unticked category is muted: neither in-app nor email)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from programs import notifications
from programs.models import Notification

PAGE_SIZE = 30


class PreferencesForm(forms.Form):
    enabled = forms.MultipleChoiceField(
        label="Notify me about",
        choices=Notification.Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Untick a kind to turn it off: no notification here and no email.",
    )


def _list_context(request) -> dict:
    page = Paginator(notifications.notification_list(membership=request.membership), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return {"page": page, "unread": notifications.unread_count(request.membership)}


def _list_response(request):
    """The list alone for htmx (it swaps `#notification-list`), otherwise back to the page."""
    if request.htmx:
        return render(request, "programs/notifications/_list.html", _list_context(request))
    return redirect("notification_list", org_slug=request.organization.slug)


def notification_list(request, org_slug):
    return render(request, "programs/notifications/list.html", _list_context(request))


@require_POST
def notification_read(request, org_slug, notification_id):
    notification = notifications.access_notification_for_member(request.membership, notification_id)
    notifications.notification_mark_read(notification=notification)
    return _list_response(request)


@require_POST
def notification_read_all(request, org_slug):
    notifications.notifications_mark_all_read(membership=request.membership)
    return _list_response(request)


def notification_preferences(request, org_slug):
    membership = request.membership
    muted = notifications.muted_categories(membership)
    initial = {"enabled": [value for value in Notification.Category.values if value not in muted]}
    form = PreferencesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        # The form only offers known categories, which is all the service checks.
        enabled = set(form.cleaned_data["enabled"])
        notifications.notification_preferences_set(
            membership=membership, muted=[value for value in Notification.Category.values if value not in enabled]
        )
        messages.success(request, "Your notification preferences are saved.")
        return redirect("notification_preferences", org_slug=org_slug)
    status = 400 if form.errors else 200
    return render(request, "programs/notifications/preferences.html", {"form": form}, status=status)
