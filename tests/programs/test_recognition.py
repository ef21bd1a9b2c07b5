"""Recognition: who is awarded (every stage held and attended, final assessment in; mentor and mentee rules),
frozen figures, idempotence, the notification, the hook after a final assessment and the nightly task; the
certificate's visibility, My recognition with a mentor's live totals, the org admins' list and its CSV and XLSX
export (parsed back); isolation pairs, roles and constant query counts on every page and endpoint."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from mentorship.tenancy.models import Role
from programs import recognition, tasks
from programs.models import (
    CapabilityAssessment,
    Cohort,
    MentorshipMentee,
    Notification,
    Program,
    ProgramSkill,
    Recognition,
    SessionStage,
    Skill,
)
from programs.recognition import recognition_award_due
from programs.workspace.access import mentorship_queryset
from programs.workspace.assessments import assessment_submit
from programs.workspace.sessions import session_log
from tests import factories
from tests.conftest import login
from tests.tenancy.test_worker import worker  # noqa: F401 (the real-worker fixture)

FINAL = CapabilityAssessment.Phase.FINAL


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def final_window_cohort(*, skill_names=("Facilitation", "Data literacy"), name="Build Together"):
    """A running program (the default four-stage flow) whose active cohort is in its final weeks (call in scope)."""
    skills = [Skill.objects.get_or_create(name=skill_name)[0] for skill_name in skill_names]  # shared by programs
    program = factories.make_program(name, skills=skills, status=Program.Status.RUNNING)
    today = timezone.localdate()
    return factories.make_cohort(
        program, name="Spring", status=Cohort.Status.ACTIVE, starts_on=today - timedelta(days=170),
        ends_on=today + timedelta(days=10), enrollment_opens_on=today - timedelta(days=220),
        enrollment_closes_on=today - timedelta(days=180),
    )  # fmt: skip


def pair(cohort, *, mentees=1):
    mentorship = factories.make_pair(cohort, mentees=mentees)
    return mentorship_queryset().get(pk=mentorship.pk)


def mentor_of(mentorship):
    return mentorship.mentor.membership


def mentee_links(mentorship):
    return list(MentorshipMentee.objects.filter(mentorship=mentorship).select_related("mentee__membership"))


def stages_of(cohort):
    return list(SessionStage.objects.filter(program_id=cohort.program_id).order_by("position"))


def hold_stages(mentorship, *, skip=(), absent=(), minutes=45, **fields):
    """Log one held session per stage of the flow (positions in `skip` left out), by the mentor; the memberships in
    `absent` did not attend them."""
    people = [mentor_of(mentorship), *(link.mentee.membership for link in mentee_links(mentorship))]
    attended = [p.pk for p in people if p.pk not in {a.pk for a in absent}]
    for number, stage in enumerate(stages_of(mentorship.cohort)):
        if stage.position in skip:
            continue
        session_log(
            mentorship=mentorship, logged_by=mentor_of(mentorship), stage=stage, duration_minutes=minutes,
            starts_at=timezone.now() - timedelta(days=80 - 10 * number), attended=attended,
            shared_notes=fields.get("shared_notes", ""), topics=fields.get("topics", ""),
        )  # fmt: skip


def rate_final(mentorship, mentee_link, *, by_mentor: bool, level=4):
    """The final assessment of one mentee, by themself or by the mentor, on every skill of the program."""
    skills = [link.skill_id for link in mentorship.cohort.program.program_skills.all()]
    assessor = mentor_of(mentorship) if by_mentor else mentee_link.mentee.membership
    assessment_submit(
        mentorship=mentorship, mentee=mentee_link.mentee, assessor=assessor, phase=FINAL,
        ratings={skill_id: (level, "") for skill_id in skills},
    )  # fmt: skip


def complete(mentorship, *, mentor_rates=True, mentees_rate=True, **hold):
    hold_stages(mentorship, **hold)
    for link in mentee_links(mentorship):
        if mentees_rate:
            rate_final(mentorship, link, by_mentor=False)
        if mentor_rates:
            rate_final(mentorship, link, by_mentor=True)


def awarded(cohort=None):
    return {(r.application_id, r.role) for r in Recognition.objects.filter(**({"cohort": cohort} if cohort else {}))}


def completed_pair(tenant, **options):
    """(mentorship, mentor application, mentee application) of a pair that completed the flow, awarded."""
    with tenant.scope():
        mentorship = pair(final_window_cohort())
        complete(mentorship, **options)
        recognition_award_due(cohort=mentorship.cohort)
        return mentorship, mentorship.mentor, mentee_links(mentorship)[0].mentee


# --- Award rules ---


def test_a_pair_that_completed_the_flow_is_awarded_with_frozen_figures_and_notified(tenant_a):
    with tenant_a.scope():
        mentorship = pair(final_window_cohort())
        complete(mentorship)
        new = recognition_award_due(cohort=mentorship.cohort)
        mentee = mentee_links(mentorship)[0].mentee
        assert {(r.application_id, r.role) for r in new} == {(mentorship.mentor_id, "mentor"), (mentee.pk, "mentee")}
        rows = {r.role: r for r in Recognition.objects.all()}
        for row in rows.values():
            assert (row.sessions_held, row.minutes, row.hours) == (4, 180, 3.0)
            assert row.skills == ["Data literacy", "Facilitation"]
            assert row.cohort_id == mentorship.cohort_id
        assert (rows["mentor"].people, rows["mentee"].people) == (1, 0)
        notifications = {n.membership_id: n for n in Notification.objects.filter(category="recognition")}
        assert set(notifications) == {mentor_of(mentorship).pk, mentee.membership_id}
        for _role, row in rows.items():
            notification = notifications[row.application.membership_id]
            assert notification.dedupe_key == f"recognition:{row.application_id}"
            assert notification.url == url("recognition_certificate", tenant_a, recognition_id=row.pk)
            assert "Build Together" in notification.title and notification.emailed
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [mentor_of(mentorship).user.email, mentee.membership.user.email]
    )


def test_awarding_twice_creates_and_notifies_nothing_more(tenant_a):
    mentorship, _, _ = completed_pair(tenant_a)
    sent = len(mail.outbox)
    with tenant_a.scope():
        assert recognition_award_due(cohort=mentorship.cohort) == []
        assert recognition_award_due() == []
        assert Recognition.objects.count() == 2
        assert Notification.objects.filter(category="recognition").count() == 2
    assert len(mail.outbox) == sent == 2


def test_one_stage_without_a_held_session_awards_nobody(tenant_a):
    with tenant_a.scope():
        mentorship = pair(final_window_cohort())
        complete(mentorship, skip=(3,))
        assert recognition_award_due(cohort=mentorship.cohort) == []
        assert Recognition.objects.count() == 0 and Notification.objects.count() == 0


def test_a_stage_the_mentee_missed_holds_back_the_mentee_only(tenant_a):
    with tenant_a.scope():
        mentorship = pair(final_window_cohort())
        mentee = mentee_links(mentorship)[0].mentee
        complete(mentorship)
        # One more round of the flow in which the mentee attended nothing changes nothing for them; a new pair
        # whose mentee missed every stage: the mentor is awarded on their own attendance and ratings.
        other = pair(mentorship.cohort)
        other_mentee = mentee_links(other)[0].mentee
        complete(other, absent=[other_mentee.membership])
        assert awarded() == set()
        recognition_award_due(cohort=mentorship.cohort)
        assert awarded() == {
            (mentorship.mentor_id, "mentor"), (mentee.pk, "mentee"), (other.mentor_id, "mentor"),
        }  # fmt: skip


def test_the_final_assessment_decides_for_each_side(tenant_a):
    with tenant_a.scope():
        cohort = final_window_cohort()
        no_self = pair(cohort)
        complete(no_self, mentees_rate=False)
        no_mentor_rating = pair(cohort)
        complete(no_mentor_rating, mentor_rates=False)
        recognition_award_due(cohort=cohort)
        assert awarded() == {(no_self.mentor_id, "mentor"), (mentee_links(no_mentor_rating)[0].mentee_id, "mentee")}


def test_a_final_on_some_skills_only_is_not_complete(tenant_a):
    with tenant_a.scope():
        mentorship = pair(final_window_cohort())
        complete(mentorship)
        mentee = mentee_links(mentorship)[0].mentee
        # A skill added to the program afterwards: nobody has its final rating yet.
        ProgramSkill.objects.create(program=mentorship.cohort.program, skill=factories.make_skill("Negotiation"))
        assert recognition_award_due(cohort=mentorship.cohort) == []
        rate_final(mentorship, mentee_links(mentorship)[0], by_mentor=False)
        recognition_award_due(cohort=mentorship.cohort)
        assert awarded() == {(mentee.pk, "mentee")}
        assert Recognition.objects.get().skills == ["Data literacy", "Facilitation", "Negotiation"]


def test_a_group_mentor_needs_the_final_rating_of_every_mentee(tenant_a):
    with tenant_a.scope():
        mentorship = pair(final_window_cohort(), mentees=2)
        first, second = mentee_links(mentorship)
        hold_stages(mentorship)
        rate_final(mentorship, first, by_mentor=True)
        recognition_award_due(cohort=mentorship.cohort)
        assert awarded() == set()
        rate_final(mentorship, second, by_mentor=True)
        recognition_award_due(cohort=mentorship.cohort)
        mentor = Recognition.objects.get()
        assert (mentor.role, mentor.people, mentor.sessions_held) == ("mentor", 2, 4)


def test_a_mentor_of_several_pairs_completes_each_of_them(tenant_a):
    """In a 1:1 program one mentor application has a mentorship per mentee: the flow is needed in each."""
    with tenant_a.scope():
        first = pair(final_window_cohort())
        second_mentee = factories.make_application(
            first.cohort, factories.make_membership(), role="mentee", status="accepted"
        )
        second = factories.make_mentorship(first.cohort, mentor=first.mentor)
        MentorshipMentee.objects.create(mentorship=second, mentee=second_mentee)
        second = mentorship_queryset().get(pk=second.pk)
        complete(first)
        recognition_award_due(cohort=first.cohort)
        assert (first.mentor_id, "mentor") not in awarded()
        complete(second, minutes=60)
        recognition_award_due(cohort=first.cohort)
        mentor = Recognition.objects.get(application=first.mentor)
        assert (mentor.sessions_held, mentor.minutes, mentor.people) == (8, 4 * 45 + 4 * 60, 2)


def test_the_award_is_limited_to_the_cohort_it_is_given(tenant_a):
    with tenant_a.scope():
        one = pair(final_window_cohort(name="One"))
        other = pair(final_window_cohort(name="Other"))
        complete(one)
        complete(other)
        recognition_award_due(cohort=one.cohort)
        assert {r.cohort_id for r in Recognition.objects.all()} == {one.cohort_id}
        recognition_award_due()
        assert {r.cohort_id for r in Recognition.objects.all()} == {one.cohort_id, other.cohort_id}


def test_the_award_runs_a_constant_number_of_queries(tenant_a, django_assert_max_num_queries):
    with tenant_a.scope():
        few_cohort, many_cohort = final_window_cohort(name="Few"), final_window_cohort(name="Many")
        for _ in range(2):
            complete(pair(few_cohort))
        for _ in range(8):
            complete(pair(many_cohort, mentees=2))
        with django_assert_max_num_queries(20) as few:
            assert len(recognition_award_due(cohort=few_cohort)) == 4
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert len(recognition_award_due(cohort=many_cohort)) == 24


def test_a_final_assessment_awards_when_it_commits(tenant_a, django_capture_on_commit_callbacks):
    with tenant_a.scope():
        mentorship = pair(final_window_cohort())
        link = mentee_links(mentorship)[0]
        with django_capture_on_commit_callbacks(execute=True):
            hold_stages(mentorship)
            rate_final(mentorship, link, by_mentor=True)
        assert awarded() == {(mentorship.mentor_id, "mentor")}
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assessment_submit(
                mentorship=mentorship, mentee=link.mentee, assessor=link.mentee.membership, phase="baseline",
                ratings={s.skill_id: (2, "") for s in mentorship.cohort.program.program_skills.all()},
            )  # fmt: skip
        assert callbacks == []  # only the final assessment can complete the flow
        with django_capture_on_commit_callbacks(execute=True):
            rate_final(mentorship, link, by_mentor=False)
        assert awarded() == {(mentorship.mentor_id, "mentor"), (link.mentee_id, "mentee")}


def test_the_nightly_task_awards_its_organization_only(tenants):
    tenant_a, tenant_b = tenants
    for tenant in tenants:
        with tenant.scope():
            complete(pair(final_window_cohort()))
    assert tasks.recognition_award_task(organization_id=tenant_a.organization.pk) == 2
    with tenant_a.scope():
        assert Recognition.objects.count() == 2
    with tenant_b.scope():
        assert Recognition.objects.count() == 0 and Notification.objects.count() == 0
    from django.conf import settings

    assert "programs.recognition_award" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_awards_the_people_of_each_organization(worker, tenants, monkeypatch):  # noqa: F811
    import time

    monkeypatch.setattr(
        tasks.recognition_award_task,
        "delay",
        lambda **kwargs: tasks.recognition_award_task.apply_async(kwargs=kwargs, queue=worker),
    )
    expected = {}
    for tenant in tenants:
        with tenant.scope():
            mentorship = pair(final_window_cohort())
            complete(mentorship)
            expected[tenant.organization.pk] = {mentorship.mentor_id, mentee_links(mentorship)[0].mentee_id}
    assert tasks.recognition_award_all_task() == 2
    deadline = time.monotonic() + 60
    for tenant in tenants:
        with tenant.scope():
            while time.monotonic() < deadline and Notification.objects.count() < 2:
                time.sleep(0.2)
            assert {r.application_id for r in Recognition.objects.all()} == expected[tenant.organization.pk]
            assert Notification.objects.filter(category="recognition").count() == 2


# --- Certificate ---


def test_the_certificate_shows_the_awardee_what_they_did(client, tenant_a):
    mentorship, _mentor, mentee = completed_pair(tenant_a)
    with tenant_a.scope():
        certificate = Recognition.objects.get(application=mentee)
        mentee.membership.user.full_name = "Mia Mentee"
        mentee.membership.user.save()
    response = login(client, mentee.membership).get(
        url("recognition_certificate", tenant_a, recognition_id=certificate.pk)
    )
    assert response.status_code == 200
    content = response.content.decode()
    cohort = mentorship.cohort
    for expected in [
        "Certificate of completion", "Mia Mentee", "Build Together", "Spring", "mentee", "Org Alpha",
        f"{cohort.starts_on:%-d %B %Y}", f"{cohort.ends_on:%-d %B %Y}", "Data literacy", "Facilitation",
        "<dt>Sessions held</dt><dd>4</dd>", "<dt>Hours</dt><dd>3.0</dd>", "css/recognition.css",
    ]:  # fmt: skip
        assert expected in content, expected
    assert "People mentored" not in content


def test_the_print_stylesheet_hides_the_navigation():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "recognition.css").read_text()
    print_rules = css.split("@media print", 1)[1]
    for selector in (".topbar", ".sidenav", ".no-print"):
        assert selector in print_rules


def test_a_certificate_is_for_its_awardee_and_org_admins_only(client, tenants):
    tenant_a, tenant_b = tenants
    _, mentor, mentee = completed_pair(tenant_a)
    with tenant_a.scope():
        certificate = Recognition.objects.get(application=mentor)
        program_admin = factories.make_membership(roles=[Role.PROGRAM_ADMIN])
    target = url("recognition_certificate", tenant_a, recognition_id=certificate.pk)
    assert login(client, mentor.membership).get(target).status_code == 200
    admin_page = login(client, tenant_a.admin).get(target)
    assert admin_page.status_code == 200 and "People mentored" in admin_page.content.decode()
    for someone in (mentee.membership, tenant_a.member, program_admin):
        assert login(client, someone).get(target).status_code == 404
    # Another organization's admin: their own organization has no such certificate; ours is not theirs to open.
    assert (
        login(client, tenant_b.admin)
        .get(url("recognition_certificate", tenant_b, recognition_id=certificate.pk))
        .status_code
        == 404
    )
    assert client.get(target).status_code == 404
    assert (
        login(client, mentor.membership)
        .get(url("recognition_certificate", tenant_a, recognition_id=certificate.pk + 999))
        .status_code
        == 404
    )


# --- My recognition ---


def test_my_recognition_shows_my_badges_and_my_live_mentoring_totals(client, tenants, django_assert_max_num_queries):
    tenant_a, tenant_b = tenants
    _mentorship, mentor, _ = completed_pair(tenant_a)
    with tenant_a.scope():
        # A second cohort in progress: counted live, not awarded yet; a session a mentee missed still counts.
        ongoing = factories.make_pair(final_window_cohort(name="Leaders"), mentees=2)
        ongoing.mentor.membership = mentor.membership
        ongoing.mentor.save()
        ongoing = mentorship_queryset().get(pk=ongoing.pk)
        _first, second = mentee_links(ongoing)
        hold_stages(ongoing, skip=(3, 4), absent=[second.mentee.membership], minutes=30)
    with tenant_b.scope():
        completed_elsewhere = pair(final_window_cohort(name="Beta Secret"))
        complete(completed_elsewhere)
        recognition_award_due()
    login(client, mentor.membership)
    with django_assert_max_num_queries(12):
        response = client.get(url("my_recognition", tenant_a))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('class="recognition-badge"') == 1 and "Build Together" in content
    with tenant_a.scope():
        certificate = Recognition.objects.get(application=mentor)
    assert url("recognition_certificate", tenant_a, recognition_id=certificate.pk) in content
    assert "Beta Secret" not in content
    with tenant_a.scope():
        totals = recognition.mentoring_totals(membership=mentor.membership)
    assert (totals.sessions, totals.minutes, totals.hours, totals.people) == (6, 4 * 45 + 2 * 30, 4.0, 2)
    assert [(c.program, c.sessions, c.people) for c in totals.cohorts] in (
        [("Build Together", 4, 1), ("Leaders", 2, 1)],
        [("Leaders", 2, 1), ("Build Together", 4, 1)],
    )
    assert '4.0</span><span class="stat-label">hours mentoring' in content
    assert "Recognition</a>" in content  # the sidebar link


def test_a_member_without_recognition_sees_how_to_earn_one(client, tenant_a):
    response = login(client, tenant_a.member).get(url("my_recognition", tenant_a))
    assert response.status_code == 200
    content = response.content.decode()
    assert "No certificate yet" in content and "My mentoring" not in content


# --- The org admins' list and export ---


def export_setting(tenant_a, tenant_b):
    mentorship, mentor, mentee = completed_pair(tenant_a)
    with tenant_a.scope():
        user = mentee.membership.user
        user.full_name = '=HYPERLINK("http://evil")'
        user.save()
    completed_pair(tenant_b)
    return mentorship, mentor, mentee


def test_org_admins_list_everyone_recognised_in_their_organization(client, tenants, django_assert_max_num_queries):
    tenant_a, tenant_b = tenants
    _, mentor, _mentee = export_setting(tenant_a, tenant_b)
    with tenant_a.scope():
        for _ in range(3):
            complete(pair(final_window_cohort(name=f"More {_}")))
        recognition_award_due()
    login(client, tenant_a.admin)
    with django_assert_max_num_queries(10):
        response = client.get(url("recognition_admin_list", tenant_a))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('<tr id="recognition-') == 8
    assert mentor.membership.user.email in content and "org-beta" not in content
    filtered = client.get(url("recognition_admin_list", tenant_a), {"role": "mentee"}).content.decode()
    assert filtered.count('<tr id="recognition-') == 4
    assert client.get(url("recognition_admin_list", tenant_a), {"program": "nope"}).status_code == 200


def test_the_csv_export_holds_every_column(client, tenants):
    tenant_a, tenant_b = tenants
    _mentorship, mentor, _mentee = export_setting(tenant_a, tenant_b)
    response = login(client, tenant_a.admin).get(url("recognition_admin_list", tenant_a), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == recognition.EXPORT_COLUMNS
    by_role = {row["role"]: row for row in rows}
    assert len(rows) == 2
    mentor_row = by_role["Mentor"]
    assert mentor_row["email"] == mentor.membership.user.email
    assert mentor_row["department"] == mentor.membership.department.name
    assert (mentor_row["program"], mentor_row["cohort"]) == ("Build Together", "Spring")
    assert (mentor_row["sessions"], mentor_row["hours"], mentor_row["people mentored"]) == ("4", "3.0", "1")
    assert mentor_row["skills"] == "Data literacy; Facilitation"
    assert mentor_row["awarded at"].startswith(f"{timezone.localdate():%Y-%m-%d} ")
    assert by_role["Mentee"]["people mentored"] == ""
    assert by_role["Mentee"]["name"] == '\'=HYPERLINK("http://evil")'  # never run as a formula


def test_the_xlsx_export_holds_the_same_rows(client, tenants):
    tenant_a, tenant_b = tenants
    _, mentor, _mentee = export_setting(tenant_a, tenant_b)
    response = login(client, tenant_a.admin).get(url("recognition_admin_list", tenant_a), {"format": "xlsx"})
    assert response.status_code == 200 and ".xlsx" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == recognition.EXPORT_COLUMNS
    by_role = {row[5]: dict(zip(header, row, strict=True)) for row in rows}
    assert len(rows) == 2
    mentor_row = by_role["Mentor"]
    assert (mentor_row["email"], mentor_row["sessions"], mentor_row["hours"], mentor_row["people mentored"]) == (
        mentor.membership.user.email, 4, 3.0, 1,
    )  # fmt: skip
    assert mentor_row["awarded at"].date() == timezone.localdate()
    assert by_role["Mentee"]["people mentored"] is None
    name_cell = next(cell for cell in sheet["A"] if cell.value and str(cell.value).startswith("=HYPERLINK"))
    assert name_cell.data_type == "s"  # text, not a formula


@pytest.mark.parametrize("roles", [[], [Role.PROGRAM_ADMIN], [Role.HR_ANALYST]])
def test_the_recognition_list_is_for_org_admins_only(client, tenant_a, roles):
    with tenant_a.scope():
        someone = factories.make_membership(roles=roles)
    login(client, someone)
    assert client.get(url("recognition_admin_list", tenant_a)).status_code == 403
    assert client.get(url("recognition_admin_list", tenant_a), {"format": "csv"}).status_code == 403
    assert client.get(url("api_recognition_admin_list", tenant_a)).status_code == 403


# --- API ---


def test_api_my_recognitions_and_certificate(client, tenants, django_assert_max_num_queries):
    tenant_a, tenant_b = tenants
    _, mentor, mentee = completed_pair(tenant_a)
    completed_pair(tenant_b)
    with tenant_a.scope():
        certificate = Recognition.objects.get(application=mentor)
    login(client, mentor.membership)
    with django_assert_max_num_queries(8):
        listed = client.get(url("api_my_recognitions", tenant_a)).json()
    assert [row["id"] for row in listed["results"]] == [certificate.pk]
    row = listed["results"][0]
    assert (row["role"], row["sessions_held"], row["minutes"], row["hours"], row["people"]) == (
        "mentor",
        4,
        180,
        3.0,
        1,
    )
    assert (row["program"], row["cohort"], row["skills"]) == (
        "Build Together",
        "Spring",
        ["Data literacy", "Facilitation"],
    )
    detail = client.get(url("api_recognition_detail", tenant_a, recognition_id=certificate.pk))
    assert detail.status_code == 200 and detail.json()["email"] == mentor.membership.user.email
    mentoring = client.get(url("api_my_mentoring", tenant_a)).json()
    assert (mentoring["sessions"], mentoring["hours"], mentoring["people"]) == (4, 3.0, 1)
    login(client, mentee.membership)
    assert client.get(url("api_recognition_detail", tenant_a, recognition_id=certificate.pk)).status_code == 404
    assert client.get(url("api_my_mentoring", tenant_a)).json()["cohorts"] == []
    login(client, tenant_a.admin)
    assert client.get(url("api_recognition_detail", tenant_a, recognition_id=certificate.pk)).status_code == 200
    login(client, tenant_b.admin)
    assert client.get(url("api_recognition_detail", tenant_b, recognition_id=certificate.pk)).status_code == 404
    assert client.get(url("api_recognition_detail", tenant_a, recognition_id=certificate.pk)).status_code == 404


def test_api_admin_recognitions_lists_my_organization_only(client, tenants, django_assert_max_num_queries):
    tenant_a, tenant_b = tenants
    _, mentor, mentee = export_setting(tenant_a, tenant_b)
    login(client, tenant_a.admin)
    with django_assert_max_num_queries(8):
        response = client.get(url("api_recognition_admin_list", tenant_a))
    assert response.status_code == 200
    assert {row["membership_id"] for row in response.json()["results"]} == {
        mentor.membership_id, mentee.membership_id,
    }  # fmt: skip
    only_mentors = client.get(url("api_recognition_admin_list", tenant_a), {"role": "mentor"}).json()
    assert [row["role"] for row in only_mentors["results"]] == ["mentor"]
    with tenant_b.scope():
        foreign_program = Program.objects.get()
    bad = client.get(url("api_recognition_admin_list", tenant_a), {"program": foreign_program.pk})
    assert bad.status_code == 400 and "program" in bad.json()
