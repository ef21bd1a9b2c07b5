"""The audit log page, its CSV and its API: org admins only, their organization's events only, newest first, and
filters that narrow the list or name what is wrong with them (never a 500, never "everything")."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from mentorship.audit.models import Action, AuditEvent, TargetType
from mentorship.tenancy.models import Role
from tests import factories
from tests.audit.helpers import events, url
from tests.audit_factories import make_audit_event
from tests.conftest import login


def log(tenant, *, days_ago=0, **fields) -> AuditEvent:
    """An event of `tenant` written by `record()`, or `days_ago` days old: the past can only be inserted, as the row
    cannot be changed afterwards, so an old event is a copy of the recorded one, inserted with its date moved."""
    with tenant.scope(), transaction.atomic():
        if not days_ago:
            return make_audit_event(**fields)
        sid = transaction.savepoint()
        recorded = make_audit_event(**fields)
        transaction.savepoint_rollback(sid)
        recorded.pk, recorded.created_at = None, timezone.now() - timedelta(days=days_ago)
        recorded.save()
        return recorded


@pytest.fixture
def history(tenants):
    """Three events in A by two people over ten days, one in B whose labels must never show in A."""
    tenant_a, tenant_b = tenants
    return {
        "old_grant": log(tenant_a, days_ago=10, action=Action.ROLE_GRANTED, actor=tenant_a.admin,
                         target=tenant_a.member, details={"role": Role.HR_ANALYST}),
        "export": log(tenant_a, days_ago=3, actor=tenant_a.member, target_label="Alpha export (csv)"),
        "token": log(tenant_a, action=Action.TOKEN_CREATED, target_type=TargetType.API_TOKEN, actor=tenant_a.admin,
                     target_label="Alpha sync"),
        "foreign": log(tenant_b, actor=tenant_b.admin, target_label="Beta canary export"),
    }  # fmt: skip


def listed(response) -> list[int]:
    return [event.pk for event in response.context["page"]]


def test_an_org_admin_sees_their_organizations_events_newest_first(admin_client, tenant_a, history):
    response = admin_client.get(url("audit_log", tenant_a))
    assert response.status_code == 200
    assert listed(response) == [history["token"].pk, history["export"].pk, history["old_grant"].pk]
    page = response.content.decode()
    assert "Alpha sync" in page and "Max Member &lt;member@org-alpha.test&gt;" in page
    assert "Beta canary" not in page and "org-beta" not in page
    assert f'href="{url("audit_log", tenant_a)}"' in admin_client.get(url("member_list", tenant_a)).content.decode()


def test_the_other_organizations_admin_sees_only_theirs(client, tenants, history):
    _tenant_a, tenant_b = tenants
    response = login(client, tenant_b.admin).get(url("audit_log", tenant_b))
    assert listed(response) == [history["foreign"].pk]
    assert "Alpha" not in response.content.decode()


@pytest.mark.parametrize("name", ["audit_log", "audit_log_csv"])
def test_an_admin_of_another_organization_gets_404(client, tenants, history, name):
    tenant_a, tenant_b = tenants
    response = login(client, tenant_b.admin).get(url(name, tenant_a))
    assert response.status_code == 404
    assert b"Alpha" not in response.content


@pytest.mark.parametrize("role", [None, Role.PROGRAM_ADMIN, Role.HR_ANALYST])
@pytest.mark.parametrize("name", ["audit_log", "audit_log_csv"])
def test_everyone_but_org_admins_is_refused(client, tenant_a, history, role, name):
    with tenant_a.scope():
        someone = factories.make_membership(roles=[role] if role else [])
    response = login(client, someone).get(url(name, tenant_a))
    assert response.status_code == 403
    assert b"Alpha sync" not in response.content
    assert f'href="{url("audit_log", tenant_a)}"' not in client.get(url("org_home", tenant_a)).content.decode()


def test_anonymous_visitors_are_sent_to_login(client, tenant_a):
    for name in ("audit_log", "audit_log_csv"):
        response = client.get(url(name, tenant_a))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"action": Action.ROLE_GRANTED}, ["old_grant"]),
        ({"target_type": TargetType.API_TOKEN}, ["token"]),
        ({"actor": "member"}, ["export"]),
        ({"actor": "admin", "action": Action.TOKEN_CREATED}, ["token"]),
        ({"since": 5}, ["token", "export"]),
        ({"until": 5}, ["old_grant"]),
        ({"since": 4, "until": 2}, ["export"]),
        ({"action": Action.MEMBER_ERASED}, []),
    ],
)
def test_filters_narrow_the_list(admin_client, tenant_a, history, filters, expected):
    query = dict(filters)
    if "actor" in query:
        query["actor"] = getattr(tenant_a, query["actor"]).user_id
    for bound in ("since", "until"):
        if bound in query:
            query[bound] = (timezone.localdate() - timedelta(days=query[bound])).isoformat()
    response = admin_client.get(url("audit_log", tenant_a), query)
    assert response.status_code == 200
    assert listed(response) == [history[name].pk for name in expected]


def test_the_actor_choices_are_the_people_who_acted_here(admin_client, tenant_a, tenant_b, history):
    choices = admin_client.get(url("audit_log", tenant_a)).context["filterset"].form.fields["actor"].queryset
    with tenant_a.scope():  # the choices are read when the page renders, in its organization's scope
        assert set(choices) == {tenant_a.admin.user, tenant_a.member.user}


@pytest.mark.parametrize(
    ("filters", "field", "message"),
    [
        ({"action": "role.deleted"}, "action", "Select a valid choice"),
        ({"target_type": "'; DROP TABLE x"}, "target_type", "Select a valid choice"),
        ({"actor": "abc"}, "actor", "Select a valid choice"),
        ({"actor": "99999999999999999999"}, "actor", "Select a valid choice"),
        ({"since": "yesterday"}, "since", "Enter a valid date"),
        ({"until": "2026-02-30"}, "until", "Enter a valid date"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "until", "must not be before its start"),
    ],
)
def test_bad_filters_name_the_field_and_show_nothing(admin_client, tenant_a, history, filters, field, message):
    response = admin_client.get(url("audit_log", tenant_a), filters)
    assert response.status_code == 400
    assert field in response.context["filterset"].errors
    assert message in " ".join(response.context["filterset"].errors[field])
    assert f'id="id_{field}_error"'.encode() in response.content
    assert listed(response) == []

    download = admin_client.get(url("audit_log_csv", tenant_a), filters)
    assert download.status_code == 400 and f"{field}: ".encode() in download.content


def test_another_organizations_actor_is_not_a_valid_choice(admin_client, tenants, history):
    tenant_a, tenant_b = tenants
    response = admin_client.get(url("audit_log", tenant_a), {"actor": tenant_b.admin.user_id})
    assert response.status_code == 400 and "actor" in response.context["filterset"].errors


def test_the_list_is_paginated_and_pages_keep_the_filters(admin_client, tenant_a):
    for _ in range(51):
        log(tenant_a, actor=tenant_a.admin)
    log(tenant_a, action=Action.ROLE_GRANTED, actor=tenant_a.admin, target=tenant_a.member)
    first = admin_client.get(url("audit_log", tenant_a), {"action": Action.EXPORT_DOWNLOADED})
    assert len(listed(first)) == 50 and first.context["page"].paginator.count == 51
    assert 'href="?action=export.downloaded&page=2"' in first.content.decode()
    second = admin_client.get(url("audit_log", tenant_a), {"action": Action.EXPORT_DOWNLOADED, "page": "2"})
    assert len(listed(second)) == 1
    assert admin_client.get(url("audit_log", tenant_a), {"page": "a lot"}).status_code == 200


def test_the_csv_holds_the_filtered_events_and_is_itself_recorded(admin_client, tenant_a, history):
    log(tenant_a, actor=tenant_a.admin, target_label='=HYPERLINK("http://evil")')
    response = admin_client.get(url("audit_log_csv", tenant_a), {"actor": tenant_a.admin.user_id, "page": "3"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="audit-org-alpha-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["time (UTC)", "who", "action"]
    assert [(row[2], row[5]) for row in rows[1:]] == [
        (Action.EXPORT_DOWNLOADED, '\'=HYPERLINK("http://evil")'),  # a formula is not run by a spreadsheet
        (Action.TOKEN_CREATED, "Alpha sync"),
        (Action.ROLE_GRANTED, "Max Member <member@org-alpha.test>"),
    ]
    assert rows[-1][6] == "role: hr_analyst"
    downloaded = events(tenant_a, Action.EXPORT_DOWNLOADED)[-1]
    assert downloaded.target_label == "Audit log (csv)" and downloaded.actor_id == tenant_a.admin.user_id
    assert downloaded.details["filters"] == {"actor": str(tenant_a.admin.user_id)}


def test_the_api_lists_events_for_org_admins_only(tenants, history):
    tenant_a, _tenant_b = tenants
    endpoint = f"/api/orgs/{tenant_a.organization.slug}/audit/"
    admin = login(Client(), tenant_a.admin)
    body = admin.get(endpoint, {"action": Action.TOKEN_CREATED}).json()
    assert [(row["id"], row["target_label"]) for row in body["results"]] == [(history["token"].pk, "Alpha sync")]
    everything = admin.get(endpoint).json()
    assert everything["count"] == 3 and "Beta" not in str(everything)
    bad = admin.get(endpoint, {"since": "soon"})
    assert bad.status_code == 400 and "since" in bad.json()
    assert login(Client(), tenant_a.member).get(endpoint).status_code == 403
    assert admin.post(endpoint, {"action": Action.ROLE_GRANTED}).status_code == 405
