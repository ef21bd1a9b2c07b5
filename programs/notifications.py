"""In-app notifications and the emails sent with them, and each member's notification preferences.

`notifications_deliver` is the one way rows get in: it drops the categories each recipient muted (neither in-app
nor email), inserts the rest with `ignore_conflicts` on the unique (organization, membership, dedupe_key), and
emails only the rows this call actually created, so delivering the same reminder twice records and sends it once.
A person with several new rows in one call (the nightly reminders: a session tomorrow, feedback due, an assessment)
gets one email listing them all, not one email each. The reminders (programs/reminders.py) and anything else that
notifies people go through it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone

from mentorship.tenancy.access import fetch_or_404
from mentorship.tenancy.models import Membership, Organization
from mentorship.tenancy.scope import require_organization_id
from programs.models import Notification, NotificationPreference

Category = Notification.Category
INSERT_BATCH = 2000
# Rows of this call are told from older ones by their creation time; the margin covers a clock that moved back a
# little between two statements (rows of a concurrent call are then claimed by whichever call gets them first).
CLOCK_MARGIN = timedelta(seconds=1)


def muted_categories(membership: Membership) -> list[str]:
    preference = NotificationPreference.objects.filter(membership=membership).first()
    return list(preference.muted_categories) if preference else []


def notification_preferences_set(*, membership: Membership, muted: Iterable[str]) -> NotificationPreference:
    """Replace the categories the member turned off."""
    chosen = sorted(set(muted))
    unknown = [value for value in chosen if value not in Category.values]
    if unknown:
        raise ValidationError({"muted_categories": f"Unknown notification categories: {', '.join(unknown)}."})
    preference, _ = NotificationPreference.objects.update_or_create(
        membership=membership, defaults={"muted_categories": chosen}
    )
    return preference


def _drop_muted(notifications: list[Notification]) -> list[Notification]:
    """One query: the preferences muting any category of the batch (few people mute, so this stays small)."""
    categories = sorted({n.category for n in notifications})
    muted = {
        (membership_id, category)
        for membership_id, categories_ in NotificationPreference.objects.filter(
            muted_categories__overlap=categories
        ).values_list("membership_id", "muted_categories")
        for category in categories_
    }
    return [n for n in notifications if (n.membership_id, n.category) not in muted]


def notifications_deliver(notifications: list[Notification]) -> dict[str, int]:
    """Record and email unsaved `Notification`s (membership, category, title, body, url, dedupe_key set); return
    how many were new per category. A row whose (membership, dedupe_key) exists already is neither recorded nor
    sent again."""
    notifications = _drop_muted(notifications)
    if not notifications:
        return {}
    for notification in notifications:
        notification._claim_for_scope()  # bulk_create skips save(), where TenantModel sets the organization
    started = timezone.now() - CLOCK_MARGIN
    Notification.objects.bulk_create(notifications, ignore_conflicts=True, batch_size=INSERT_BATCH)
    # ignore_conflicts returns no ids: the new rows are the unsent ones of these categories created from now on.
    # Claiming them (emailed=True) in one short transaction before sending means two overlapping runs never send
    # the same row twice, and no row lock is held while the mail server is slow.
    categories = sorted({n.category for n in notifications})
    with transaction.atomic():
        claimed = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(emailed=False, created_at__gte=started, category__in=categories)
            .order_by("pk")
            .values_list("pk", "category", "title", "body", "url", "membership__user__email",
                         "membership__user__full_name", named=True)
        )  # fmt: skip
        Notification.objects.filter(pk__in=[row.pk for row in claimed]).update(emailed=True)
    _send_emails(claimed)
    return dict(Counter(row.category for row in claimed))


def _send_emails(rows: list) -> None:
    """One email per person: with one new row, that row's own email; with several, one digest listing them in the
    order claimed. Rows are read as plain values (tens of thousands of model instances cost seconds)."""
    if not rows:
        return
    organization = Organization.objects.get(pk=require_organization_id())
    site = settings.SITE_URL.rstrip("/")
    shared = {
        "organization": organization,
        "preferences_link": site + reverse("notification_preferences", kwargs={"org_slug": organization.slug}),
    }
    single, digest = get_template("programs/email/notification.txt"), get_template("programs/email/digest.txt")
    by_person = defaultdict(list)
    for row in rows:
        by_person[row.membership__user__email].append(row)
    messages = []
    for email, mine in by_person.items():
        items = [
            {"notification": row, "category": Category(row.category).label, "link": site + row.url if row.url else ""}
            for row in mine
        ]
        context = {**shared, "name": mine[0].membership__user__full_name or email}
        if len(items) == 1:
            subject, body = mine[0].title, single.render({**context, **items[0]})
        else:
            categories = sorted({item["category"] for item in items})
            subject = f"{len(items)} new notifications from {organization.name}"
            body = digest.render({**context, "items": items, "categories": categories})
        messages.append(EmailMessage(subject, body, None, [email]))
    get_connection().send_messages(messages)


# --- Reads and the member's own actions ---


def notification_list(*, membership: Membership) -> QuerySet[Notification]:
    """The member's notifications, unread first, newest first within each."""
    return (
        Notification.objects.filter(membership=membership)
        .annotate(unread=Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("unread", "-created_at", "-pk")
    )


def unread_count(membership: Membership) -> int:
    """One COUNT on the (organization, membership, read_at) index: the sidebar badge."""
    return Notification.objects.filter(membership=membership, read_at__isnull=True).count()


def access_notification_for_member(membership: Membership, notification_id) -> Notification:
    """One of the member's own notifications; 404 alike for a missing, foreign or someone else's."""
    return fetch_or_404(Notification.objects.filter(membership=membership), notification_id, "notification")


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, membership: Membership) -> int:
    return Notification.objects.filter(membership=membership, read_at__isnull=True).update(read_at=timezone.now())
