"""The participant's pages: "My mentorships" (every mentorship the member is in) and "My mentorship" (one of them:
people, stage flow and progress, next and upcoming sessions, goals, action items, what is due, the timeline).

Both run a constant number of queries whatever the number of mentorships, sessions, goals or people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q
from django.shortcuts import render
from django.utils import timezone

from programs.models import Goal, MentoringSession, Mentorship
from programs.views.workspace_common import member_time_zone
from programs.workspace.access import Participant, access_mentorship_for_participant, participants
from programs.workspace.selectors import my_mentorship_list, workspace_for

OPEN_GOAL_STATUSES = (Goal.Status.NOT_STARTED, Goal.Status.IN_PROGRESS)


@dataclass
class MentorshipRow:
    mentorship: Mentorship
    me: Participant
    others: list[Participant]
    held: int
    next_at: datetime | None


def _session_summaries(mentorship_ids: list[int]) -> dict[int, dict]:
    """Held sessions and the next scheduled one per mentorship, in one query."""
    rows = (
        MentoringSession.objects.filter(mentorship_id__in=mentorship_ids)
        .order_by()
        .values("mentorship_id")
        .annotate(
            held=Count("pk", filter=Q(status=MentoringSession.Status.HELD)),
            next_at=Min("starts_at", filter=Q(status=MentoringSession.Status.SCHEDULED, starts_at__gte=timezone.now())),
        )
    )
    return {row["mentorship_id"]: row for row in rows}


@member_time_zone
def my_mentorships(request, org_slug):
    mentorships = my_mentorship_list(membership=request.membership)
    summaries = _session_summaries([m.pk for m in mentorships])
    rows = []
    for mentorship in mentorships:
        people = participants(mentorship)
        me = next(p for p in people if p.membership.pk == request.membership.pk)
        summary = summaries.get(mentorship.pk, {})
        rows.append(
            MentorshipRow(
                mentorship, me, [p for p in people if p is not me], summary.get("held", 0), summary.get("next_at")
            )
        )
    return render(request, "programs/workspace/my_mentorships.html", {"rows": rows})


@member_time_zone
def mentorship_detail(request, org_slug, mentorship_id):
    mentorship, me = access_mentorship_for_participant(request.membership, mentorship_id)
    workspace = workspace_for(mentorship=mentorship, me=me, timeline_page=request.GET.get("page"))
    return render(
        request,
        "programs/workspace/mentorship_detail.html",
        {
            "workspace": workspace,
            "mentorship": mentorship,
            "program": mentorship.cohort.program,
            "me": me,
            "active": mentorship.status == Mentorship.Status.ACTIVE,
            "is_group": len(workspace.people) > 2,
            "open_goals": [goal for goal in workspace.goals if goal.status in OPEN_GOAL_STATUSES],
            "closed_goals": [goal for goal in workspace.goals if goal.status not in OPEN_GOAL_STATUSES],
            "held_count": len(workspace.held),
        },
    )
