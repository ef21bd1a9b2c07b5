"""Fetch-and-authorize helpers for programs (`access_*`). They read inside the caller's tenant scope, so a missing
row, another organization's row and a malformed id all look the same: 404."""

from __future__ import annotations

from django.http import Http404

from programs.models import Cohort, Program, SessionStage, Skill


def access_program_by_id(program_id: int) -> Program:
    try:
        return Program.objects.get(pk=program_id)
    except (Program.DoesNotExist, ValueError, TypeError):
        raise Http404("No such program.") from None


def access_cohort_by_id(cohort_id: int, *, program: Program | None = None) -> Cohort:
    """The cohort; when `program` is given it must belong to that program too."""
    cohorts = Cohort.objects.select_related("program")
    if program is not None:
        cohorts = cohorts.filter(program=program)
    try:
        return cohorts.get(pk=cohort_id)
    except (Cohort.DoesNotExist, ValueError, TypeError):
        raise Http404("No such cohort.") from None


def access_skill_by_id(skill_id: int) -> Skill:
    try:
        return Skill.objects.get(pk=skill_id)
    except (Skill.DoesNotExist, ValueError, TypeError):
        raise Http404("No such skill.") from None


def access_stage_by_id(stage_id: int, *, program: Program | None = None) -> SessionStage:
    """The session stage; when `program` is given it must belong to that program too."""
    stages = SessionStage.objects.select_related("program")
    if program is not None:
        stages = stages.filter(program=program)
    try:
        return stages.get(pk=stage_id)
    except (SessionStage.DoesNotExist, ValueError, TypeError):
        raise Http404("No such session stage.") from None
