"""The notifications page (unread first, mark one or all read with htmx), the sidebar's unread count and the
preferences: isolation pairs on every page and POST, constant query counts."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.models import Notification, NotificationPreference
from tests import factories
from tests.conftest import login


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def notify(membership, title, *, read=False, category="feedback_due"):
    return Notification.objects.create(
        membership=membership, category=category, title=title, body=f"Body of {title}", url="/somewhere/",
        dedupe_key=f"test:{title}", read_at=timezone.now() if read else None,
    )  # fmt: skip


def unread_of(membership):
    return set(Notification.objects.filter(membership=membership, read_at__isnull=True).values_list("pk", flat=True))


def test_the_list_shows_my_notifications_only_unread_first(client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        old_read = notify(tenant_a.member, "Old and read", read=True)
        unread = notify(tenant_a.member, "Still unread")
        notify(tenant_a.admin, "The admin's own")
    with tenant_b.scope():
        notify(factories.make_membership(tenant_a.member.user), "Beta secret")
    response = login(client, tenant_a.member).get(url("notification_list", tenant_a))
    assert response.status_code == 200
    content = response.content.decode()
    assert [n.pk for n in response.context["page"]] == [unread.pk, old_read.pk]
    assert "Still unread" in content and "Old and read" in content
    assert "The admin's own" not in content and "Beta secret" not in content
    assert "1 unread" in content


def test_the_sidebar_counts_my_unread_notifications_in_this_organization(client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        for title in ("One", "Two"):
            notify(tenant_a.member, title)
        notify(tenant_a.member, "Read", read=True)
        notify(tenant_a.admin, "Not mine")
    with tenant_b.scope():
        notify(factories.make_membership(tenant_a.member.user), "Beta")
    response = login(client, tenant_a.member).get(url("my_applications", tenant_a))
    badge = (
        '<span id="unread-count"><span class="badge info"><span class="visually-hidden">unread: </span>2</span></span>'
    )
    assert badge in response.content.decode()


def test_the_unread_count_is_one_count_query(client, tenant_a):
    login(client, tenant_a.member)
    page_url = url("my_applications", tenant_a)
    client.get(page_url)  # warm the session
    with CaptureQueriesContext(connection) as queries:
        client.get(page_url)
    counts = [q["sql"] for q in queries if '"programs_notification"' in q["sql"]]
    assert len(counts) == 1 and counts[0].startswith("SELECT COUNT(*)")


def test_mark_read_with_htmx_swaps_the_list_and_the_badge(client, tenant_a):
    with tenant_a.scope():
        first, second = notify(tenant_a.member, "First"), notify(tenant_a.member, "Second")
    response = login(client, tenant_a.member).post(
        url("notification_read", tenant_a, notification_id=first.pk), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.startswith('<section id="notification-list"') and "1 unread" in content
    assert '<span id="unread-count" hx-swap-oob="true"><span class="badge info">' in content
    with tenant_a.scope():
        assert unread_of(tenant_a.member) == {second.pk}


def test_mark_read_without_htmx_goes_back_to_the_list(client, tenant_a):
    with tenant_a.scope():
        notification = notify(tenant_a.member, "First")
    response = login(client, tenant_a.member).post(url("notification_read", tenant_a, notification_id=notification.pk))
    assert response.status_code == 302 and response["Location"] == url("notification_list", tenant_a)
    with tenant_a.scope():
        assert not unread_of(tenant_a.member)


def test_mark_read_of_someone_elses_or_another_organizations_notification_is_404_and_changes_nothing(client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        colleague = notify(tenant_a.admin, "The admin's")
    with tenant_b.scope():
        my_other_self = factories.make_membership(tenant_a.member.user)
        foreign = notify(my_other_self, "Mine, but in Beta")
    login(client, tenant_a.member)
    for notification_id in (colleague.pk, foreign.pk, 999_999):
        response = client.post(url("notification_read", tenant_a, notification_id=notification_id))
        assert response.status_code == 404
    with tenant_a.scope():
        assert unread_of(tenant_a.admin) == {colleague.pk}
    with tenant_b.scope():
        assert unread_of(my_other_self) == {foreign.pk}


def test_mark_all_read_touches_my_notifications_in_this_organization_only(client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        notify(tenant_a.member, "One")
        notify(tenant_a.member, "Two")
        colleague = notify(tenant_a.admin, "The admin's")
    with tenant_b.scope():
        my_other_self = factories.make_membership(tenant_a.member.user)
        foreign = notify(my_other_self, "Mine, but in Beta")
    response = login(client, tenant_a.member).post(url("notification_read_all", tenant_a), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Nothing unread" in response.content.decode()
    with tenant_a.scope():
        assert not unread_of(tenant_a.member)
        assert unread_of(tenant_a.admin) == {colleague.pk}
    with tenant_b.scope():
        assert unread_of(my_other_self) == {foreign.pk}


def test_the_pages_are_posts_only_where_they_change_something(client, tenant_a):
    with tenant_a.scope():
        notification = notify(tenant_a.member, "First")
    login(client, tenant_a.member)
    assert client.get(url("notification_read", tenant_a, notification_id=notification.pk)).status_code == 405
    assert client.get(url("notification_read_all", tenant_a)).status_code == 405
    with tenant_a.scope():
        assert unread_of(tenant_a.member) == {notification.pk}


def test_the_list_runs_a_constant_number_of_queries(client, tenant_a):
    with tenant_a.scope():
        notify(tenant_a.member, "First")
    login(client, tenant_a.member)
    page_url = url("notification_list", tenant_a)
    client.get(page_url)
    with CaptureQueriesContext(connection) as few:
        client.get(page_url)
    with tenant_a.scope():
        for number in range(20):
            notify(tenant_a.member, f"More {number}", read=number % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        response = client.get(page_url)
    assert len(response.context["page"]) == 21
    assert len(many) == len(few)


def test_another_organizations_pages_are_404_for_a_non_member(client, tenants):
    tenant_a, tenant_b = tenants
    login(client, tenant_a.member)
    for name in ("notification_list", "notification_preferences"):
        assert client.get(url(name, tenant_b)).status_code == 404
    assert client.post(url("notification_read_all", tenant_b)).status_code == 404


# --- Preferences ---


def test_preferences_start_with_everything_on_and_save_the_unticked_as_muted(client, tenant_a):
    login(client, tenant_a.member)
    page_url = url("notification_preferences", tenant_a)
    form = client.get(page_url).context["form"]
    assert form.initial["enabled"] == list(Notification.Category.values)
    enabled = [value for value in Notification.Category.values if value not in ("cadence_gap", "recognition")]
    response = client.post(page_url, {"enabled": enabled})
    assert response.status_code == 302
    with tenant_a.scope():
        preference = NotificationPreference.objects.get(membership=tenant_a.member)
    assert preference.muted_categories == ["cadence_gap", "recognition"]
    assert client.get(page_url).context["form"].initial["enabled"] == enabled


def test_an_unknown_category_is_an_error_on_the_field(client, tenant_a):
    response = login(client, tenant_a.member).post(
        url("notification_preferences", tenant_a), {"enabled": ["feedback_due", "spam"]}
    )
    assert response.status_code == 400
    assert "enabled" in response.context["form"].errors
    with tenant_a.scope():
        assert not NotificationPreference.objects.exists()


def test_preferences_are_per_organization(client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        my_other_self = factories.make_membership(tenant_a.member.user)
        NotificationPreference.objects.create(membership=my_other_self, muted_categories=["feedback_due"])
    login(client, tenant_a.member).post(url("notification_preferences", tenant_a), {"enabled": []})
    with tenant_a.scope():
        assert len(NotificationPreference.objects.get(membership=tenant_a.member).muted_categories) == len(
            Notification.Category.values
        )
    with tenant_b.scope():
        assert NotificationPreference.objects.get(membership=my_other_self).muted_categories == ["feedback_due"]
