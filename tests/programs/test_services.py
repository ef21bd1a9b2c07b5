"""Program lifecycle, duplication, session flow, cohorts and applications (services, against real PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from programs import services
from programs.models import Application, Program, ProgramTarget, SessionStage
from tests import factories


def test_new_program_has_defaults_and_the_four_stages(tenant_a):
    with tenant_a.scope():
        program = services.program_create(created_by=tenant_a.admin, name="Build Together")
        assert (program.ratio, program.cadence_per_month, program.status) == (3, 1, Program.Status.DRAFT)
        assert program.cross_functional == Program.CrossFunctional.REQUIRED
        assert list(program.stages.values_list("position", "title")) == [
            (1, "Establish trust and define goals"),
            (2, "Identify strengths and growth areas"),
            (3, "Co-create actionable solutions"),
            (4, "Review progress and plan forward"),
        ]


def test_ratio_outside_1_to_10_is_a_field_error(tenant_a):
    with tenant_a.scope(), pytest.raises(ValidationError) as error:
        services.program_create(created_by=tenant_a.admin, name="Too many", ratio=11)
    assert "ratio" in error.value.message_dict


def test_lifecycle_refuses_opening_or_running_without_a_cohort(tenant_a):
    with tenant_a.scope():
        program = factories.make_program()
        with pytest.raises(ValidationError, match="Add a cohort first"):
            services.program_transition(program=program, status=Program.Status.OPEN)
        factories.make_cohort(program)
        program = services.program_transition(program=program, status=Program.Status.OPEN)
        program = services.program_transition(program=program, status=Program.Status.RUNNING)
        with pytest.raises(ValidationError) as error:
            services.program_transition(program=program, status=Program.Status.DRAFT)
        assert "status" in error.value.message_dict
        program = services.program_transition(program=program, status=Program.Status.COMPLETED)
        program = services.program_transition(program=program, status=Program.Status.ARCHIVED)
        with pytest.raises(ValidationError):
            services.program_transition(program=program, status=Program.Status.OPEN)


def test_ratio_of_a_running_program_cannot_go_below_a_mentors_commitment(tenant_a):
    with tenant_a.scope():
        program = factories.make_program(status=Program.Status.RUNNING)
        cohort = factories.make_cohort(program, status="active")
        factories.make_application(cohort, role=Application.Role.MENTOR, capacity=3, status="accepted")
        with pytest.raises(ValidationError) as error:
            services.program_update(program=program, ratio=2)
        assert "ratio" in error.value.message_dict
        assert services.program_update(program=program, ratio=4).ratio == 4


def test_duplicate_copies_settings_skills_stages_and_targets_but_not_cohorts(tenant_a):
    with tenant_a.scope():
        skill = factories.make_skill("Systems thinking")
        program = factories.make_program("Original", skills=[skill], ratio=2, theme_tag="#BuildTogether")
        services.target_set(program=program, metric=ProgramTarget.Metric.PARTICIPATION_RATE, baseline=35, target=60)
        factories.make_cohort(program)
        copy = services.program_duplicate(program=program, created_by=tenant_a.admin)
        assert copy.name == "Copy of Original" and copy.status == Program.Status.DRAFT
        assert (copy.ratio, copy.theme_tag) == (2, "#BuildTogether")
        assert list(copy.program_skills.values_list("skill__name", flat=True)) == ["Systems thinking"]
        assert copy.stages.count() == 4 and copy.targets.get().target == 60
        assert copy.cohorts.count() == 0
        assert services.program_duplicate(program=program, created_by=tenant_a.admin).name == "Copy of Original (2)"


def test_stages_reorder_and_delete_keep_positions_dense(tenant_a):
    with tenant_a.scope():
        program = factories.make_program()
        ids = list(program.stages.order_by("position").values_list("pk", flat=True))
        services.stages_reorder(program=program, stage_ids=[ids[3], ids[0], ids[1], ids[2]])
        assert list(program.stages.order_by("position").values_list("pk", flat=True)) == [ids[3], *ids[:3]]
        services.stage_delete(stage=SessionStage.objects.get(pk=ids[0]))
        assert list(program.stages.values_list("position", flat=True)) == [1, 2, 3]
        with pytest.raises(ValidationError):
            services.stages_reorder(program=program, stage_ids=[ids[1]])


def test_cohort_dates_are_checked_on_their_fields(tenant_a):
    today = timezone.localdate()
    with tenant_a.scope():
        program = factories.make_program()
        with pytest.raises(ValidationError) as error:
            services.cohort_create(
                program=program, name="Bad", starts_on=today, ends_on=today - timedelta(days=1),
                enrollment_opens_on=today, enrollment_closes_on=today + timedelta(days=3), capacity=10,
            )  # fmt: skip
        assert "ends_on" in error.value.message_dict


def test_mentee_application_rules(tenant_a):
    with tenant_a.scope():
        skill, other = factories.make_skill("Data literacy"), factories.make_skill("Not in program")
        program = factories.make_program(skills=[skill], status=Program.Status.OPEN)
        cohort = factories.make_cohort(program)
        member = tenant_a.member
        with pytest.raises(ValidationError) as error:
            services.application_submit(cohort=cohort, membership=member, role="mentee", skills=[(other, 1, 3)])
        assert "skills" in error.value.message_dict
        with pytest.raises(ValidationError, match="target level"):
            services.application_submit(cohort=cohort, membership=member, role="mentee", skills=[(skill, 3, 2)])
        application = services.application_submit(
            cohort=cohort, membership=member, role="mentee", skills=[(skill, 2, 4)], goals="Read dashboards"
        )
        assert application.status == Application.Status.SUBMITTED
        assert application.time_zone == member.time_zone
        with pytest.raises(ValidationError, match="already applied"):
            services.application_submit(cohort=cohort, membership=member, role="mentee", skills=[(skill, 2, 4)])
        services.application_withdraw(application=application)
        again = services.application_submit(cohort=cohort, membership=member, role="mentor", skills=[(skill, 4, None)])
        assert again.pk == application.pk and again.role == "mentor" and again.capacity == 3


def test_mentor_capacity_is_capped_by_the_ratio_and_closed_enrollment_refuses(tenant_a):
    today = timezone.localdate()
    with tenant_a.scope():
        skill = factories.make_skill()
        program = factories.make_program(skills=[skill], status=Program.Status.OPEN, ratio=2)
        cohort = factories.make_cohort(program)
        with pytest.raises(ValidationError) as error:
            services.application_submit(
                cohort=cohort, membership=tenant_a.member, role="mentor", skills=[(skill, 4, None)], capacity=3
            )
        assert "capacity" in error.value.message_dict
        closed = factories.make_cohort(program, enrollment_closes_on=today - timedelta(days=1))
        with pytest.raises(ValidationError, match="not open"):
            services.application_submit(
                cohort=closed, membership=tenant_a.member, role="mentor", skills=[(skill, 4, None)]
            )


def test_bulk_decisions(tenant_a):
    with tenant_a.scope():
        cohort = factories.make_cohort()
        applications = [factories.make_application(cohort) for _ in range(3)]
        ids = [a.pk for a in applications]
        with pytest.raises(ValidationError) as error:
            services.applications_decide(application_ids=ids, decision="decline", decided_by=tenant_a.admin)
        assert "reason" in error.value.message_dict
        changed = services.applications_decide(
            application_ids=ids[:2], decision="decline", decided_by=tenant_a.admin, reason="Full this time"
        )
        assert changed == 2
        assert services.applications_decide(application_ids=ids[2:], decision="accept", decided_by=tenant_a.admin) == 1
        statuses = dict(Application.objects.values_list("pk", "status"))
        assert [statuses[pk] for pk in ids] == ["declined", "declined", "accepted"]


def test_decisions_on_another_organizations_applications_are_not_found(tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        foreign = factories.make_application()
    with tenant_a.scope(), pytest.raises(ValidationError) as error:
        services.applications_decide(application_ids=[foreign.pk], decision="accept", decided_by=tenant_a.admin)
    assert "application_ids" in error.value.message_dict
    with tenant_b.scope():
        foreign.refresh_from_db()
        assert foreign.status == Application.Status.SUBMITTED
