"""Fetch-and-authorize helpers for programs (`access_*`). They read inside the caller's tenant scope, so a missing
row, another organization's row and a malformed id all look the same: 404."""

from __future__ import annotations

from mentorship.tenancy.access import fetch_or_404
from programs.models import Cohort, Program, SessionStage, Skill


def access_program_by_id(program_id: int) -> Program:
    return fetch_or_404(Program.objects.all(), program_id, "program")


def access_cohort_by_id(cohort_id: int, *, program: Program | None = None) -> Cohort:
    """The cohort with its program; when `program` is given it must belong to that program too."""
    cohorts = Cohort.objects.select_related("program")
    if program is not None:
        cohorts = cohorts.filter(program=program)
    return fetch_or_404(cohorts, cohort_id, "cohort")


def access_skill_by_id(skill_id: int) -> Skill:
    return fetch_or_404(Skill.objects.all(), skill_id, "skill")


def access_stage_by_id(stage_id: int, *, program: Program | None = None) -> SessionStage:
    """The session stage; when `program` is given it must belong to that program too."""
    stages = SessionStage.objects.select_related("program")
    if program is not None:
        stages = stages.filter(program=program)
    return fetch_or_404(stages, stage_id, "session stage")
