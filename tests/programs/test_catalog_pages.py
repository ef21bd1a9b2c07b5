"""Member pages: the opportunity map, applying, my applications, withdrawing. Isolation pairs, field errors that
name their field, constant query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mentorship.tenancy.models import Membership
from programs import services
from programs.models import Application, ApplicationSkill, Cohort, Program
from tests import factories
from tests.conftest import login


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def open_cohort(tenant, *, name="Build Together", ratio=3, capacity=30, skill_names=("Data literacy",)):
    """An open program with the given skills and one enrolling cohort, in the tenant's organization."""
    with tenant.scope():
        skills = [factories.make_skill(skill_name) for skill_name in skill_names]
        program = factories.make_program(
            name,
            skills=skills,
            status=Program.Status.OPEN,
            ratio=ratio,
            theme_tag="#BuildTogether&GrowTogether",
            description="Learn across departments.",
            objectives=[Program.Objective.UPSKILLING, Program.Objective.COLLABORATION],
            participation_criteria="Six months in the company.",
            mentor_expectations="Two hours a month.",
            mentee_expectations="Come with a goal.",
        )
        cohort = factories.make_cohort(program, name="Spring", capacity=capacity)
    return program, cohort, skills


def mentee_post(skill, *, current=2, target=4, **extra):
    data = {
        "skills": [skill.pk],
        f"level_{skill.pk}": current,
        f"target_{skill.pk}": target,
        "goals": "Read dashboards without help",
        "languages": "en, de",
        "time_zone": "Europe/Berlin",
        "meeting_windows": ["mornings", "evenings"],
        "prefers_other_department": "on",
        "seniority_preference": Application.SeniorityPreference.MORE_SENIOR,
    }
    data.update(extra)
    return data


def apply_url(tenant, cohort, role):
    return f"{url('application_apply', tenant, cohort_id=cohort.pk)}?role={role}"


# --- Opportunity map ---


def test_opportunities_show_open_programs_of_my_organization_only(client, tenants):
    tenant_a, tenant_b = tenants
    open_cohort(tenant_a, name="Alpha Open")
    open_cohort(tenant_b, name="Beta Secret Program")
    with tenant_a.scope():
        factories.make_cohort(factories.make_program("Alpha Draft"))
        factories.make_cohort(factories.make_program("Alpha Planned", status=Program.Status.OPEN), status="planned")
    response = login(client, tenant_a.member).get(url("opportunity_list", tenant_a))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Alpha Open" in content and "Spring" in content
    for expected in [
        "#BuildTogether&amp;GrowTogether",
        "Learn across departments.",
        "Upskilling, Cross-department collaboration",
        "Six months in the company.",
        "Two hours a month.",
        "Come with a goal.",
        "up to 3 mentees per mentor, 1 session a month",
        "Data literacy",
    ]:
        assert expected in content, expected
    assert "Beta Secret Program" not in content
    assert "Alpha Draft" not in content and "Alpha Planned" not in content
    assert [program.name for program in response.context["programs"]] == ["Alpha Open"]


def test_opportunity_map_shows_my_status_and_the_seats_left(client, tenant_a):
    _program, cohort, _skills = open_cohort(tenant_a, capacity=5)
    with tenant_a.scope():
        factories.make_application(cohort, tenant_a.member, status=Application.Status.WAITLISTED)
        for _ in range(2):
            factories.make_application(cohort, status=Application.Status.ACCEPTED)  # mentees take seats
        factories.make_application(cohort, role=Application.Role.MENTOR, status=Application.Status.ACCEPTED)
    response = login(client, tenant_a.member).get(url("opportunity_list", tenant_a))
    shown = response.context["programs"][0].enrolling_cohorts[0]
    assert shown.seats_left == 3 and shown.my_application.status == Application.Status.WAITLISTED
    assert b"Waitlisted" in response.content
    assert not shown.can_apply


def test_seats_left_drop_after_acceptance(client, tenant_a):
    _program, cohort, _skills = open_cohort(tenant_a, capacity=4)
    with tenant_a.scope():
        application = factories.make_application(cohort)
    login(client, tenant_a.member)
    before = client.get(url("opportunity_list", tenant_a)).context["programs"][0].enrolling_cohorts[0]
    assert before.seats_left == 4
    with tenant_a.scope():
        services.applications_decide(application_ids=[application.pk], decision="accept", decided_by=tenant_a.admin)
    after = client.get(url("opportunity_list", tenant_a)).context["programs"][0].enrolling_cohorts[0]
    assert after.seats_left == 3


def test_opportunity_map_runs_a_constant_number_of_queries(client, tenant_a):
    open_cohort(tenant_a, name="First")
    login(client, tenant_a.member)
    list_url = url("opportunity_list", tenant_a)
    client.get(list_url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(list_url)
    for index in range(4):
        _program, cohort, _skills = open_cohort(
            tenant_a, name=f"More {index}", skill_names=(f"Skill {index}a", f"Skill {index}b")
        )
        with tenant_a.scope():
            factories.make_cohort(cohort.program, name="Autumn")
            factories.make_application(cohort, tenant_a.member)
            factories.make_application(cohort, status=Application.Status.ACCEPTED)
    with CaptureQueriesContext(connection) as many:
        response = client.get(list_url)
    assert len(response.context["programs"]) == 5
    assert len(many) == len(few)


# --- Apply ---


def test_apply_page_prefills_from_the_membership_and_shows_department_and_manager(client, tenant_a):
    _program, cohort, skills = open_cohort(tenant_a)
    with tenant_a.scope():
        Membership.objects.filter(pk=tenant_a.member.pk).update(languages=["en", "fr"], time_zone="Europe/Paris")
    response = login(client, tenant_a.member).get(apply_url(tenant_a, cohort, "mentee"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["languages"].value() == "en, fr" and form["time_zone"].value() == "Europe/Paris"
    assert "capacity" not in form.fields and f"target_{skills[0].pk}" in form.fields
    content = response.content.decode()
    assert "Sales" in content and "Ada Admin" in content  # department and manager, read-only
    mentor = client.get(apply_url(tenant_a, cohort, "mentor"))
    assert "capacity" in mentor.context["form"].fields and f"target_{skills[0].pk}" not in mentor.context["form"].fields


def test_apply_without_a_role_offers_the_choice(client, tenant_a):
    _program, cohort, _skills = open_cohort(tenant_a)
    login(client, tenant_a.member)
    response = client.get(url("application_apply", tenant_a, cohort_id=cohort.pk))
    assert response.status_code == 200 and b"Apply as mentor" in response.content
    assert client.get(apply_url(tenant_a, cohort, "boss")).status_code == 400


def test_apply_as_mentee_through_the_page(client, tenant_a):
    _program, cohort, skills = open_cohort(tenant_a, skill_names=("Data literacy", "Negotiation"))
    data_literacy = skills[0]
    response = login(client, tenant_a.member).post(apply_url(tenant_a, cohort, "mentee"), mentee_post(data_literacy))
    assert response.status_code == 302 and response["Location"] == url("my_applications", tenant_a)
    with tenant_a.scope():
        application = Application.objects.get(cohort=cohort, membership=tenant_a.member)
        assert application.role == Application.Role.MENTEE and application.status == Application.Status.SUBMITTED
        assert application.goals == "Read dashboards without help"
        assert application.languages == ["en", "de"] and application.time_zone == "Europe/Berlin"
        assert application.meeting_windows == ["mornings", "evenings"] and application.capacity is None
        assert application.prefers_other_department
        assert application.seniority_preference == Application.SeniorityPreference.MORE_SENIOR
        assert list(ApplicationSkill.objects.filter(application=application).values_list(
            "skill_id", "level", "target_level"
        )) == [(data_literacy.pk, 2, 4)]  # fmt: skip
    mine = client.get(url("my_applications", tenant_a))
    assert b"Submitted" in mine.content and b"Build Together" in mine.content


def test_apply_as_mentor_through_the_page(client, tenant_a):
    _program, cohort, skills = open_cohort(tenant_a, ratio=3, skill_names=("Data literacy", "Negotiation"))
    data = {
        "skills": [skills[0].pk, skills[1].pk],
        f"level_{skills[0].pk}": 5,
        f"level_{skills[1].pk}": 4,
        "goals": "Pass on what I learned building the data platform",
        "languages": "en",
        "time_zone": "UTC",
        "meeting_windows": ["afternoons"],
        "capacity": 2,
        "seniority_preference": Application.SeniorityPreference.ANY,
    }  # prefers_other_department left unticked
    response = login(client, tenant_a.member).post(apply_url(tenant_a, cohort, "mentor"), data)
    assert response.status_code == 302
    with tenant_a.scope():
        application = Application.objects.get(cohort=cohort, membership=tenant_a.member)
        assert (application.role, application.capacity) == (Application.Role.MENTOR, 2)
        assert not application.prefers_other_department
        levels = dict(ApplicationSkill.objects.filter(application=application).values_list("skill_id", "level"))
        assert levels == {skills[0].pk: 5, skills[1].pk: 4}
        assert not ApplicationSkill.objects.filter(application=application, target_level__isnull=False).exists()


def test_apply_field_errors_name_the_field_and_create_nothing(client, tenant_a):
    _program, cohort, skills = open_cohort(tenant_a, ratio=2)
    skill = skills[0]
    login(client, tenant_a.member)
    mentee_url = apply_url(tenant_a, cohort, "mentee")

    no_skill = mentee_post(skill)
    no_skill.pop("skills")
    response = client.post(mentee_url, no_skill)
    assert response.status_code == 400 and "skills" in response.context["form"].errors
    assert b"Choose at least one skill you want to grow." in response.content

    response = client.post(mentee_url, mentee_post(skill, current=3, target=3))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "skills" in errors and f"target_{skill.pk}" in errors
    assert b"the target level must be above your current level" in response.content

    response = client.post(mentee_url, mentee_post(skill, current=""))
    assert response.status_code == 400 and f"level_{skill.pk}" in response.context["form"].errors

    response = client.post(mentee_url, mentee_post(skill, languages="english!", time_zone="Mars/Base"))
    assert response.status_code == 400
    assert {"languages", "time_zone"} <= set(response.context["form"].errors)

    mentor = {"skills": [skill.pk], f"level_{skill.pk}": 4, "goals": "Teach", "time_zone": "UTC",
              "seniority_preference": "any", "capacity": 3}  # fmt: skip
    response = client.post(apply_url(tenant_a, cohort, "mentor"), mentor)
    assert response.status_code == 400 and "capacity" in response.context["form"].errors
    assert b"at most 2 mentees per mentor" in response.content
    with tenant_a.scope():
        assert not Application.objects.filter(cohort=cohort).exists()


def test_apply_twice_is_an_error_and_closed_enrollment_refuses(client, tenant_a):
    _program, cohort, skills = open_cohort(tenant_a)
    login(client, tenant_a.member)
    assert client.post(apply_url(tenant_a, cohort, "mentee"), mentee_post(skills[0])).status_code == 302
    again = client.post(apply_url(tenant_a, cohort, "mentee"), mentee_post(skills[0]))
    assert again.status_code == 400 and b"already applied" in again.content
    with tenant_a.scope():
        Cohort.objects.filter(pk=cohort.pk).update(enrollment_closes_on=cohort.enrollment_opens_on)
        Application.objects.filter(cohort=cohort).delete()
    closed = client.post(apply_url(tenant_a, cohort, "mentee"), mentee_post(skills[0]))
    assert closed.status_code == 400 and b"Enrollment for this cohort is not open." in closed.content


def test_apply_to_another_organizations_cohort_is_404_and_creates_nothing(client, tenants):
    tenant_a, tenant_b = tenants
    _program, foreign_cohort, foreign_skills = open_cohort(tenant_b)
    login(client, tenant_a.member)
    foreign_url = apply_url(tenant_a, foreign_cohort, "mentee")
    assert client.get(foreign_url).status_code == 404
    assert client.post(foreign_url, mentee_post(foreign_skills[0])).status_code == 404
    with tenant_b.scope():
        assert not Application.objects.filter(cohort=foreign_cohort).exists()
    assert client.get(f"/o/{tenant_a.organization.slug}/opportunities/cohorts/{10**22}/apply/").status_code == 404


def test_apply_to_a_cohort_that_is_not_enrolling_is_404(client, tenant_a):
    with tenant_a.scope():
        draft_cohort = factories.make_cohort(factories.make_program())
        planned = factories.make_cohort(factories.make_program(status=Program.Status.OPEN), status="planned")
    login(client, tenant_a.member)
    for cohort in (draft_cohort, planned):
        assert client.get(apply_url(tenant_a, cohort, "mentee")).status_code == 404


def test_a_foreign_skill_id_is_a_field_error(client, tenants):
    tenant_a, tenant_b = tenants
    _program, cohort, skills = open_cohort(tenant_a)
    _other, _foreign_cohort, foreign_skills = open_cohort(tenant_b, skill_names=("Beta skill",))
    data = mentee_post(skills[0])
    data["skills"] = [foreign_skills[0].pk]
    response = login(client, tenant_a.member).post(apply_url(tenant_a, cohort, "mentee"), data)
    assert response.status_code == 400 and "skills" in response.context["form"].errors
    with tenant_a.scope():
        assert not Application.objects.exists()


# --- My applications and withdrawing ---


def test_withdraw_my_application_then_apply_again(client, tenant_a):
    _program, cohort, skills = open_cohort(tenant_a)
    login(client, tenant_a.member)
    client.post(apply_url(tenant_a, cohort, "mentee"), mentee_post(skills[0]))
    with tenant_a.scope():
        application = Application.objects.get(cohort=cohort)
    response = client.post(url("application_withdraw", tenant_a, application_id=application.pk), follow=True)
    assert response.status_code == 200 and b"is withdrawn" in response.content
    with tenant_a.scope():
        application.refresh_from_db()
        assert application.status == Application.Status.WITHDRAWN
    assert client.get(url("opportunity_list", tenant_a)).context["programs"][0].enrolling_cohorts[0].can_apply
    assert client.post(apply_url(tenant_a, cohort, "mentee"), mentee_post(skills[0])).status_code == 302
    with tenant_a.scope():
        application.refresh_from_db()
        assert application.status == Application.Status.SUBMITTED


def test_withdraw_is_post_only_and_refused_once_matching_started(client, tenant_a):
    _program, cohort, _skills = open_cohort(tenant_a)
    with tenant_a.scope():
        application = factories.make_application(cohort, tenant_a.member)
    login(client, tenant_a.member)
    withdraw = url("application_withdraw", tenant_a, application_id=application.pk)
    assert client.get(withdraw).status_code == 405
    with tenant_a.scope():
        Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.MATCHING)
    response = client.post(withdraw, follow=True)
    assert b"Matching has started" in response.content
    with tenant_a.scope():
        application.refresh_from_db()
        assert application.status == Application.Status.SUBMITTED


def test_withdraw_of_a_foreign_or_someone_elses_application_is_404_and_changes_nothing(client, tenants):
    tenant_a, tenant_b = tenants
    _program, foreign_cohort, _skills = open_cohort(tenant_b)
    with tenant_b.scope():
        foreign = factories.make_application(foreign_cohort, tenant_b.member)
    _program, cohort, _skills = open_cohort(tenant_a)
    with tenant_a.scope():
        colleague = factories.make_application(cohort, tenant_a.admin)
    login(client, tenant_a.member)
    for application in (foreign, colleague):
        assert client.post(url("application_withdraw", tenant_a, application_id=application.pk)).status_code == 404
    with tenant_b.scope():
        foreign.refresh_from_db()
        assert foreign.status == Application.Status.SUBMITTED
    with tenant_a.scope():
        colleague.refresh_from_db()
        assert colleague.status == Application.Status.SUBMITTED
    huge = f"/o/{tenant_a.organization.slug}/opportunities/applications/{10**22}/withdraw/"
    assert client.post(huge).status_code == 404


def test_my_applications_show_status_and_decline_reason_of_my_organization_only(client, tenants):
    tenant_a, tenant_b = tenants
    _program, cohort, _skills = open_cohort(tenant_a)
    with tenant_a.scope():
        application = factories.make_application(cohort, tenant_a.member)
        services.applications_decide(
            application_ids=[application.pk], decision="decline", decided_by=tenant_a.admin,
            reason="This cohort is full; the autumn one has room.",
        )  # fmt: skip
    _other, foreign_cohort, _skills = open_cohort(tenant_b, name="Beta Secret Program")
    with tenant_b.scope():
        same_person_elsewhere = factories.make_membership(tenant_a.member.user)
        factories.make_application(foreign_cohort, same_person_elsewhere)
    response = login(client, tenant_a.member).get(url("my_applications", tenant_a))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Declined" in content and "This cohort is full; the autumn one has room." in content
    assert "Beta Secret Program" not in content
    assert [a.pk for a in response.context["applications"]] == [application.pk]
    # The opportunity map tells the member too.
    assert b"the autumn one has room" in client.get(url("opportunity_list", tenant_a)).content


def test_sidebar_links_to_opportunities_and_my_applications(client, tenant_a):
    response = login(client, tenant_a.member).get(url("org_home", tenant_a))
    nav = response.content.decode()
    assert f'href="{url("opportunity_list", tenant_a)}"' in nav and f'href="{url("my_applications", tenant_a)}"' in nav


@pytest.mark.parametrize("name", ["opportunity_list", "my_applications"])
def test_member_pages_are_404_in_a_foreign_organization(client, tenants, name):
    tenant_a, tenant_b = tenants
    login(client, tenant_a.member)
    assert client.get(url(name, tenant_b)).status_code == 404


def test_my_applications_run_a_constant_number_of_queries(client, tenant_a):
    _program, cohort, _skills = open_cohort(tenant_a, name="First")
    with tenant_a.scope():
        factories.make_application(cohort, tenant_a.member)
    login(client, tenant_a.member)
    mine_url = url("my_applications", tenant_a)
    client.get(mine_url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(mine_url)
    for index in range(4):
        _program, other, _skills = open_cohort(tenant_a, name=f"More {index}", skill_names=(f"Skill {index}",))
        with tenant_a.scope():
            factories.make_application(other, tenant_a.member, status=Application.Status.DECLINED, decline_reason="x")
    with CaptureQueriesContext(connection) as many:
        response = client.get(mine_url)
    assert len(response.context["applications"]) == 5
    assert len(many) == len(few)


def test_admins_find_the_review_from_the_opportunity_map(client, tenant_a):
    _program, cohort, _skills = open_cohort(tenant_a)
    review = reverse("cohort_applications", args=[tenant_a.organization.slug, cohort.pk])
    assert review.encode() in login(client, tenant_a.admin).get(url("opportunity_list", tenant_a)).content
    assert review.encode() not in login(client, tenant_a.member).get(url("opportunity_list", tenant_a)).content
