"""SMART goals of a mentee (what, measure, target date, one of the program's skills), their progress updates, and
action items (an owner among the participants, a due date, done). Either side of the mentorship may write them."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from mentorship.tenancy.access import fetch_or_404
from mentorship.tenancy.models import Membership
from programs.models import ActionItem, Application, Goal, GoalUpdate, Mentorship, ProgramSkill, Skill
from programs.workspace.access import Participant, mentorship_queryset, participant_of, participants


def _require_participant(mentorship: Mentorship, membership: Membership) -> Participant:
    me = participant_of(mentorship, membership)
    if me is None:
        raise Http404("No such mentorship.")
    if mentorship.status != Mentorship.Status.ACTIVE:
        raise ValidationError("This mentorship has ended: its goals can no longer change.")
    return me


def _program_skill(mentorship: Mentorship, skill: Skill | int | None) -> Skill | None:
    if skill in (None, ""):
        return None
    skill_id = skill.pk if isinstance(skill, Skill) else skill
    link = (
        ProgramSkill.objects.filter(program_id=mentorship.cohort.program_id, skill_id=skill_id)
        .select_related("skill")
        .first()
    )
    if link is None:
        raise ValidationError({"skill": "Choose one of the skills this program grows."})
    return link.skill


def _mentee_of(mentorship: Mentorship, mentee: Application | int | None, me: Participant) -> Application:
    mentees = [p.application for p in participants(mentorship) if not p.is_mentor]
    if mentee in (None, ""):
        if not me.is_mentor:
            return me.application
        if len(mentees) == 1:
            return mentees[0]
        raise ValidationError({"mentee": "Choose whose goal this is."})
    mentee_id = mentee.pk if isinstance(mentee, Application) else mentee
    found = next((a for a in mentees if str(a.pk) == str(mentee_id)), None)
    if found is None or (not me.is_mentor and found.pk != me.application.pk):
        raise ValidationError({"mentee": "Choose a mentee of this mentorship."})
    return found


def access_goal_for_participant(membership: Membership, goal_id) -> tuple[Goal, Participant]:
    goal = fetch_or_404(Goal.objects.select_related("skill"), goal_id, "goal")
    mentorship = fetch_or_404(mentorship_queryset(), goal.mentorship_id, "goal")
    me = participant_of(mentorship, membership)
    if me is None:
        raise Http404("No such goal.")
    goal.mentorship = mentorship
    return goal, me


def access_action_item_for_participant(membership: Membership, item_id) -> tuple[ActionItem, Participant]:
    item = fetch_or_404(ActionItem.objects.all(), item_id, "action item")
    mentorship = fetch_or_404(mentorship_queryset(), item.mentorship_id, "action item")
    me = participant_of(mentorship, membership)
    if me is None:
        raise Http404("No such action item.")
    item.mentorship = mentorship
    return item, me


def goal_create(
    *, mentorship: Mentorship, created_by: Membership, title: str, measure: str = "",
    target_date: date | None = None, skill: Skill | int | None = None, mentee: Application | int | None = None,
) -> Goal:  # fmt: skip
    me = _require_participant(mentorship, created_by)
    goal = Goal(
        mentorship=mentorship, mentee=_mentee_of(mentorship, mentee, me), title=title.strip(),
        measure=measure.strip(), target_date=target_date, skill=_program_skill(mentorship, skill),
        created_by=created_by,
    )  # fmt: skip
    if target_date is not None and target_date < mentorship.cohort.starts_on:
        raise ValidationError({"target_date": "Pick a target date within the cohort."})
    goal.full_clean()
    goal.save()
    return goal


def goal_update(*, goal: Goal, updated_by: Membership, **fields) -> Goal:
    _require_participant(goal.mentorship, updated_by)
    if "skill" in fields:
        fields["skill"] = _program_skill(goal.mentorship, fields["skill"])
    for name in ("title", "measure", "target_date", "skill"):
        if name in fields:
            value = fields[name]
            setattr(goal, name, value.strip() if isinstance(value, str) else value)
    goal.full_clean()
    goal.save()
    return goal


@transaction.atomic
def goal_progress(*, goal: Goal, author: Membership, progress: int, status: str | None = None, note: str = "") -> Goal:
    """Record a progress update; reaching 100 % marks the goal achieved unless another status is given."""
    _require_participant(goal.mentorship, author)
    if status is None:
        status = Goal.Status.ACHIEVED if progress == 100 else Goal.Status.IN_PROGRESS
    if status not in Goal.Status.values:
        raise ValidationError({"status": "Choose a goal status."})
    update = GoalUpdate(goal=goal, author=author, note=note.strip(), progress=progress, status=status)
    update.full_clean(exclude=["goal"])
    goal.progress, goal.status = progress, status
    goal.achieved_at = timezone.now() if status == Goal.Status.ACHIEVED else None
    goal.full_clean()
    goal.save()
    update.save()
    return goal


def action_item_create(
    *, mentorship: Mentorship, created_by: Membership, title: str, owner: Membership | int | None = None,
    due_on: date | None = None, goal: Goal | int | None = None,
) -> ActionItem:  # fmt: skip
    me = _require_participant(mentorship, created_by)
    owner_id = me.membership.pk if owner in (None, "") else (owner.pk if isinstance(owner, Membership) else owner)
    people = {str(p.membership.pk): p.membership for p in participants(mentorship)}
    if str(owner_id) not in people:
        raise ValidationError({"owner": "The owner must be one of the people of this mentorship."})
    goal_row = None
    if goal not in (None, ""):
        goal_id = goal.pk if isinstance(goal, Goal) else goal
        goal_row = Goal.objects.filter(mentorship=mentorship, pk=goal_id).first()
        if goal_row is None:
            raise ValidationError({"goal": "Choose a goal of this mentorship."})
    item = ActionItem(
        mentorship=mentorship, title=title.strip(), owner=people[str(owner_id)], due_on=due_on, goal=goal_row,
        created_by=created_by,
    )  # fmt: skip
    item.full_clean()
    item.save()
    return item


def action_item_set_done(*, item: ActionItem, by: Membership, done: bool) -> ActionItem:
    _require_participant(item.mentorship, by)
    item.done_at = (item.done_at or timezone.now()) if done else None
    item.save(update_fields=["done_at"])
    return item
