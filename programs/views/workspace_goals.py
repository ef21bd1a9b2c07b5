"""Goals and action items of a mentorship: create a SMART goal, update its progress (with the history of updates),
add an action item, tick it done (htmx swaps the item in place)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_POST

from programs.models import ActionItem, Goal, GoalUpdate, Mentorship
from programs.views.workspace_common import back_to_mentorship, form_page, member_time_zone, show_errors
from programs.workspace import goals as goal_services
from programs.workspace.access import access_mentorship_for_participant, participants
from programs.workspace.assessments import program_skills
from programs.workspace_forms import ActionItemForm, GoalForm, GoalProgressForm

OPEN_GOALS = (Goal.Status.NOT_STARTED, Goal.Status.IN_PROGRESS)


@member_time_zone
def goal_create(request, org_slug, mentorship_id):
    mentorship, me = access_mentorship_for_participant(request.membership, mentorship_id)
    mentees = [p for p in participants(mentorship) if not p.is_mentor]
    form = GoalForm(
        request.POST if request.method == "POST" else None,
        skills=program_skills(mentorship),
        mentees=mentees if me.is_mentor and len(mentees) > 1 else None,  # a mentee's goal is their own
    )
    if request.method == "POST" and form.is_valid():
        try:
            goal = goal_services.goal_create(mentorship=mentorship, created_by=request.membership, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"Goal “{goal.title}” added. Add an action item to take the first step.")
            return back_to_mentorship(request, mentorship.pk, "goals")
    return form_page(request, "programs/workspace/goal_form.html", {"mentorship": mentorship, "form": form}, form)


@member_time_zone
def goal_detail(request, org_slug, goal_id):
    goal, _me = goal_services.access_goal_for_participant(request.membership, goal_id)
    mentorship = goal.mentorship
    form = GoalProgressForm(
        request.POST if request.method == "POST" else None,
        initial={"progress": goal.progress, "status": goal.status},
    )
    if request.method == "POST" and form.is_valid():
        try:
            goal_services.goal_progress(goal=goal, author=request.membership, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request, f"Progress on “{goal.title}” saved: {goal.progress} %, {goal.get_status_display()}."
            )
            return back_to_mentorship(request, mentorship.pk, "goals")
    mentee = next(p for p in participants(mentorship) if p.application.pk == goal.mentee_id)
    context = {
        "mentorship": mentorship, "goal": goal, "mentee": mentee, "form": form,
        "updates": list(GoalUpdate.objects.filter(goal=goal).select_related("author__user")),
        "action_items": list(ActionItem.objects.filter(goal=goal).select_related("owner__user")),
    }  # fmt: skip
    return form_page(request, "programs/workspace/goal_detail.html", context, form)


@member_time_zone
def action_item_create(request, org_slug, mentorship_id):
    mentorship, _me = access_mentorship_for_participant(request.membership, mentorship_id)
    goals = list(Goal.objects.filter(mentorship=mentorship, status__in=OPEN_GOALS).order_by("target_date", "pk"))
    form = ActionItemForm(
        request.POST if request.method == "POST" else None,
        people=participants(mentorship),
        goals=goals,
        initial={"owner": request.membership.pk, "goal": request.GET.get("goal")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = goal_services.action_item_create(
                mentorship=mentorship, created_by=request.membership, **form.cleaned_data
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"Action item “{item.title}” added for {item.owner}.")
            return back_to_mentorship(request, mentorship.pk, "action-items")
    return form_page(
        request, "programs/workspace/action_item_form.html", {"mentorship": mentorship, "form": form}, form
    )


@require_POST
@member_time_zone
def action_item_done(request, org_slug, item_id):
    """Tick an action item done (``done=1``) or open again (``done=0``)."""
    item, _me = goal_services.access_action_item_for_participant(request.membership, item_id)
    error = None
    try:
        goal_services.action_item_set_done(item=item, by=request.membership, done=request.POST.get("done") == "1")
    except ValidationError as failure:
        error = " ".join(failure.messages)
    if request.htmx:
        active = item.mentorship.status == Mentorship.Status.ACTIVE
        return render(
            request, "programs/workspace/_action_item.html", {"item": item, "active": active, "item_error": error}
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"“{item.title}” is {'done' if item.done_at else 'open again'}.")
    return back_to_mentorship(request, item.mentorship_id, "action-items")
