"""Program admin pages: isolation pairs, roles, forms that name their fields, lifecycle, session flow, targets,
cohorts and constant query counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mentorship.tenancy.models import Role
from programs import services
from programs.models import Cohort, Program, ProgramSkill, ProgramTarget, SessionStage, Skill
from tests import factories
from tests.conftest import login


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


@pytest.fixture
def program_admin(tenant_a):
    with tenant_a.scope():
        return factories.make_membership(
            factories.make_user("programs@org-alpha.test", "Pia Programs"), roles=[Role.PROGRAM_ADMIN]
        )


@pytest.fixture
def pa_client(client, program_admin, tenant_b):
    """Logged in as a program admin of tenant A (tenant B exists alongside)."""
    return login(client, program_admin)


@pytest.fixture
def foreign(tenant_b):
    """Another organization's skill, program (with its stages), cohort."""
    with tenant_b.scope():
        skill = factories.make_skill("Beta negotiation")
        program = factories.make_program("Beta program", skills=[skill])
        cohort = factories.make_cohort(program, name="Beta cohort", status=Cohort.Status.PLANNED)
        stage = program.stages.first()
    return {"skill": skill, "program": program, "cohort": cohort, "stage": stage}


PROGRAM_POST = {
    "name": "Build Together",
    "theme_tag": "#BuildTogether",
    "objectives": ["retention", "collaboration"],
    "format": "one_to_one",
    "ratio": "3",
    "cadence_per_month": "2",
    "cross_functional": "required",
    "matching_mode": "admin",
}

COHORT_POST = {
    "name": "Spring",
    "enrollment_opens_on": "2030-01-01",
    "enrollment_closes_on": "2030-01-20",
    "starts_on": "2030-02-01",
    "ends_on": "2030-07-31",
    "capacity": "20",
    "status": "planned",
}


# --- Access ---


PAGES = ["skill_list", "program_admin_list", "program_admin_create"]


@pytest.mark.parametrize("name", PAGES)
def test_pages_are_forbidden_to_plain_members(client, tenant_a, name):
    login(client, tenant_a.member)
    assert client.get(url(name, tenant_a)).status_code == 403
    assert client.post(url(name, tenant_a), {"name": "Sneaky"}).status_code == 403


def test_program_page_and_posts_are_forbidden_to_plain_members(client, tenant_a):
    with tenant_a.scope():
        program = factories.make_program("Alpha program")
        stage = program.stages.first()
    login(client, tenant_a.member)
    assert client.get(url("program_admin_detail", tenant_a, program_id=program.pk)).status_code == 403
    for name, kwargs, data in [
        ("program_admin_transition", {}, {"status": "archived"}),
        ("program_admin_duplicate", {}, {}),
        ("stage_add", {}, {"title": "Extra"}),
        ("stage_edit", {"stage_id": stage.pk}, {"action": "delete"}),
        ("stage_move", {"stage_id": stage.pk}, {"direction": "down"}),
        ("cohort_create", {}, COHORT_POST),
    ]:
        assert client.post(url(name, tenant_a, program_id=program.pk, **kwargs), data).status_code == 403
    with tenant_a.scope():
        program.refresh_from_db()
        assert program.status == Program.Status.DRAFT
        assert Program.objects.count() == 1 and program.stages.count() == 4 and not program.cohorts.exists()


@pytest.mark.parametrize("name", PAGES)
def test_org_admins_may_use_the_pages_too(admin_client, tenant_a, name):
    assert admin_client.get(url(name, tenant_a)).status_code == 200


def test_sidebar_shows_programs_to_program_admins_only(client, pa_client, tenant_a):
    page = pa_client.get(url("org_home", tenant_a))
    assert b"Capability framework" in page.content
    login(client, tenant_a.member)
    assert b"Capability framework" not in client.get(url("org_home", tenant_a)).content


# --- Capability framework ---


def test_skill_list_shows_my_organization_only_by_category(pa_client, tenant_a, foreign):
    with tenant_a.scope():
        factories.make_skill("Systems thinking", category="Engineering")
        factories.make_skill("Storytelling", category="Communication")
    response = pa_client.get(url("skill_list", tenant_a))
    assert response.status_code == 200
    assert [category for category, _ in response.context["categories"]] == ["Communication", "Engineering"]
    assert b"Systems thinking" in response.content and b"Beta negotiation" not in response.content


def test_add_and_edit_a_skill_with_level_descriptions(pa_client, tenant_a):
    levels = {f"level_{n}": f"Level {n} text" for n in range(1, 6)}
    response = pa_client.post(url("skill_list", tenant_a), {"name": "Coaching", "category": "Leadership", **levels})
    assert response.status_code == 302
    with tenant_a.scope():
        skill = Skill.objects.get(name="Coaching")
        assert skill.level_descriptions == [f"Level {n} text" for n in range(1, 6)]
    edit = url("skill_edit", tenant_a, skill_id=skill.pk)
    assert b"Level 3 text" in pa_client.get(edit).content
    assert b"5 of 5" in pa_client.get(url("skill_list", tenant_a)).content
    response = pa_client.post(edit, {"name": "Coaching others", "category": "Leadership", "level_1": "Starts"})
    assert response.status_code == 302
    with tenant_a.scope():
        skill.refresh_from_db()
    assert skill.name == "Coaching others" and skill.level_descriptions == ["Starts", "", "", "", ""]
    assert b"1 of 5" in pa_client.get(url("skill_list", tenant_a)).content
    assert not skill.is_active  # the checkbox was not sent: retired


def test_skill_duplicate_name_and_empty_name_are_field_errors(pa_client, tenant_a):
    with tenant_a.scope():
        factories.make_skill("Coaching")
    response = pa_client.post(url("skill_list", tenant_a), {"name": ""})
    assert response.status_code == 400 and "name" in response.context["form"].errors
    response = pa_client.post(url("skill_list", tenant_a), {"name": "Coaching"})
    assert response.status_code == 400 and response.context["form"].errors
    with tenant_a.scope():
        assert Skill.objects.filter(name="Coaching").count() == 1


def test_skill_of_another_organization_is_404_and_changes_nothing(pa_client, tenant_a, tenant_b, foreign):
    edit = url("skill_edit", tenant_a, skill_id=foreign["skill"].pk)
    assert pa_client.get(edit).status_code == 404
    assert pa_client.post(edit, {"name": "Hijacked"}).status_code == 404
    with tenant_b.scope():
        assert Skill.objects.get(pk=foreign["skill"].pk).name == "Beta negotiation"


# --- Programs list ---


def test_program_list_shows_my_organization_only_and_filters_by_status(pa_client, tenant_a, foreign):
    with tenant_a.scope():
        skill = factories.make_skill("Systems thinking")
        draft = factories.make_program("Alpha draft", skills=[skill], theme_tag="#Grow")
        factories.make_cohort(draft)
        factories.make_program("Alpha running", status=Program.Status.RUNNING)
    response = pa_client.get(url("program_admin_list", tenant_a))
    assert response.status_code == 200
    assert b"Alpha draft" in response.content and b"Beta program" not in response.content
    assert b"#Grow" in response.content and b"Systems thinking" in response.content
    by_name = {p.name: p for p in response.context["programs"]}
    assert by_name["Alpha draft"].cohort_count == 1
    response = pa_client.get(url("program_admin_list", tenant_a), {"status": "running"})
    assert [p.name for p in response.context["programs"]] == ["Alpha running"]


def test_program_list_htmx_returns_the_table_only(pa_client, tenant_a):
    response = pa_client.get(url("program_admin_list", tenant_a), {"status": "draft"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and b"<html" not in response.content


def test_program_list_runs_a_constant_number_of_queries(pa_client, tenant_a):
    list_url = url("program_admin_list", tenant_a)
    with tenant_a.scope():
        skills = [factories.make_skill(f"Skill {n}") for n in range(3)]
        factories.make_cohort(factories.make_program("First", skills=skills[:1]))
    pa_client.get(list_url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        pa_client.get(list_url)
    with tenant_a.scope():
        for n in range(10):
            program = factories.make_program(f"More {n}", skills=skills)
            factories.make_cohort(program)
            factories.make_cohort(program)
    with CaptureQueriesContext(connection) as many:
        response = pa_client.get(list_url)
    assert len(response.context["programs"]) == 11
    assert len(many) == len(few)


def _queries(client, page_url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_url).status_code == 200
    return len(queries)


def test_skill_list_and_program_page_run_a_constant_number_of_queries(pa_client, tenant_a):
    with tenant_a.scope():
        program = factories.make_program("Alpha program", skills=[factories.make_skill("First skill")])
        factories.make_cohort(program)
    skills, detail = url("skill_list", tenant_a), url("program_admin_detail", tenant_a, program_id=program.pk)
    pa_client.get(skills)  # warm the session
    few = (_queries(pa_client, skills), _queries(pa_client, detail))
    with tenant_a.scope():
        more = [factories.make_skill(f"Skill {n}", category=f"Category {n % 3}") for n in range(10)]
        for skill in more:
            ProgramSkill.objects.create(program=program, skill=skill)
        for _ in range(5):
            factories.make_application(factories.make_cohort(program))
            services.stage_add(program=program, title="Another stage")
    assert (_queries(pa_client, skills), _queries(pa_client, detail)) == few


# --- Create, edit, duplicate ---


def test_create_a_program_through_the_page_gets_the_four_default_stages(pa_client, tenant_a, program_admin):
    with tenant_a.scope():
        skill = factories.make_skill("Systems thinking")
    response = pa_client.post(url("program_admin_create", tenant_a), {**PROGRAM_POST, "skills": [skill.pk]})
    assert response.status_code == 302
    with tenant_a.scope():
        program = Program.objects.get(name="Build Together")
        assert response["Location"] == url("program_admin_detail", tenant_a, program_id=program.pk)
        assert program.stages.count() == 4 and program.status == Program.Status.DRAFT
        assert program.objectives == ["retention", "collaboration"] and program.cadence_per_month == 2
        assert program.created_by == program_admin
        assert list(program.program_skills.values_list("skill_id", flat=True)) == [skill.pk]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"ratio": "11"}, "ratio"), ({"name": ""}, "name"), ({"ratio": "0"}, "ratio"), ({"format": "pairs"}, "format")],
)
def test_program_field_errors_are_named_with_status_400(pa_client, tenant_a, change, field):
    response = pa_client.post(url("program_admin_create", tenant_a), {**PROGRAM_POST, **change})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert f'id="id_{field}_error"'.encode() in response.content
    with tenant_a.scope():
        assert not Program.objects.exists()


def test_a_foreign_skill_cannot_be_attached(pa_client, tenant_a, foreign):
    response = pa_client.post(url("program_admin_create", tenant_a), {**PROGRAM_POST, "skills": [foreign["skill"].pk]})
    assert response.status_code == 400 and "skills" in response.context["form"].errors


def test_edit_a_program_and_its_skills(pa_client, tenant_a):
    with tenant_a.scope():
        old, new = factories.make_skill("Old skill"), factories.make_skill("New skill")
        program = factories.make_program("Alpha program", skills=[old])
    detail = url("program_admin_detail", tenant_a, program_id=program.pk)
    page = pa_client.get(detail)
    assert page.status_code == 200 and b"Establish trust and define goals" in page.content
    response = pa_client.post(detail, {**PROGRAM_POST, "name": "Renamed", "ratio": "5", "skills": [new.pk]})
    assert response.status_code == 302
    with tenant_a.scope():
        program.refresh_from_db()
        assert (program.name, program.ratio) == ("Renamed", 5)
        assert list(program.program_skills.values_list("skill__name", flat=True)) == ["New skill"]
    response = pa_client.post(detail, {**PROGRAM_POST, "ratio": "11"})
    assert response.status_code == 400 and "ratio" in response.context["form"].errors


def test_duplicate_a_program(pa_client, tenant_a):
    with tenant_a.scope():
        program = factories.make_program("Original", ratio=2)
    response = pa_client.post(url("program_admin_duplicate", tenant_a, program_id=program.pk))
    with tenant_a.scope():
        copy = Program.objects.get(name="Copy of Original")
        assert copy.ratio == 2 and copy.stages.count() == 4
    assert response.status_code == 302
    assert response["Location"] == url("program_admin_detail", tenant_a, program_id=copy.pk)


# --- Lifecycle ---


def test_transition_without_a_cohort_is_refused_with_the_message(pa_client, tenant_a):
    with tenant_a.scope():
        program = factories.make_program("Alpha program")
    detail = url("program_admin_detail", tenant_a, program_id=program.pk)
    page = pa_client.get(detail)
    assert page.context["next_statuses"] == [("open", "Open for enrollment"), ("archived", "Archive")]
    response = pa_client.post(url("program_admin_transition", tenant_a, program_id=program.pk), {"status": "open"})
    assert response.status_code == 302
    page = pa_client.get(response["Location"])
    assert "Add a cohort first: a program runs in cohorts." in page.content.decode()
    with tenant_a.scope():
        program.refresh_from_db()
        assert program.status == Program.Status.DRAFT
        factories.make_cohort(program)
    pa_client.post(url("program_admin_transition", tenant_a, program_id=program.pk), {"status": "open"})
    with tenant_a.scope():
        program.refresh_from_db()
    assert program.status == Program.Status.OPEN
    page = pa_client.get(detail)
    assert [status for status, _ in page.context["next_statuses"]] == ["draft", "running", "archived"]


def test_transition_not_allowed_shows_the_reason(pa_client, tenant_a):
    with tenant_a.scope():
        program = factories.make_program("Alpha program")
    response = pa_client.post(
        url("program_admin_transition", tenant_a, program_id=program.pk), {"status": "completed"}, follow=True
    )
    assert "A program that is draft cannot become completed." in response.content.decode()


# --- Session flow ---


def _stage_titles(tenant, program):
    with tenant.scope():
        return list(program.stages.order_by("position").values_list("title", flat=True))


def test_add_edit_and_delete_stages(pa_client, tenant_a):
    with tenant_a.scope():
        program = factories.make_program("Alpha program")
        first = program.stages.get(position=1)
    response = pa_client.post(
        url("stage_add", tenant_a, program_id=program.pk),
        {"title": "Celebrate", "objectives": "Close well", "reflection_prompts": "What went well?\n\nWhat next?"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#stages")
    with tenant_a.scope():
        added = program.stages.get(title="Celebrate")
    assert (added.position, added.reflection_prompts) == (5, ["What went well?", "What next?"])
    edit = url("stage_edit", tenant_a, program_id=program.pk, stage_id=first.pk)
    response = pa_client.post(edit, {f"stage-{first.pk}-title": "Meet", f"stage-{first.pk}-reflection_prompts": "Hi"})
    assert response.status_code == 302
    response = pa_client.post(edit, {f"stage-{first.pk}-title": ""})
    assert response.status_code == 400 and b"id_stage-%d-title_error" % first.pk in response.content
    assert pa_client.post(edit, {"action": "delete"}).status_code == 302
    assert _stage_titles(tenant_a, program)[0] == "Identify strengths and growth areas"
    with tenant_a.scope():
        assert list(program.stages.values_list("position", flat=True)) == [1, 2, 3, 4]


def test_empty_stage_title_is_a_field_error(pa_client, tenant_a):
    with tenant_a.scope():
        program = factories.make_program("Alpha program")
    response = pa_client.post(url("stage_add", tenant_a, program_id=program.pk), {"title": ""})
    assert response.status_code == 400 and "title" in response.context["stage_form"].errors
    assert len(_stage_titles(tenant_a, program)) == 4


def test_reorder_stages_up_and_down(pa_client, tenant_a):
    with tenant_a.scope():
        program = factories.make_program("Alpha program")
        stages = list(program.stages.order_by("position"))
    before = _stage_titles(tenant_a, program)
    move = url("stage_move", tenant_a, program_id=program.pk, stage_id=stages[2].pk)
    assert pa_client.post(move, {"direction": "up"}).status_code == 302
    assert _stage_titles(tenant_a, program) == [before[0], before[2], before[1], before[3]]
    response = pa_client.post(move, {"direction": "down"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and b"<html" not in response.content and b'id="stage-list"' in response.content
    assert _stage_titles(tenant_a, program) == before
    last = url("stage_move", tenant_a, program_id=program.pk, stage_id=stages[3].pk)
    pa_client.post(last, {"direction": "down"})  # already last: nothing moves
    assert _stage_titles(tenant_a, program) == before
    pa_client.post(move, {"direction": "sideways"})  # not a direction: nothing moves
    assert _stage_titles(tenant_a, program) == before


# --- Targets ---


def test_set_targets_per_metric(pa_client, tenant_a):
    with tenant_a.scope():
        program = factories.make_program("Alpha program")
    targets = url("targets_save", tenant_a, program_id=program.pk)
    response = pa_client.post(targets, {"participation_rate_baseline": "35", "participation_rate_target": "60"})
    assert response.status_code == 302
    with tenant_a.scope():
        row = ProgramTarget.objects.get(program=program)
    assert (row.metric, row.baseline, row.target) == ("participation_rate", 35, 60)
    response = pa_client.post(targets, {"satisfaction_baseline": "3.5"})
    assert response.status_code == 400 and "satisfaction_target" in response.context["targets_form"].errors
    page = pa_client.get(url("program_admin_detail", tenant_a, program_id=program.pk))
    assert page.context["targets_form"]["participation_rate_target"].value() == 60


# --- Cohorts ---


def test_create_and_edit_a_cohort(pa_client, tenant_a):
    with tenant_a.scope():
        program = factories.make_program("Alpha program")
    response = pa_client.post(url("cohort_create", tenant_a, program_id=program.pk), COHORT_POST)
    assert response.status_code == 302
    with tenant_a.scope():
        cohort = Cohort.objects.get(program=program)
    assert (cohort.name, cohort.starts_on, cohort.capacity) == ("Spring", date(2030, 2, 1), 20)
    edit = url("cohort_edit", tenant_a, program_id=program.pk, cohort_id=cohort.pk)
    page = pa_client.get(edit)
    assert b'type="date"' in page.content and b'value="2030-02-01"' in page.content
    response = pa_client.post(edit, {**COHORT_POST, "capacity": "25", "status": "enrolling"})
    assert response.status_code == 302
    with tenant_a.scope():
        cohort.refresh_from_db()
    assert (cohort.capacity, cohort.status) == (25, Cohort.Status.ENROLLING)
    detail = pa_client.get(url("program_admin_detail", tenant_a, program_id=program.pk))
    assert b"Spring" in detail.content
    assert url("cohort_applications", tenant_a, cohort_id=cohort.pk).encode() in detail.content


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_on": "2030-01-15"}, "ends_on"),  # ends before it starts
        ({"enrollment_closes_on": "2030-02-10"}, "enrollment_closes_on"),  # after the start
        ({"capacity": "0"}, "capacity"),
        ({"name": ""}, "name"),
    ],
)
def test_cohort_field_errors_are_named_with_status_400(pa_client, tenant_a, change, field):
    with tenant_a.scope():
        program = factories.make_program("Alpha program")
    response = pa_client.post(url("cohort_create", tenant_a, program_id=program.pk), {**COHORT_POST, **change})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert f'id="id_{field}_error"'.encode() in response.content
    with tenant_a.scope():
        assert not Cohort.objects.exists()


def test_cohort_update_that_ends_before_it_starts_is_refused(pa_client, tenant_a):
    with tenant_a.scope():
        cohort = factories.make_cohort(factories.make_program("Alpha program"), name="Spring")
    edit = url("cohort_edit", tenant_a, program_id=cohort.program_id, cohort_id=cohort.pk)
    response = pa_client.post(edit, {**COHORT_POST, "ends_on": "2030-01-31"})
    assert response.status_code == 400 and "ends_on" in response.context["form"].errors
    assert b"The cohort must end after it starts." in response.content
    with tenant_a.scope():
        assert Cohort.objects.get(pk=cohort.pk).ends_on == cohort.ends_on


# --- Isolation: another organization's ids give 404 and change nothing ---


def test_foreign_program_pages_and_posts_are_404_and_change_nothing(pa_client, tenant_a, tenant_b, foreign):
    program, cohort, stage = foreign["program"], foreign["cohort"], foreign["stage"]
    pid = {"program_id": program.pk}
    assert pa_client.get(url("program_admin_detail", tenant_a, **pid)).status_code == 404
    assert pa_client.get(url("cohort_create", tenant_a, **pid)).status_code == 404
    assert pa_client.get(url("cohort_edit", tenant_a, cohort_id=cohort.pk, **pid)).status_code == 404
    for name, kwargs, data in [
        ("program_admin_detail", {}, {**PROGRAM_POST, "name": "Hijacked"}),
        ("program_admin_transition", {}, {"status": "archived"}),
        ("program_admin_duplicate", {}, {}),
        ("stage_add", {}, {"title": "Injected"}),
        ("stage_edit", {"stage_id": stage.pk}, {f"stage-{stage.pk}-title": "Hijacked"}),
        ("stage_edit", {"stage_id": stage.pk}, {"action": "delete"}),
        ("stage_move", {"stage_id": stage.pk}, {"direction": "down"}),
        ("targets_save", {}, {"participation_rate_baseline": "1", "participation_rate_target": "2"}),
        ("cohort_create", {}, COHORT_POST),
        ("cohort_edit", {"cohort_id": cohort.pk}, {**COHORT_POST, "name": "Hijacked"}),
    ]:
        response = pa_client.post(url(name, tenant_a, **pid, **kwargs), data)
        assert response.status_code == 404, name
    with tenant_b.scope():
        program.refresh_from_db()
        assert (program.name, program.status) == ("Beta program", Program.Status.DRAFT)
        assert Program.objects.count() == 1
        assert program.stages.order_by("position").first().pk == stage.pk
        assert SessionStage.objects.get(pk=stage.pk).title == stage.title
        assert program.stages.count() == 4 and not program.targets.exists()
        assert list(program.cohorts.values_list("name", flat=True)) == ["Beta cohort"]
    with tenant_a.scope():
        assert not Program.objects.exists() and not SessionStage.objects.exists()


def test_my_program_with_a_foreign_stage_or_cohort_id_is_404(pa_client, tenant_a, tenant_b, foreign):
    with tenant_a.scope():
        mine = factories.make_program("Alpha program")
        other_mine = factories.make_program("Alpha other")
        my_cohort = factories.make_cohort(other_mine)
        my_stage_elsewhere = other_mine.stages.first()
    pid = {"program_id": mine.pk}
    stage = foreign["stage"]
    for stage_id in (stage.pk, my_stage_elsewhere.pk):
        edit = url("stage_edit", tenant_a, stage_id=stage_id, **pid)
        assert pa_client.post(edit, {"action": "delete"}).status_code == 404
        move = url("stage_move", tenant_a, stage_id=stage_id, **pid)
        assert pa_client.post(move, {"direction": "down"}).status_code == 404
    for cohort_id in (foreign["cohort"].pk, my_cohort.pk):
        edit = url("cohort_edit", tenant_a, cohort_id=cohort_id, **pid)
        assert pa_client.get(edit).status_code == 404
        assert pa_client.post(edit, {**COHORT_POST, "name": "Hijacked"}).status_code == 404
    with tenant_b.scope():
        assert SessionStage.objects.filter(pk=stage.pk).exists()
        assert Cohort.objects.get(pk=foreign["cohort"].pk).name == "Beta cohort"
    with tenant_a.scope():
        assert other_mine.stages.count() == 4 and Cohort.objects.get(pk=my_cohort.pk).name == my_cohort.name


def test_foreign_organization_slug_is_404(pa_client, tenant_b):
    assert pa_client.get(url("program_admin_list", tenant_b)).status_code == 404
    assert pa_client.get(url("skill_list", tenant_b)).status_code == 404
