"""The demo programs: states, applications across departments, idempotent, and isolated per organization."""

from __future__ import annotations

import io

from django.core.management import call_command

from mentorship.tenancy.models import Organization
from mentorship.tenancy.scope import tenant_scope
from programs.models import Application, ApplicationSkill, Cohort, Program, Skill

TENANT_MODELS = (Skill, Program, Cohort, Application, ApplicationSkill)


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, tuple[int, ...]]:
    result = {}
    for organization in Organization.objects.all():
        with tenant_scope(organization):
            result[organization.slug] = tuple(model.objects.count() for model in TENANT_MODELS)
    return result


def test_demo_programs_exist_in_their_states_and_seeding_twice_adds_nothing(db):
    assert "programs" in seed()
    first = counts()
    seed()
    assert counts() == first
    acme = Organization.objects.get(slug="acme")
    with tenant_scope(acme):
        assert 10 <= Skill.objects.count() <= 14
        states = dict(Program.objects.values_list("name", "status"))
        assert states["Build Together, Grow Together"] == Program.Status.OPEN
        assert states["Leaders of Tomorrow"] == Program.Status.RUNNING
        assert Program.Status.DRAFT in states.values() and Program.Status.COMPLETED in states.values()
        build = Program.objects.get(name="Build Together, Grow Together")
        assert (build.theme_tag, build.ratio, build.format) == ("#BuildTogether&GrowTogether", 3, "one_to_one")
        assert build.cross_functional == Program.CrossFunctional.REQUIRED
        targets = {t.metric: (t.baseline, t.target) for t in build.targets.all()}
        assert targets == {"participation_rate": (35, 60), "attendance_rate": (70, 85), "capability_growth": (0, 1)}
        cohort = build.cohorts.get()
        assert cohort.status == Cohort.Status.ENROLLING
        applications = Application.objects.filter(cohort=cohort)
        assert 40 <= applications.count() <= 50
        assert 10 <= applications.filter(role="mentor").count() <= 14
        assert len(set(applications.values_list("membership__department", flat=True))) >= 5
        assert set(applications.values_list("status", flat=True)) >= {"submitted", "accepted", "waitlisted", "declined"}
        assert not applications.filter(status="declined", decline_reason="").exists()
        # Mentees want to grow: every target level is above the current one.
        mentee_skills = ApplicationSkill.objects.filter(application__cohort=cohort, application__role="mentee")
        assert all(row.target_level > row.level for row in mentee_skills)
        leaders = Program.objects.get(name="Leaders of Tomorrow")
        assert (leaders.format, leaders.ratio) == ("group", 4)
        active = leaders.cohorts.get()
        assert active.status == Cohort.Status.ACTIVE
        assert set(active.applications.values_list("status", flat=True)) == {"accepted"}
        # The plain member demo login has an application of their own.
        assert applications.filter(membership__user__email="member@acme.example").exists()


def test_globex_demo_programs_are_invisible_in_acmes_scope(db):
    seed()
    globex, acme = Organization.objects.get(slug="globex"), Organization.objects.get(slug="acme")
    with tenant_scope(globex):
        globex_rows = {model: set(model.objects.values_list("pk", flat=True)) for model in TENANT_MODELS}
        assert Program.objects.get().status == Program.Status.OPEN
        assert 3 <= Application.objects.count() <= 16  # the pilot's enrolling cohort and its small trial round
    with tenant_scope(acme):
        for model, pks in globex_rows.items():
            assert pks and not model.objects.filter(pk__in=pks).exists(), model.__name__
        assert not Program.objects.filter(name="Globex Mentoring Pilot").exists()
