"""Each audited action, done the way people do it (its page, or its service where no page exists), leaves exactly
one event naming who, what and from where; an action that fails leaves none."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client, TestCase

from matching import services as matching_services
from mentorship.accounts.api_tokens import api_token_create
from mentorship.accounts.models import ApiToken
from mentorship.audit.models import Action, TargetType
from mentorship.audit.services import SYSTEM_LABEL
from mentorship.tenancy.models import Membership, Role
from programs.models import Cohort, Program
from tests import factories
from tests.audit.helpers import events, only_event, url
from tests.conftest import login
from tests.matching.test_runs import decision_cohort, run_now
from tests.programs.test_admin_pages import COHORT_POST, PROGRAM_POST
from tests.tenancy.test_people_import import csv_bytes, upload

ADMIN_LABEL = "Ada Admin <admin@org-alpha.test>"


def assert_who(event, membership, *, ip="127.0.0.1"):
    assert event.actor_id == membership.user_id
    assert event.actor_label == f"{membership.user.full_name} <{membership.user.email}>"
    assert event.ip_address == ip


def test_granting_and_revoking_roles_records_one_event_per_role(admin_client, tenant_a):
    page = url("member_detail", tenant_a, membership_id=tenant_a.member.pk)
    granted = admin_client.post(page, {"roles": [Role.PROGRAM_ADMIN, Role.HR_ANALYST]})
    assert granted.status_code == 302
    grants = events(tenant_a, Action.ROLE_GRANTED)
    assert sorted(event.details["role"] for event in grants) == [Role.HR_ANALYST, Role.PROGRAM_ADMIN]
    for event in grants:
        assert_who(event, tenant_a.admin)
        assert (event.target_type, event.target_id) == (TargetType.MEMBERSHIP, tenant_a.member.pk)
        assert event.target_label == "Max Member <member@org-alpha.test>"

    assert admin_client.post(page, {"roles": [Role.HR_ANALYST]}).status_code == 302
    revoked = only_event(tenant_a, Action.ROLE_REVOKED)
    assert revoked.details["role"] == Role.PROGRAM_ADMIN and revoked.target_id == tenant_a.member.pk
    # Saving the form unchanged is no role change.
    assert admin_client.post(page, {"roles": [Role.HR_ANALYST]}).status_code == 302
    assert len(events(tenant_a)) == 3


def test_deactivating_a_member_is_recorded(admin_client, tenant_a):
    response = admin_client.post(url("member_set_active", tenant_a, membership_id=tenant_a.member.pk), {"active": "0"})
    assert response.status_code == 302
    event = only_event(tenant_a, Action.MEMBER_DEACTIVATED)
    assert_who(event, tenant_a.admin)
    assert event.target_id == tenant_a.member.pk


def test_an_invitation_sent_then_accepted_is_two_events(admin_client, client, tenant_a):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_client.post(
            url("member_invite", tenant_a),
            {"email": "newcomer@example.com", "roles": [Role.PROGRAM_ADMIN], "department": tenant_a.departments[0].pk},
        )
    assert response.status_code == 302
    sent = only_event(tenant_a, Action.INVITATION_SENT)
    assert_who(sent, tenant_a.admin)
    assert (sent.target_type, sent.target_label) == (TargetType.INVITATION, "newcomer@example.com")
    assert sent.details["roles"] == [Role.PROGRAM_ADMIN]

    link = re.search(r"http://testserver(/invite/\S+/)", mail.outbox[-1].body).group(1)
    newcomer = factories.make_user("newcomer@example.com", "Nia Newcomer")
    invitee = client.__class__()
    invitee.force_login(newcomer)
    assert invitee.post(link).status_code == 302
    accepted = only_event(tenant_a, Action.INVITATION_ACCEPTED)
    assert accepted.actor_id == newcomer.pk and accepted.actor_label == "Nia Newcomer <newcomer@example.com>"
    assert accepted.target_id == sent.target_id


def test_revoking_an_invitation_is_recorded(admin_client, tenant_a):
    with tenant_a.scope():
        invitation = factories.make_invitation("later@example.com", invited_by=tenant_a.admin)
    response = admin_client.post(url("invitation_revoke", tenant_a, invitation_id=invitation.pk))
    assert response.status_code == 302
    event = only_event(tenant_a, Action.INVITATION_REVOKED)
    assert_who(event, tenant_a.admin)
    assert (event.target_type, event.target_id) == (TargetType.INVITATION, invitation.pk)


def test_an_applied_import_is_one_event_with_its_counts(admin_client, tenant_a):
    rows = [["grace@example.com", "Grace Hopper", "Research", "Admiral", "", "", "", ""]]
    assert upload(admin_client, tenant_a, csv_bytes(rows)).status_code == 302
    event = only_event(tenant_a, Action.IMPORT_APPLIED)
    assert_who(event, tenant_a.admin)
    assert event.target_type == TargetType.PEOPLE_IMPORT
    assert (event.details["rows"], event.details["created"], event.details["updated"]) == (1, 1, 0)


def test_an_import_with_bad_rows_records_nothing(admin_client, tenant_a):
    rows = [["not-an-email", "Nobody", "", "", "", "", "", ""]]
    upload(admin_client, tenant_a, csv_bytes(rows))
    assert events(tenant_a, Action.IMPORT_APPLIED) == []


def test_program_and_cohort_creation_and_changes_are_recorded(admin_client, tenant_a):
    assert admin_client.post(url("program_admin_create", tenant_a), PROGRAM_POST).status_code == 302
    with tenant_a.scope():
        program = Program.objects.get()
    created = only_event(tenant_a, Action.PROGRAM_CREATED)
    assert_who(created, tenant_a.admin)
    assert (created.target_type, created.target_id, created.target_label) == (
        TargetType.PROGRAM, program.pk, "Build Together"
    )  # fmt: skip
    assert created.details["ratio"] == 3

    detail = url("program_admin_detail", tenant_a, program_id=program.pk)
    assert admin_client.post(detail, {**PROGRAM_POST, "ratio": "5"}).status_code == 302
    updated = only_event(tenant_a, Action.PROGRAM_UPDATED)
    assert_who(updated, tenant_a.admin)
    assert updated.details["changes"] == {"ratio": [3, 5]}
    assert admin_client.post(detail, {**PROGRAM_POST, "ratio": "5"}).status_code == 302  # unchanged: no event
    assert len(events(tenant_a, Action.PROGRAM_UPDATED)) == 1

    assert admin_client.post(url("cohort_create", tenant_a, program_id=program.pk), COHORT_POST).status_code == 302
    with tenant_a.scope():
        cohort = Cohort.objects.get()
    cohort_created = only_event(tenant_a, Action.COHORT_CREATED)
    assert_who(cohort_created, tenant_a.admin)
    assert (cohort_created.target_type, cohort_created.target_id) == (TargetType.COHORT, cohort.pk)
    assert cohort_created.details["program"] == {"id": program.pk, "name": "Build Together"}

    edit = url("cohort_edit", tenant_a, program_id=program.pk, cohort_id=cohort.pk)
    assert admin_client.post(edit, {**COHORT_POST, "capacity": "25"}).status_code == 302
    cohort_updated = only_event(tenant_a, Action.COHORT_UPDATED)
    assert cohort_updated.details["changes"] == {"capacity": [20, 25]}


def test_a_refused_program_change_records_nothing(admin_client, tenant_a):
    with tenant_a.scope():
        program = factories.make_program("Alpha program")
    detail = url("program_admin_detail", tenant_a, program_id=program.pk)
    assert admin_client.post(detail, {**PROGRAM_POST, "ratio": "0"}).status_code == 400
    assert events(tenant_a, Action.PROGRAM_UPDATED) == []


def test_publishing_matches_is_recorded_with_the_pairs(tenant_a):
    with tenant_a.scope():
        cohort, _mentees, _mentors = decision_cohort(tenant_a)
        run = run_now(cohort, tenant_a.admin)
        matching_services.match_run_publish(run=run, published_by=tenant_a.admin)
    event = only_event(tenant_a, Action.MATCH_PUBLISHED)
    # Outside a request: who is the publisher the service was given, and there is no address.
    assert (event.actor_id, event.actor_label, event.ip_address) == (tenant_a.admin.user_id, ADMIN_LABEL, None)
    assert (event.target_type, event.target_id) == (TargetType.MATCH_RUN, run.pk)
    assert event.details["pairs"] == 2 and event.details["cohort"]["id"] == cohort.pk


def test_a_publication_by_the_system_names_the_system(tenant_a):
    with tenant_a.scope():
        cohort, _mentees, _mentors = decision_cohort(tenant_a)
        matching_services.match_run_publish(run=run_now(cohort), published_by=None)
    event = only_event(tenant_a, Action.MATCH_PUBLISHED)
    assert (event.actor_id, event.actor_label) == (None, SYSTEM_LABEL)


def test_a_dashboard_export_is_recorded_with_its_format_and_filters(admin_client, tenant_a):
    with tenant_a.scope():
        cohort = factories.make_cohort()
    export = url("analytics_export", tenant_a, table="overview", fmt="xlsx")
    assert admin_client.get(export, {"cohort": cohort.pk, "department": ""}).status_code == 200
    event = only_event(tenant_a, Action.EXPORT_DOWNLOADED)
    assert_who(event, tenant_a.admin)
    assert (event.target_type, event.target_label) == (TargetType.EXPORT, "HR dashboard: overview (xlsx)")
    assert event.details["format"] == "xlsx" and event.details["filters"] == {"cohort": str(cohort.pk)}


def test_a_refused_export_records_nothing(admin_client, tenant_a):
    export = url("analytics_export", tenant_a, table="overview", fmt="csv")
    assert admin_client.get(export, {"cohort": "not-a-number"}).status_code == 400
    assert events(tenant_a) == []


def test_downloading_ones_own_data_is_recorded(client, tenant_a):
    response = login(client, tenant_a.member).get(url("my_data_download", tenant_a))
    assert response.status_code == 200
    event = only_event(tenant_a, Action.DATA_EXPORTED)
    assert_who(event, tenant_a.member)
    assert (event.target_type, event.target_id) == (TargetType.MEMBERSHIP, tenant_a.member.pk)


def test_erasing_a_member_is_recorded_without_their_name(admin_client, tenant_a):
    response = admin_client.post(url("member_erase", tenant_a, membership_id=tenant_a.member.pk))
    assert response.status_code == 302
    event = only_event(tenant_a, Action.MEMBER_ERASED)
    assert_who(event, tenant_a.admin)
    assert (event.target_id, event.target_label) == (tenant_a.member.pk, f"Member #{tenant_a.member.pk} (erased)")
    assert "Max" not in str(event.details) and "member@org-alpha.test" not in str(event.details)


def test_erasing_a_member_keeps_what_they_did_without_their_name(client, tenant_a):
    """The event stays (tests/tenancy/test_data_rights.py has the whole redaction); only who it names changes."""
    login(Client(), tenant_a.member).get(url("my_data_download", tenant_a))
    login(client, tenant_a.admin).post(url("member_erase", tenant_a, membership_id=tenant_a.member.pk))
    with tenant_a.scope():
        assert Membership.objects.get(pk=tenant_a.member.pk).erased_at is not None
    event = only_event(tenant_a, Action.DATA_EXPORTED)
    assert (event.actor_id, event.actor_label) == (tenant_a.member.user_id, f"Member #{tenant_a.member.pk} (erased)")


def test_creating_and_revoking_an_api_token_is_recorded(client, tenant_a):
    admin_client = login(Client(), tenant_a.admin)
    login(client, tenant_a.member)
    assert client.post(url("api_token_list", tenant_a), {"name": "Sheets", "role": "member"}).status_code == 200
    with tenant_a.scope():
        token = ApiToken.objects.get()
    created = only_event(tenant_a, Action.TOKEN_CREATED)
    assert_who(created, tenant_a.member)
    assert (created.target_type, created.target_id) == (TargetType.API_TOKEN, token.pk)
    assert created.target_label == str(token)
    assert created.details["prefix"] == token.prefix and "token_hash" not in created.details

    # An org admin revokes the member's token: the admin is who, the member is the owner.
    assert admin_client.post(url("admin_api_token_revoke", tenant_a, token_id=token.pk)).status_code == 302
    revoked = only_event(tenant_a, Action.TOKEN_REVOKED)
    assert_who(revoked, tenant_a.admin)
    assert revoked.details["owner"] == "Max Member <member@org-alpha.test>"
    admin_client.post(url("admin_api_token_revoke", tenant_a, token_id=token.pk))  # already revoked: no event
    assert len(events(tenant_a, Action.TOKEN_REVOKED)) == 1


@pytest.mark.parametrize(("remote", "stored"), [("203.0.113.9", "203.0.113.9"), ("not an address", None)])
def test_the_address_is_the_clients_or_none(admin_client, tenant_a, remote, stored):
    admin_client.post(
        url("member_set_active", tenant_a, membership_id=tenant_a.member.pk), {"active": "0"}, REMOTE_ADDR=remote
    )
    assert only_event(tenant_a, Action.MEMBER_DEACTIVATED).ip_address == stored


def test_events_stay_in_the_organization_acted_in(admin_client, tenants):
    tenant_a, tenant_b = tenants
    admin_client.post(url("member_set_active", tenant_a, membership_id=tenant_a.member.pk), {"active": "0"})
    assert len(events(tenant_a)) == 1 and events(tenant_b) == []


def test_security_policy_changes_are_recorded_once_each(admin_client, tenant_a):
    page = url("security_settings", tenant_a)
    assert admin_client.post(page, {"require_mfa": "on", "private_note_retention_days": "90"}).status_code == 302
    mfa = only_event(tenant_a, Action.MFA_REQUIREMENT_CHANGED)
    assert_who(mfa, tenant_a.admin)
    assert (mfa.target_type, mfa.target_id, mfa.target_label) == (TargetType.ORGANIZATION, tenant_a.organization.pk,
                                                                  "Org Alpha")  # fmt: skip
    assert mfa.details == {"require_mfa": True}
    assert only_event(tenant_a, Action.RETENTION_CHANGED).details == {"days": [365, 90]}
    # Saved again as it is: nothing changed, nothing recorded.
    admin_client.post(page, {"require_mfa": "on", "private_note_retention_days": "90"})
    assert len(events(tenant_a)) == 2


def test_a_change_through_the_api_with_a_token_names_the_tokens_owner(client, tenant_a):
    with tenant_a.scope():
        program = factories.make_program("Alpha program")
        secret = api_token_create(membership=tenant_a.admin, name="Sync", role=Role.ORG_ADMIN).secret
    response = client.patch(
        f"/api/orgs/{tenant_a.organization.slug}/programs/{program.pk}/", {"ratio": 4},
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR="198.51.100.7",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    event = only_event(tenant_a, Action.PROGRAM_UPDATED)
    assert_who(event, tenant_a.admin, ip="198.51.100.7")
    assert event.details["changes"]["ratio"][1] == 4


def test_a_recognition_export_is_recorded(admin_client, tenant_a):
    response = admin_client.get(url("recognition_admin_list", tenant_a), {"format": "xlsx", "role": "mentee"})
    assert response.status_code == 200
    event = only_event(tenant_a, Action.EXPORT_DOWNLOADED)
    assert_who(event, tenant_a.admin)
    assert event.target_label == "Recognition (xlsx)" and event.details["filters"] == {"role": "mentee"}
    admin_client.get(url("recognition_admin_list", tenant_a))  # the page itself is no export
    assert len(events(tenant_a)) == 1
