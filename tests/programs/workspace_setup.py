"""Builders shared by the workspace tests (tests/programs/test_workspace_*.py, tests/e2e/test_workspace.py): a
running program with skills, an active cohort that started a month ago, and a published mentorship in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from mentorship.tenancy.models import Membership
from programs.models import Cohort, Mentorship, Program, SessionStage, Skill
from programs.workspace.access import Participant, mentorship_queryset, participants
from tests import factories


@dataclass
class Pair:
    tenant: object
    mentorship: Mentorship
    mentor: Membership
    mentees: list[Membership]
    stages: list[SessionStage]
    skills: list[Skill]

    @property
    def mentee(self) -> Membership:
        return self.mentees[0]

    @property
    def cohort(self) -> Cohort:
        return self.mentorship.cohort

    def participant(self, membership: Membership) -> Participant:
        return next(p for p in participants(self.mentorship) if p.membership.pk == membership.pk)

    def reload(self) -> Mentorship:
        with self.tenant.scope():
            self.mentorship = mentorship_queryset().get(pk=self.mentorship.pk)
        return self.mentorship


def running_cohort(tenant, *, skill_names=("Facilitation", "Data literacy"), started_days_ago=30, length_days=180):
    """A running program (default four-stage flow, the given skills with level descriptions) and its active cohort.
    The first program of an organization is called "Build Together", the next ones "Build Together 2", ..."""
    today = timezone.localdate()
    with tenant.scope():
        skills = [
            Skill.objects.get_or_create(
                name=name,
                defaults={
                    "category": "Collaboration",
                    "level_descriptions": [f"{name} level {n}" for n in range(1, 6)],
                },
            )[0]
            for name in skill_names
        ]
        taken = Program.objects.filter(name__startswith="Build Together").count()
        name = "Build Together" if not taken else f"Build Together {taken + 1}"
        program = factories.make_program(name, skills=skills, status=Program.Status.RUNNING)
        starts = today - timedelta(days=started_days_ago)
        cohort = factories.make_cohort(
            program, name="Spring", status=Cohort.Status.ACTIVE, starts_on=starts,
            ends_on=starts + timedelta(days=length_days), enrollment_opens_on=starts - timedelta(days=40),
            enrollment_closes_on=starts - timedelta(days=10),
        )  # fmt: skip
    return cohort, skills


MENTOR_NAME = "Mona Mentor"
MENTEE_NAMES = ("Mia Mentee", "Gus Groupmate", "Tess Third", "Finn Fourth")


def make_workspace_pair(tenant, *, mentees=1, cohort=None, **cohort_options) -> Pair:
    """A published mentorship of a mentor and `mentees` mentees (a group when more than one). The people are
    named MENTOR_NAME and MENTEE_NAMES in order, with emails <first name>@<org slug>.test."""
    if cohort is None:
        cohort, skills = running_cohort(tenant, **cohort_options)
    with tenant.scope():
        skills = [link.skill for link in cohort.program.program_skills.select_related("skill").order_by("skill__name")]
        fmt = Program.Format.GROUP if mentees > 1 else Program.Format.ONE_TO_ONE
        mentorship = factories.make_pair(cohort, mentees=mentees, format=fmt)
        mentorship = mentorship_queryset().get(pk=mentorship.pk)
        for person, name in zip(participants(mentorship), (MENTOR_NAME, *MENTEE_NAMES), strict=False):
            user = person.membership.user
            user.full_name = name
            user.email = f"{name.split()[0].lower()}{mentorship.pk}@{tenant.organization.slug}.test"
            user.save()
            user.emailaddress_set.update(email=user.email)
        mentorship = mentorship_queryset().get(pk=mentorship.pk)
        people = participants(mentorship)
        stages = list(SessionStage.objects.filter(program_id=cohort.program_id).order_by("position"))
    return Pair(tenant, mentorship, people[0].membership, [p.membership for p in people[1:]], stages, skills)


def url(name: str, tenant, **kwargs) -> str:
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def local_input(moment) -> str:
    """A datetime as a datetime-local input sends it, in the member's time zone (UTC in these tests)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def publish_pairs(pair: Pair) -> None:
    """Record the mentorship's pairs as published proposals of a finished match run, as publishing leaves them: the
    re-match service finds a mentee's current pair there."""
    from matching.models import MatchProposal, MatchRun

    with pair.tenant.scope():
        run = factories.make_match_run(pair.cohort, status=MatchRun.Status.DONE, finished_at=timezone.now())
        for link in pair.mentorship.mentees.all():
            factories.make_match_proposal(
                run, mentee=link.mentee, mentor=pair.mentorship.mentor, state=MatchProposal.State.PUBLISHED
            )
