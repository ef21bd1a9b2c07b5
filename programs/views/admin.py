"""Program admin pages: the capability framework, programs (settings, lifecycle, session flow, targets) and cohorts.

For program admins and org admins. The middleware has entered the organization's scope; every id in a URL goes
through an access_* helper (404 for another organization's row), and every write goes through programs.services.
"""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mentorship.tenancy.access import roles_required
from mentorship.tenancy.models import Role
from mentorship.tenancy.views import apply_errors
from programs import services
from programs.access import access_cohort_by_id, access_program_by_id, access_skill_by_id, access_stage_by_id
from programs.forms import CohortForm, ProgramFilterForm, ProgramForm, SkillForm, StageForm, TargetsForm
from programs.models import Program, ProgramSkill, Skill

PROGRAM_ADMIN_ROLES = (Role.PROGRAM_ADMIN, Role.ORG_ADMIN)
# The button that moves a program into each status (the allowed moves come from services.TRANSITIONS).
TRANSITION_BUTTONS = {
    Program.Status.DRAFT: "Back to draft",
    Program.Status.OPEN: "Open for enrollment",
    Program.Status.RUNNING: "Start running",
    Program.Status.COMPLETED: "Mark completed",
    Program.Status.ARCHIVED: "Archive",
}


program_admin_required = roles_required(*PROGRAM_ADMIN_ROLES)


def _posted(request):
    return request.POST if request.method == "POST" else None


def _program_url(request, program: Program, anchor: str = "") -> str:
    url = reverse("program_admin_detail", kwargs={"org_slug": request.organization.slug, "program_id": program.pk})
    return f"{url}#{anchor}" if anchor else url


# --- Capability framework ---


@program_admin_required
def skill_list(request, org_slug):
    form = SkillForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            skill = services.skill_create(**form.service_fields())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Skill {skill.name} added.")
            return redirect("skill_list", org_slug=org_slug)
    skills = list(Skill.objects.order_by("category", "name"))
    for skill in skills:
        skill.described_levels = sum(1 for text in skill.level_descriptions if text)
    categories = [(category, list(rows)) for category, rows in groupby(skills, key=lambda s: s.category)]
    return render(
        request,
        "programs/skill_list.html",
        {"form": form, "categories": categories},
        status=400 if form.errors else 200,
    )


@program_admin_required
def skill_edit(request, org_slug, skill_id):
    skill = access_skill_by_id(skill_id)
    form = SkillForm(_posted(request), skill=skill)
    if request.method == "POST" and form.is_valid():
        try:
            services.skill_update(skill=skill, **form.service_fields())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Skill {skill.name} saved.")
            return redirect("skill_list", org_slug=org_slug)
    return render(
        request, "programs/skill_edit.html", {"form": form, "skill": skill}, status=400 if form.errors else 200
    )


# --- Programs ---


@program_admin_required
def program_list(request, org_slug):
    filters = ProgramFilterForm(request.GET)
    programs = Program.objects.annotate(cohort_count=Count("cohorts")).prefetch_related(
        Prefetch("program_skills", queryset=ProgramSkill.objects.select_related("skill").order_by("skill__name"))
    )
    if filters.is_valid() and filters.cleaned_data["status"]:
        programs = programs.filter(status=filters.cleaned_data["status"])
    context = {"filters": filters, "programs": list(programs)}
    template = "programs/_program_table.html" if request.htmx else "programs/program_list.html"
    return render(request, template, context)


@program_admin_required
def program_create(request, org_slug):
    form = ProgramForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(
                created_by=request.membership, skills=form.cleaned_data["skills"], **form.service_fields()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Program {program.name} created with the default session flow.")
            return redirect(_program_url(request, program))
    return render(request, "programs/program_new.html", {"form": form}, status=400 if form.errors else 200)


def _render_program(request, program, *, form=None, stage_form=None, edited_stage=None, targets_form=None):
    stages = list(program.stages.order_by("position"))
    targets = list(program.targets.all())
    form = form or ProgramForm(program=program)
    stage_form = stage_form or StageForm()
    targets_form = targets_form or TargetsForm(targets=targets)
    stage_rows = [(stage, StageForm(stage=stage, prefix=f"stage-{stage.pk}")) for stage in stages]
    if edited_stage is not None:
        stage_rows = [(stage, edited_stage[1] if stage.pk == edited_stage[0].pk else f) for stage, f in stage_rows]
    failed = any(f.errors for f in (form, stage_form, targets_form)) or (edited_stage and edited_stage[1].errors)
    return render(
        request,
        "programs/program_detail.html",
        {
            "program": program,
            "form": form,
            "next_statuses": [
                (status.value, TRANSITION_BUTTONS[status])
                for status in Program.Status
                if status in services.TRANSITIONS[program.status]
            ],
            "stage_rows": stage_rows,
            "stage_form": stage_form,
            "targets_form": targets_form,
            "cohorts": list(program.cohorts.annotate(application_count=Count("applications"))),
        },
        status=400 if failed else 200,
    )


@program_admin_required
def program_detail(request, org_slug, program_id):
    program = access_program_by_id(program_id)
    form = ProgramForm(_posted(request), program=program)
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(program=program, skills=form.cleaned_data["skills"], **form.service_fields())
        except ValidationError as error:
            apply_errors(form, error)
            program.refresh_from_db()
        else:
            messages.success(request, f"Program {program.name} saved.")
            return redirect(_program_url(request, program))
    return _render_program(request, program, form=form)


@program_admin_required
@require_POST
def program_duplicate(request, org_slug, program_id):
    program = access_program_by_id(program_id)
    copy = services.program_duplicate(program=program, created_by=request.membership)
    messages.success(request, f"{copy.name} created as a draft: same settings, skills, stages and targets.")
    return redirect(_program_url(request, copy))


@program_admin_required
@require_POST
def program_transition(request, org_slug, program_id):
    program = access_program_by_id(program_id)
    try:
        program = services.program_transition(program=program, status=request.POST.get("status", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{program.name} is now {program.get_status_display().lower()}.")
    return redirect(_program_url(request, program))


# --- Session flow ---


@program_admin_required
@require_POST
def stage_add(request, org_slug, program_id):
    program = access_program_by_id(program_id)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            stage = services.stage_add(program=program, **form.service_fields())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Stage {stage.position} added.")
            return redirect(_program_url(request, program, "stages"))
    return _render_program(request, program, stage_form=form)


@program_admin_required
@require_POST
def stage_edit(request, org_slug, program_id, stage_id):
    program = access_program_by_id(program_id)
    stage = access_stage_by_id(stage_id, program=program)
    if request.POST.get("action") == "delete":
        try:
            services.stage_delete(stage=stage)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Stage “{stage.title}” deleted.")
        return redirect(_program_url(request, program, "stages"))
    form = StageForm(request.POST, prefix=f"stage-{stage.pk}")
    if form.is_valid():
        try:
            services.stage_update(stage=stage, **form.service_fields())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Stage {stage.position} saved.")
            return redirect(_program_url(request, program, "stages"))
    return _render_program(request, program, edited_stage=(stage, form))


@program_admin_required
@require_POST
def stage_move(request, org_slug, program_id, stage_id):
    """Move a stage one place up or down (htmx swaps the list in place; without it, back to the page)."""
    program = access_program_by_id(program_id)
    stage = access_stage_by_id(stage_id, program=program)
    order = list(program.stages.order_by("position").values_list("pk", flat=True))
    index = order.index(stage.pk)
    other = {"up": index - 1, "down": index + 1}.get(request.POST.get("direction"), -1)
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
        services.stages_reorder(program=program, stage_ids=order)
    if request.htmx:
        stages = list(program.stages.order_by("position"))
        rows = [(s, StageForm(stage=s, prefix=f"stage-{s.pk}")) for s in stages]
        return render(request, "programs/_stage_list.html", {"program": program, "stage_rows": rows})
    return redirect(_program_url(request, program, "stages"))


# --- Targets ---


@program_admin_required
@require_POST
def targets_save(request, org_slug, program_id):
    program = access_program_by_id(program_id)
    form = TargetsForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                for metric, baseline, target in form.targets():
                    services.target_set(program=program, metric=metric, baseline=baseline, target=target)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                name = f"{metric}_{field}"
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, "Targets saved.")
            return redirect(_program_url(request, program, "targets"))
    return _render_program(request, program, targets_form=form)


# --- Cohorts ---


def _cohort_page(request, program, form, cohort=None):
    return render(
        request,
        "programs/cohort_form.html",
        {"program": program, "cohort": cohort, "form": form},
        status=400 if form.errors else 200,
    )


@program_admin_required
def cohort_create(request, org_slug, program_id):
    program = access_program_by_id(program_id)
    form = CohortForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            cohort = services.cohort_create(program=program, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Cohort {cohort.name} added.")
            return redirect(_program_url(request, program, "cohorts"))
    return _cohort_page(request, program, form)


@program_admin_required
def cohort_edit(request, org_slug, program_id, cohort_id):
    program = access_program_by_id(program_id)
    cohort = access_cohort_by_id(cohort_id, program=program)
    form = CohortForm(_posted(request), cohort=cohort)
    if request.method == "POST" and form.is_valid():
        try:
            services.cohort_update(cohort=cohort, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
            cohort.refresh_from_db()
        else:
            messages.success(request, f"Cohort {cohort.name} saved.")
            return redirect(_program_url(request, program, "cohorts"))
    return _cohort_page(request, program, form, cohort)
