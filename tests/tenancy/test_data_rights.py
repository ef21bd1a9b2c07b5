"""Data rights: a member's download, erasure by an org admin, and the retention of private notes."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mentorship.accounts.models import ApiToken
from mentorship.audit.models import Action, AuditEvent
from mentorship.audit.services import person_redact, record, record_export
from mentorship.tenancy.models import Invitation, Membership
from programs import data_rights, tasks
from programs.models import (
    ActionItem,
    Application,
    CalendarFeed,
    CapabilityAssessment,
    Cohort,
    Goal,
    GoalUpdate,
    MentoringSession,
    MentorshipMentee,
    Notification,
    PrivateNote,
    PulseSurvey,
    SessionAttendance,
    SessionFeedback,
)
from tests import factories
from tests.accounts_factories import make_api_token
from tests.audit.helpers import only_event
from tests.conftest import login
from tests.tenancy.test_worker import worker  # noqa: F401 (the real-worker fixture)


def enrol_as_mentee(membership, *, cohort=None, canary: str = "A"):
    """A published mentorship with `membership` as its mentee, and a held session full of both sides' data."""
    cohort = cohort or factories.make_cohort(status=Cohort.Status.ACTIVE)
    mentorship = factories.make_pair(cohort, mentees=0)
    mentor = mentorship.mentor.membership
    application = factories.make_application(
        cohort, membership, role=Application.Role.MENTEE, status=Application.Status.ACCEPTED, goals=f"GOALS-{canary}"
    )
    MentorshipMentee.objects.create(mentorship=mentorship, mentee=application)
    factories.make_application_skill(application)
    session = factories.make_session(mentorship, shared_notes=f"SHARED-{canary}", topics="Roadmap")
    SessionAttendance.objects.create(session=session, membership=membership, role="mentee", attended=True)
    SessionAttendance.objects.create(session=session, membership=mentor, role="mentor", attended=True)
    PrivateNote.objects.create(session=session, author=membership, text=f"MY-NOTE-{canary}")
    PrivateNote.objects.create(session=session, author=mentor, text=f"MENTOR-SECRET-{canary}")
    SessionFeedback.objects.create(session=session, author=membership, rating=5, comment=f"MY-FEEDBACK-{canary}")
    SessionFeedback.objects.create(session=session, author=mentor, rating=3, comment=f"MENTOR-FEEDBACK-{canary}")
    goal = Goal.objects.create(
        mentorship=mentorship, mentee=application, title=f"MY-GOAL-{canary}", measure="Two reviews", created_by=mentor
    )
    GoalUpdate.objects.create(
        goal=goal, author=membership, note=f"PROGRESS-{canary}", progress=40, status="in_progress"
    )
    ActionItem.objects.create(mentorship=mentorship, owner=membership, title=f"MY-ACTION-{canary}")
    skill = factories.make_skill()
    CapabilityAssessment.objects.create(
        cohort=cohort, mentee=application, skill=skill, phase="baseline", rater="self", assessor=membership, level=2,
        evidence=f"MY-EVIDENCE-{canary}",
    )  # fmt: skip
    CapabilityAssessment.objects.create(
        cohort=cohort, mentee=application, skill=skill, phase="baseline", rater="mentor", assessor=mentor, level=3,
        evidence=f"MENTOR-EVIDENCE-{canary}",
    )  # fmt: skip
    PulseSurvey.objects.create(
        cohort=cohort, application=application, phase="start", cross_department_colleagues=4, trust_other_departments=3
    )
    factories.make_notification(membership, body=f"MY-NOTIFICATION-{canary}")
    factories.make_notification(mentor, body=f"MENTOR-NOTIFICATION-{canary}")
    factories.make_calendar_feed(membership)
    make_api_token(membership=membership)
    return mentorship


def download(client, tenant) -> dict:
    response = client.get(reverse("my_data_download", args=[tenant.organization.slug]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="my-data-{tenant.organization.slug}.json"'
    return json.loads(response.content)


def aggregates(tenant) -> dict[str, object]:
    with tenant.scope():
        return {
            "sessions": MentoringSession.objects.count(),
            "attendance": list(SessionAttendance.objects.order_by("id").values_list("attended", flat=True)),
            "ratings": list(SessionFeedback.objects.order_by("id").values_list("rating", flat=True)),
            "levels": list(CapabilityAssessment.objects.order_by("id").values_list("level", flat=True)),
            "pulses": PulseSurvey.objects.count(),
        }


# --- Download ---


def test_the_page_offers_the_download(client, tenant_a):
    response = login(client, tenant_a.member).get(reverse("my_data", args=[tenant_a.organization.slug]))
    assert response.status_code == 200
    assert reverse("my_data_download", args=[tenant_a.organization.slug]) in response.content.decode()


def test_download_holds_my_data_and_only_mine(client, tenants):
    tenant_a, tenant_b = tenants
    me = tenant_a.member
    with tenant_a.scope():
        Membership.objects.filter(pk=me.pk).update(job_title="Analyst", location="Lisbon", languages=["pt", "en"])
        mentorship = enrol_as_mentee(me, canary="A")
    with tenant_b.scope():  # the same person in another organization
        enrol_as_mentee(factories.make_membership(me.user), canary="B")

    data = download(login(client, me), tenant_a)
    text = json.dumps(data)

    assert data["organization"] == tenant_a.organization.name
    assert data["membership"].pop("joined_at").startswith(f"{me.joined_at:%Y-%m-%d}")
    assert data["membership"] == {
        "roles": ["Member"], "department": "Sales", "job_title": "Analyst", "manager": "Ada Admin",
        "location": "Lisbon", "time_zone": "UTC", "languages": ["pt", "en"],
    }  # fmt: skip
    assert [application["goals"] for application in data["applications"]] == ["GOALS-A"]
    assert len(data["applications"][0]["skills"]) == 1
    (shared,) = data["mentorships"]
    assert shared["id"] == mentorship.pk
    assert {person["role"] for person in shared["people"]} == {"mentor", "mentee"}
    assert str(mentorship.mentor.membership.user) in [person["name"] for person in shared["people"]]
    (session,) = data["sessions"]
    assert session["shared_notes"] == "SHARED-A"
    assert session["my_private_note"] == "MY-NOTE-A"
    assert session["attended"] is True
    assert [item["comment"] for item in data["feedback_given"]] == ["MY-FEEDBACK-A"]
    assert [goal["title"] for goal in data["goals"]] == ["MY-GOAL-A"]
    assert data["goals"][0]["updates"][0]["note"] == "PROGRESS-A"
    assert [item["title"] for item in data["action_items"]] == ["MY-ACTION-A"]
    assert {(item["rater"], item["about"], item["by_me"]) for item in data["assessments"]} == {
        ("self", "me", True),
        ("mentor", "me", False),
    }
    assert len(data["pulse_surveys"]) == 1
    assert [item["body"] for item in data["notifications"]] == ["MY-NOTIFICATION-A"]
    # The other side's private note and notification, and everything in the other organization, are absent.
    for absent in ("MENTOR-SECRET-A", "MENTOR-NOTIFICATION-A", "MENTOR-FEEDBACK-A", "-B"):
        assert absent not in text


def test_download_needs_a_membership_of_that_organization(client, tenants):
    tenant_a, tenant_b = tenants
    response = login(client, tenant_b.member).get(reverse("my_data_download", args=[tenant_a.organization.slug]))
    assert response.status_code == 404


def test_download_takes_the_same_queries_for_one_or_three_mentorships(client, tenant_a):
    def count(mentorships: int) -> int:
        with tenant_a.scope():
            person = factories.make_membership()
            for index in range(mentorships):
                enrol_as_mentee(person, canary=f"Q{index}")
        client.force_login(person.user)
        with CaptureQueriesContext(connection) as queries:
            data = download(client, tenant_a)
        assert len(data["mentorships"]) == mentorships
        return len(queries)

    one, three = count(1), count(3)
    print(f"my-data.json queries: {one} for 1 mentorship, {three} for 3")
    assert one == three


# --- Erasure ---


def erase_url(tenant, membership) -> str:
    return reverse("member_erase", args=[tenant.organization.slug, membership.pk])


def test_the_confirmation_page_says_what_goes_and_what_stays(client, tenant_a):
    response = login(client, tenant_a.admin).get(erase_url(tenant_a, tenant_a.member))
    assert response.status_code == 200
    assert "Erase personal data" in response.content.decode()
    assert "ratings, assessment levels" in response.content.decode()


def test_erase_removes_personal_data_and_keeps_the_figures(client, tenant_a):
    me = tenant_a.member
    with tenant_a.scope():
        Membership.objects.filter(pk=me.pk).update(job_title="Analyst", location="Lisbon", languages=["pt"])
        mentorship = enrol_as_mentee(me)
        factories.make_invitation(me.user.email)
    before = aggregates(tenant_a)
    user_id = me.user_id

    response = login(client, tenant_a.admin).post(erase_url(tenant_a, me))
    assert response.status_code == 302

    assert aggregates(tenant_a) == before
    with tenant_a.scope():
        me = Membership.objects.select_related("user").get(pk=me.pk)
        assert (me.job_title, me.location, me.languages, me.is_active) == ("", "", [], False)
        assert me.erased_at is not None
        assert Application.objects.get(membership=me).goals == ""
        assert list(PrivateNote.objects.values_list("text", flat=True)) == ["MENTOR-SECRET-A"]
        comments = dict(SessionFeedback.objects.values_list("author_id", "comment"))
        assert comments == {me.pk: "", mentorship.mentor.membership_id: "MENTOR-FEEDBACK-A"}
        goal = Goal.objects.get()
        assert (goal.title, goal.measure) == (data_rights.ERASED_GOAL_TITLE, "")
        assert GoalUpdate.objects.get().note == ""
        evidence = dict(CapabilityAssessment.objects.values_list("rater", "evidence"))
        assert evidence == {"self": "", "mentor": "MENTOR-EVIDENCE-A"}
        assert not Notification.objects.filter(membership=me).exists()
        assert Notification.objects.filter(membership=mentorship.mentor.membership).exists()
        assert not CalendarFeed.objects.filter(membership=me, revoked_at__isnull=True).exists()
        assert not ApiToken.objects.filter(membership=me, revoked_at__isnull=True).exists()
        assert MentoringSession.objects.get().shared_notes == "SHARED-A"  # the pair's notes stay
        assert Invitation.objects.get().email.endswith("@erased.invalid")
    # The only organization of this person: the account is anonymised and can no longer sign in.
    user = me.user
    assert user.pk == user_id
    assert user.full_name == data_rights.ERASED_NAME
    assert user.email.endswith("@erased.invalid") and "member" not in user.email
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()


def test_erasing_a_person_who_belongs_to_another_organization_keeps_that_organization(client, tenants):
    tenant_a, tenant_b = tenants
    me = tenant_a.member
    with tenant_a.scope():
        enrol_as_mentee(me, canary="A")
    with tenant_b.scope():
        in_b = factories.make_membership(me.user, job_title="Lead")
        enrol_as_mentee(in_b, canary="B")
        factories.make_invitation(me.user.email)

    login(client, tenant_a.admin).post(erase_url(tenant_a, me))

    me.user.refresh_from_db()
    assert me.user.email == f"member@{tenant_a.organization.slug}.test"
    assert me.user.full_name == "Max Member" and me.user.has_usable_password()
    assert EmailAddress.objects.filter(user=me.user).exists()
    with tenant_b.scope():
        in_b.refresh_from_db()
        assert in_b.is_active and in_b.job_title == "Lead" and in_b.erased_at is None
        assert PrivateNote.objects.filter(author=in_b, text="MY-NOTE-B").exists()
        assert Application.objects.get(membership=in_b).goals == "GOALS-B"
        assert Invitation.objects.get().email == me.user.email
    with tenant_a.scope():
        assert not PrivateNote.objects.filter(author_id=me.pk).exists()
    # B's member downloads their B data as before.
    client.force_login(me.user)
    assert [item["goals"] for item in download(client, tenant_b)["applications"]] == ["GOALS-B"]


def test_only_org_admins_erase(client, tenant_a):
    with tenant_a.scope():
        other = factories.make_membership(job_title="Engineer")
    response = login(client, tenant_a.member).post(erase_url(tenant_a, other))
    assert response.status_code == 403
    with tenant_a.scope():
        other.refresh_from_db()
    assert other.is_active and other.job_title == "Engineer" and other.erased_at is None


def test_another_organizations_member_is_404_and_untouched(client, tenants):
    tenant_a, tenant_b = tenants
    login(client, tenant_a.admin)
    assert client.get(erase_url(tenant_a, tenant_b.member)).status_code == 404
    assert client.post(erase_url(tenant_a, tenant_b.member)).status_code == 404
    assert client.post(f"/o/{tenant_a.organization.slug}/admin/members/99999999/erase/").status_code == 404
    with tenant_b.scope():
        tenant_b.member.refresh_from_db()
    assert tenant_b.member.is_active and tenant_b.member.erased_at is None
    tenant_b.member.user.refresh_from_db()
    assert tenant_b.member.user.full_name == "Max Member"


def test_an_org_admin_cannot_erase_themself(client, tenant_a):
    login(client, tenant_a.admin)
    assert "You cannot erase yourself" in client.get(erase_url(tenant_a, tenant_a.admin)).content.decode()
    response = client.post(erase_url(tenant_a, tenant_a.admin))
    assert response.status_code == 400
    assert "You cannot erase yourself" in response.content.decode()
    with tenant_a.scope():
        tenant_a.admin.refresh_from_db()
    assert tenant_a.admin.is_active and tenant_a.admin.erased_at is None


def test_erasing_twice_is_refused_and_changes_nothing(client, tenant_a):
    login(client, tenant_a.admin)
    client.post(erase_url(tenant_a, tenant_a.member))
    tenant_a.member.user.refresh_from_db()
    email = tenant_a.member.user.email
    response = client.post(erase_url(tenant_a, tenant_a.member))
    assert response.status_code == 400
    tenant_a.member.user.refresh_from_db()
    assert tenant_a.member.user.email == email


REDACTED_COLUMNS = {"actor_label", "target_label", "details"}


def audit_rows(tenant) -> dict[int, dict]:
    with tenant.scope():
        return {row["id"]: row for row in AuditEvent.objects.values()}


def test_erasure_redacts_that_persons_audit_events_in_its_organization_only(client, tenants):
    tenant_a, tenant_b = tenants
    me, admin = tenant_a.member, tenant_a.admin
    me_label, admin_label = "Max Member <member@org-alpha.test>", "Ada Admin <admin@org-alpha.test>"
    with tenant_a.scope():
        colleague = factories.make_membership(factories.make_user("maxine@org-alpha.test", "Maxine Member"))
        invitation = factories.make_invitation(me.user.email)
        mine = {
            "acted": record(action=Action.DATA_EXPORTED, target=me, actor=me),
            "about_me": record(action=Action.ROLE_GRANTED, target=me, actor=admin, details={"role": "mentor"}),
            "invited": record(action=Action.INVITATION_SENT, target=invitation, actor=admin, details={"roles": []}),
            "searched": record_export(name="People", fmt="csv", filters={"q": "max member", "department": "Sales"}),
        }
        others = [
            record(action=Action.ROLE_GRANTED, target=colleague, actor=admin, details={"role": "mentor"}),
            record(action=Action.DATA_EXPORTED, target=colleague, actor=colleague),
            record_export(name="People", fmt="csv", filters={"q": "ada"}),
        ]
    with tenant_b.scope():  # the same person in another organization keeps their account and their name there
        in_b = factories.make_membership(me.user)
        record(action=Action.DATA_EXPORTED, target=in_b, actor=in_b)
        record(action=Action.ROLE_GRANTED, target=in_b, actor=tenant_b.admin)
    before_a, before_b = audit_rows(tenant_a), audit_rows(tenant_b)

    login(client, admin).post(erase_url(tenant_a, me))

    after_a = audit_rows(tenant_a)
    assert audit_rows(tenant_b) == before_b
    assert set(after_a) - set(before_a) == {only_event(tenant_a, Action.MEMBER_ERASED).pk}  # none lost, one added
    for event in others:
        assert after_a[event.pk] == before_a[event.pk]
    erased = f"Member #{me.pk} (erased)"
    with tenant_a.scope():
        found = {name: AuditEvent.objects.get(pk=event.pk) for name, event in mine.items()}
    assert (found["acted"].actor_label, found["acted"].target_label) == (erased, erased)
    assert (found["about_me"].actor_label, found["about_me"].target_label) == (admin_label, erased)
    assert found["about_me"].details == {"role": "mentor"}
    assert found["invited"].target_label == erased
    assert found["searched"].details == {"export": "People", "format": "csv", "filters": "(erased)"}
    # Only the redacted columns changed: the events still say what, when, which target and from where.
    for event in mine.values():
        kept = set(before_a[event.pk]) - REDACTED_COLUMNS
        assert {key: after_a[event.pk][key] for key in kept} == {key: before_a[event.pk][key] for key in kept}
    text = str(after_a)
    assert "member@org-alpha.test" not in text and "Max Member" not in text and "max member" not in text
    assert me_label in str(before_a)


def test_the_audit_log_page_shows_an_erased_member_by_id(client, tenants):
    tenant_a, tenant_b = tenants
    me = tenant_a.member
    with tenant_a.scope():
        record(action=Action.DATA_EXPORTED, target=me, actor=me)
    with tenant_b.scope():  # the account keeps its name for organization B
        record(action=Action.DATA_EXPORTED, target=factories.make_membership(me.user), actor=me)
    login(client, tenant_a.admin).post(erase_url(tenant_a, me))

    response = client.get(reverse("audit_log", args=[tenant_a.organization.slug]))
    page = response.content.decode()
    with tenant_a.scope():  # the choices are read in the page's organization's scope
        choices = dict(response.context["filterset"].form.fields["actor"].choices)
    assert f"Member #{me.pk} (erased)" in choices.values() and "Ada Admin" in choices.values()
    assert "Max Member" not in page and "member@org-alpha.test" not in page
    filtered = client.get(reverse("audit_log", args=[tenant_a.organization.slug]), {"actor": me.user_id})
    assert [event.action for event in filtered.context["page"]] == [Action.DATA_EXPORTED]


def test_redaction_is_one_statement_however_many_events(tenant_a):
    def queries(events: int) -> int:
        with tenant_a.scope():
            person = factories.make_membership()
            for _ in range(events):
                record(action=Action.DATA_EXPORTED, target=person, actor=person)
            with CaptureQueriesContext(connection) as captured:
                assert person_redact(organization=tenant_a.organization, membership=person) == events
        return len(captured)

    assert queries(1) == queries(20)


# --- Retention ---


def closed_cohort(ended_days_ago: int, status: str = Cohort.Status.CLOSED) -> Cohort:
    today = timezone.localdate()
    return factories.make_cohort(
        status=status,
        enrollment_opens_on=today - timedelta(days=ended_days_ago + 200),
        enrollment_closes_on=today - timedelta(days=ended_days_ago + 190),
        starts_on=today - timedelta(days=ended_days_ago + 180),
        ends_on=today - timedelta(days=ended_days_ago),
    )


def note_in(cohort, text: str) -> PrivateNote:
    session = factories.make_session(factories.make_pair(cohort))
    return PrivateNote.objects.create(session=session, author=session.mentorship.mentor.membership, text=text)


def test_retention_deletes_only_old_closed_cohorts_notes_of_its_organization(tenants, django_assert_max_num_queries):
    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        note_in(closed_cohort(400), "OLD-CLOSED")
        note_in(closed_cohort(400), "OLD-CLOSED-2")
        note_in(closed_cohort(100), "RECENT-CLOSED")
        note_in(closed_cohort(400, status=Cohort.Status.ACTIVE), "OLD-ACTIVE")
    with tenant_b.scope():
        note_in(closed_cohort(400), "OTHER-ORG")

    with django_assert_max_num_queries(3):  # the organization, then one DELETE (plus the task's scope setting)
        assert tasks.private_notes_expire_task(organization_id=tenant_a.organization.pk) == 2
    assert tasks.private_notes_expire_task(organization_id=tenant_a.organization.pk) == 0  # idempotent

    with tenant_a.scope():
        assert set(PrivateNote.objects.values_list("text", flat=True)) == {"RECENT-CLOSED", "OLD-ACTIVE"}
        assert MentoringSession.objects.count() == 4  # sessions stay
    with tenant_b.scope():
        assert list(PrivateNote.objects.values_list("text", flat=True)) == ["OTHER-ORG"]


def test_no_retention_period_keeps_notes(tenant_a):
    tenant_a.organization.private_note_retention_days = None
    tenant_a.organization.save()
    with tenant_a.scope():
        note_in(closed_cohort(4000), "ANCIENT")
    assert tasks.private_notes_expire_task(organization_id=tenant_a.organization.pk) == 0
    with tenant_a.scope():
        assert PrivateNote.objects.count() == 1


def test_org_admins_set_the_retention_period_on_the_security_page(client, tenant_a):
    url = reverse("security_settings", args=[tenant_a.organization.slug])
    login(client, tenant_a.admin)
    assert "Keep private notes for (days)" in client.get(url).content.decode()
    assert client.post(url, {"private_note_retention_days": "90"}).status_code == 302
    tenant_a.organization.refresh_from_db()
    assert tenant_a.organization.private_note_retention_days == 90

    response = client.post(url, {"private_note_retention_days": "0"})
    assert response.status_code == 400
    assert "private_note_retention_days" in response.content.decode()
    tenant_a.organization.refresh_from_db()
    assert tenant_a.organization.private_note_retention_days == 90


def test_members_cannot_change_the_retention_period(client, tenant_a):
    url = reverse("security_settings", args=[tenant_a.organization.slug])
    assert login(client, tenant_a.member).post(url, {"private_note_retention_days": "1"}).status_code == 403
    tenant_a.organization.refresh_from_db()
    assert tenant_a.organization.private_note_retention_days == 365


def test_the_retention_task_runs_nightly(settings):
    assert "programs.private_notes_expire" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_expires_the_notes_of_each_organization(worker, tenants, monkeypatch):  # noqa: F811
    monkeypatch.setattr(
        tasks.private_notes_expire_task,
        "delay",
        lambda **kwargs: tasks.private_notes_expire_task.apply_async(kwargs=kwargs, queue=worker),
    )
    for tenant in tenants:
        with tenant.scope():
            note_in(closed_cohort(400), "OLD")
            note_in(closed_cohort(10), "RECENT")
    assert tasks.private_notes_expire_all_task() == 2
    deadline = time.monotonic() + 60
    for tenant in tenants:
        with tenant.scope():
            while time.monotonic() < deadline and PrivateNote.objects.count() > 1:
                time.sleep(0.2)
            assert list(PrivateNote.objects.values_list("text", flat=True)) == ["RECENT"]
