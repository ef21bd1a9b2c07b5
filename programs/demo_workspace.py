"""Demo workspace history (issue step 4) on top of the demo programs (programs.demo) and matches (matching.demo):
months of sessions, attendance, notes, feedback, goals, action items, assessments and pulse surveys, so that the
workspace and the HR dashboards look alive. Every date is relative to today.

* Acme gets two more 1:1 programs, matched and published by the real services (a match run and its publication,
  without emails): *Cross-Team Mentoring*, running, whose cohort started about five months ago (42 accepted mentees
  with member@acme.example among them, 20 mentors), and *Skills Exchange*, completed, whose cohort ended about two
  months ago (26 mentees, 14 mentors; baseline and final assessments, start and end pulses). Sales and Finance take
  part less than the other departments (so the department gap shows), every department takes part.
* Acme's *Leaders of Tomorrow* groups and a small *Trial round* of Globex's pilot (three pairs) get a history too.
* Per mentorship a profile (steady, keen, late start, slowing or lapsing: no session for two months or more) sets
  the rhythm around the program's cadence; sessions move through the program's stages, some are cancelled, some
  are scheduled ahead, some are still waiting to be logged or confirmed. Texts come from programs.demo_texts and
  follow the mentee's wanted skills and the stage.

Deterministic (random generators seeded from SEED) and idempotent: a program is created once (by name), a cohort
is matched once (while it has no run) and its history is written once (while it has no session). Rows are inserted
in bulk inside the organization's scope and carry the times they would have been written at.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import models, transaction
from django.utils import timezone

from mentorship.tenancy.demo import ACME, GLOBEX
from mentorship.tenancy.models import Membership, Organization
from mentorship.tenancy.scope import tenant_scope
from programs import demo_texts as texts
from programs import services
from programs.demo import _admin, _applications, _cohort, _move, _program
from programs.models import (
    ActionItem,
    Application,
    ApplicationSkill,
    CapabilityAssessment,
    Cohort,
    Goal,
    GoalUpdate,
    MentoringSession,
    Mentorship,
    PrivateNote,
    Program,
    ProgramSkill,
    ProgramTarget,
    PulseSurvey,
    SessionAttendance,
    SessionFeedback,
    SessionStage,
    Skill,
)
from programs.workspace.access import Participant, mentorship_queryset, participants
from programs.workspace.assessments import final_window_opens, midpoint

SEED = 2026
CROSS_TEAM = "Cross-Team Mentoring"
SKILLS_EXCHANGE = "Skills Exchange"
LEADERS = "Leaders of Tomorrow"
GLOBEX_PILOT = "Globex Mentoring Pilot"
SHOWCASE_EMAIL = "member@acme.example"  # the plain member's demo login: a mentee with a full, healthy history
# Relative weight of each department when people are drawn (1 when not listed): the department gap of the dashboards.
DEPARTMENT_WEIGHTS = {"Sales": 0.35, "Finance": 0.25, "Marketing": 0.8, "People": 0.7}
# Rank of each demo job title in its department's ladder: 0 the head, 1 managers, 2 and 3 individual contributors.
TITLE_RANKS = {title: rank for spec in (ACME, GLOBEX) for titles in spec.departments.values()
               for rank, title in enumerate(titles)}  # fmt: skip
ROOMS = ("meeting room Atlas", "the fourth-floor kitchen", "meeting room Aurora", "the café downstairs")

Status = MentoringSession.Status
Confirmation = MentoringSession.Confirmation
Phase = CapabilityAssessment.Phase
Rater = CapabilityAssessment.Rater


def _rng(*parts: str) -> random.Random:
    """A generator of its own per step (string seeds are stable across processes), so one step skipped on a re-run
    does not change what the others write."""
    return random.Random(":".join([str(SEED), *parts]))


def seed_workspace() -> list[Cohort]:
    """Create the demo's workspace programs and histories that are missing; returns the cohorts given a history."""
    written = []
    for slug, cohorts_of in (("acme", _acme_cohorts), ("globex", _globex_cohorts)):
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            continue
        with tenant_scope(organization):
            for cohort in cohorts_of(organization):
                if _write_history(cohort):
                    written.append(cohort)
    return written


# --- Programs, people and matching ---


def _acme_cohorts(organization: Organization) -> list[Cohort]:
    leaders = _active_cohort(LEADERS)
    if leaders is None:  # the programs demo did not run here
        return []
    admin = _admin("programs@acme.example")
    if not Program.objects.filter(name=SKILLS_EXCHANGE).exists():
        with transaction.atomic():
            _create_skills_exchange(admin, _rng(organization.slug, SKILLS_EXCHANGE))
    if not Program.objects.filter(name=CROSS_TEAM).exists():
        with transaction.atomic():
            _create_cross_team(admin, _rng(organization.slug, CROSS_TEAM))
    # The first cohort of each is the demo's (an admin may have added more in a development database).
    exchange = Cohort.objects.select_related("program").filter(program__name=SKILLS_EXCHANGE).order_by("pk").first()
    cross_team = Cohort.objects.select_related("program").filter(program__name=CROSS_TEAM).order_by("pk").first()
    for cohort in (exchange, cross_team):
        _publish_once(cohort, admin)
    _close_if_over(exchange)
    return [leaders, exchange, cross_team]


def _globex_cohorts(organization: Organization) -> list[Cohort]:
    program = Program.objects.filter(name=GLOBEX_PILOT).first()
    if program is None:
        return []
    admin = _admin("admin@globex.example")
    cohort = Cohort.objects.select_related("program").filter(program=program, name="Trial round").first()
    if cohort is None:
        with transaction.atomic():
            cohort = _create_globex_trial(program, admin, _rng(organization.slug, "trial"))
    _publish_once(cohort, admin)
    return [Cohort.objects.select_related("program").get(pk=cohort.pk)]


def _active_cohort(program_name: str) -> Cohort | None:
    return (
        Cohort.objects.select_related("program")
        .filter(program__name=program_name, status=Cohort.Status.ACTIVE)
        .order_by("-starts_on")
        .first()
    )


def _unenrolled(*, senior: bool) -> list[Membership]:
    """Plain members (no admin roles) of this organization without an application yet, by seniority: senior means
    the first three titles of their department's ladder (heads, managers, senior individual contributors)."""
    taken = Application.objects.values("membership_id")
    people = list(
        Membership.objects.filter(is_active=True, roles=[])
        .exclude(pk__in=taken)
        .exclude(user__email=SHOWCASE_EMAIL)
        .select_related("department")
        .order_by("pk")
    )
    return [p for p in people if (TITLE_RANKS.get(p.job_title, 3) <= 2) == senior]


def _weighted(people: list[Membership], count: int, rng: random.Random) -> list[Membership]:
    """`count` people: one from every department first, then department by department in proportion to
    DEPARTMENT_WEIGHTS."""
    queues: dict[str, list[Membership]] = {}
    for person in rng.sample(people, len(people)):
        queues.setdefault(person.department.name if person.department else "", []).append(person)
    chosen = [queue.pop() for _name, queue in sorted(queues.items()) if queue][:count]
    while len(chosen) < count:
        names = [name for name, queue in sorted(queues.items()) if queue]
        if not names:
            break
        name = rng.choices(names, weights=[DEPARTMENT_WEIGHTS.get(name, 1.0) for name in names])[0]
        chosen.append(queues[name].pop())
    return chosen


def _enroll(
    cohort: Cohort, mentors: list[Membership], mentees: list[Membership], statuses: dict, capacities: tuple[int, ...],
    admin: Membership, rng: random.Random, skills: list[Skill] | None = None,
) -> None:  # fmt: skip
    """Applications as programs.demo writes them (on `skills`, by default the program's), then dated inside the
    enrollment window (submitted, decided a few days after it closed) and with the given mentor capacities in turn."""
    skills = skills or _skills_of(cohort.program)
    applications = _applications(cohort, skills, mentors, mentees, statuses, admin, rng)
    opens, closes = cohort.enrollment_opens_on, cohort.enrollment_closes_on
    mentor_index = 0
    for application in applications:
        application.submitted_at = _at(opens + timedelta(days=rng.randint(0, (closes - opens).days)), "UTC", rng)
        if application.decided_at is not None:
            application.decided_at = _at(closes + timedelta(days=rng.randint(0, 2)), "UTC", rng)
        if application.role == Application.Role.MENTOR:
            application.capacity = capacities[mentor_index % len(capacities)]
            mentor_index += 1
    Application.objects.bulk_update(applications, ["submitted_at", "decided_at", "capacity"])


def _skills_of(program: Program) -> list[Skill]:
    return [link.skill for link in ProgramSkill.objects.filter(program=program).select_related("skill").order_by("pk")]


def _skills(*names: str) -> list[Skill]:
    found = {skill.name: skill for skill in Skill.objects.filter(name__in=names)}
    return [found[name] for name in names if name in found]


def _named_cohort(program: Program, start_offset: int, capacity: int) -> Cohort:
    starts_on = timezone.localdate() + timedelta(days=start_offset)
    return _cohort(program, f"{starts_on:%B %Y} cohort", start_offset, Cohort.Status.MATCHING, capacity)


def _create_skills_exchange(admin: Membership, rng: random.Random) -> None:
    T, S = ProgramTarget.Metric, Application.Status
    program = _program(
        admin,
        _skills("Technical writing", "Financial acumen", "Negotiation", "Product discovery"),
        targets=[(T.CAPABILITY_GROWTH, 0, 1), (T.SATISFACTION, Decimal("3.8"), Decimal("4.3"))],
        name=SKILLS_EXCHANGE,
        theme_tag="#SkillsExchange",
        description="Six months of 1:1 mentoring on one craft skill: someone who is good at it teaches someone from "
        "another team who wants to be.",
        objectives=[Program.Objective.UPSKILLING, Program.Objective.RETENTION],
        mentor_expectations="One session a month; rate your mentee at the start and at the end.",
        mentee_expectations="Set a goal in the first session and log every session.",
        ratio=2,
        cross_functional=Program.CrossFunctional.PREFERRED,
    )
    cohort = _named_cohort(program, -60 - 182, capacity=28)
    _move(program, Program.Status.OPEN, Program.Status.RUNNING)
    mentors = _weighted(_unenrolled(senior=True), 14, rng)
    mentees = _weighted(_unenrolled(senior=False), 28, rng)
    statuses = {
        Application.Role.MENTOR: [S.ACCEPTED] * 14,
        Application.Role.MENTEE: [S.ACCEPTED] * 26 + [S.DECLINED] * 2,
    }
    _enroll(cohort, mentors, mentees, statuses, (2,), admin, rng)


def _create_cross_team(admin: Membership, rng: random.Random) -> None:
    T, S = ProgramTarget.Metric, Application.Status
    program = _program(
        admin,
        _skills("Data literacy", "Systems thinking", "Stakeholder management", "Public speaking", "Customer empathy"),
        targets=[(T.ATTENDANCE_RATE, 70, 85), (T.CROSS_DEPARTMENT_SHARE, 60, 100), (T.SATISFACTION, 4, Decimal("4.5"))],
        name=CROSS_TEAM,
        theme_tag="#OneAcme",
        description="1:1 mentoring across departments: each pair spans two teams, meets monthly and works on the "
        "capabilities that make cross-team work go well.",
        objectives=[Program.Objective.COLLABORATION, Program.Objective.UPSKILLING],
        participation_criteria="Everyone at Acme after their probation period.",
        mentor_expectations="An hour a month with each mentee; baseline, midpoint and final ratings.",
        mentee_expectations="Own the agenda, log each session and give feedback afterwards.",
        ratio=3,
        cross_functional=Program.CrossFunctional.REQUIRED,
    )
    cohort = _named_cohort(program, -150, capacity=44)
    _move(program, Program.Status.OPEN, Program.Status.RUNNING)
    # Some of the Skills Exchange mentors come back for another round.
    returning = list(
        Membership.objects.filter(
            applications__cohort__program__name=SKILLS_EXCHANGE, applications__role=Application.Role.MENTOR
        ).order_by("pk")
    )
    mentors = rng.sample(returning, min(4, len(returning))) + _weighted(_unenrolled(senior=True), 16, rng)
    showcase = Membership.objects.get(user__email=SHOWCASE_EMAIL)
    mentees = [showcase, *_weighted(_unenrolled(senior=False), 46, rng)]
    statuses = {
        Application.Role.MENTOR: [S.ACCEPTED] * 20,
        Application.Role.MENTEE: [S.ACCEPTED] * 42 + [S.WAITLISTED] * 3 + [S.DECLINED] * 2,
    }
    _enroll(cohort, mentors, mentees, statuses, (3, 2, 2), admin, rng)


def _create_globex_trial(program: Program, admin: Membership, rng: random.Random) -> Cohort:
    """The pilot's first, small round (its enrolling cohort is the next one): Research mentors Operations."""
    starts_on = timezone.localdate() - timedelta(days=100)
    cohort = services.cohort_create(
        program=program, name="Trial round", starts_on=starts_on, ends_on=starts_on + timedelta(days=182),
        enrollment_opens_on=starts_on - timedelta(days=30), enrollment_closes_on=starts_on - timedelta(days=4),
        capacity=3, status=Cohort.Status.MATCHING,
    )  # fmt: skip
    seniors, others = _unenrolled(senior=True), _unenrolled(senior=False)

    def department(person: Membership) -> str:
        return person.department.name if person.department else ""

    # Research first, then any department but Operations (where the mentees work).
    mentors = sorted((p for p in seniors if department(p) != "Operations"), key=lambda p: department(p) != "Research")
    mentors = mentors[:3]
    mentees = [p for p in others if department(p) == "Operations"][:3]
    S = Application.Status
    statuses = {Application.Role.MENTOR: [S.ACCEPTED] * 3, Application.Role.MENTEE: [S.ACCEPTED] * 3}
    # The skills both departments work on, so that every mentee finds a mentor who offers what they want.
    shared = _skills("Process improvement", "Lab safety leadership", "Coaching")
    _enroll(cohort, mentors, mentees, statuses, (1,), admin, rng, skills=shared)
    return cohort


def _publish_once(cohort: Cohort, admin: Membership) -> None:
    from matching.demo import publish_demo_run  # matching builds on programs, not the other way round
    from matching.models import MatchRun

    if not MatchRun.objects.filter(cohort=cohort).exists():
        publish_demo_run(cohort=cohort, admin=admin)


def _close_if_over(cohort: Cohort) -> None:
    """A cohort whose end date has passed: closed, its mentorships ended, its program completed."""
    cohort.refresh_from_db()
    if cohort.ends_on >= timezone.localdate() or cohort.status == Cohort.Status.CLOSED:
        return
    with transaction.atomic():
        services.cohort_update(cohort=cohort, status=Cohort.Status.CLOSED)
        Mentorship.objects.filter(cohort=cohort).update(status=Mentorship.Status.ENDED)
        if cohort.program.status == Program.Status.RUNNING:
            _move(cohort.program, Program.Status.COMPLETED)


# --- History ---


def _write_history(cohort: Cohort) -> bool:
    if MentoringSession.objects.filter(mentorship__cohort=cohort).exists():
        return False
    mentorships = list(mentorship_queryset().filter(cohort=cohort).order_by("pk"))
    if not mentorships:
        return False
    history = _History(cohort)
    for mentorship in mentorships:
        history.add(mentorship)
    with transaction.atomic():
        history.save()
    return True


def _at(day: date, tz: str, rng: random.Random) -> datetime:
    """A plausible meeting time on `day` in the time zone `tz`."""
    return datetime.combine(day, time(rng.choice((9, 10, 11, 13, 14, 15, 16)), rng.choice((0, 30))), ZoneInfo(tz))


def _weekday(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def _first(membership: Membership) -> str:
    return (membership.user.full_name or membership.user.email).split()[0]


def _lower(name: str) -> str:
    """A skill name inside a sentence: "data literacy", but "UX research"."""
    return name if name[1:2].isupper() else name[:1].lower() + name[1:]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


@contextlib.contextmanager
def _historic_timestamps(*model_classes: type[models.Model]):
    """Let bulk_create keep the `created_at`/`updated_at` values the rows carry: the demo writes history, and
    auto_now(_add) would stamp every row with this minute. Only for this process's seeding, restored after."""
    changed = [
        (f, f.auto_now, f.auto_now_add)
        for model in model_classes
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    for f, _now, _add in changed:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in changed:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@dataclass
class _Pair:
    mentorship: Mentorship
    mentor: Participant
    mentees: list[Participant]
    wants: dict[int, list[Skill]]  # mentee application id -> the program skills they want, most wanted first
    profile: str
    mood: float  # how well the pair gets on: shifts their ratings
    showcase: bool
    duration: int
    location: str
    goals: dict[int, list[Goal]] = field(default_factory=dict)  # mentee application id -> goals
    last_text: dict[str, str] = field(default_factory=dict)  # kind -> the template used last, not to repeat it

    @property
    def people(self) -> list[Participant]:
        return [self.mentor, *self.mentees]


@dataclass
class _Planned:
    day: date
    status: str
    stage: SessionStage | None = None


class _History:
    """One cohort's history, built in memory and inserted in one bulk statement per model."""

    def __init__(self, cohort: Cohort):
        self.cohort, self.program = cohort, cohort.program
        self.today, self.now = timezone.localdate(), timezone.now()
        self.ended = cohort.ends_on < self.today
        self.age = (self.today - cohort.starts_on).days
        self.org_id = cohort.organization_id
        self.slug = Organization.objects.values_list("slug", flat=True).get(pk=self.org_id)
        self.rng = _rng(self.slug, self.program.name, "history")
        self.stages = list(SessionStage.objects.filter(program=self.program).order_by("position"))
        self.skills = _skills_of(self.program)
        self.wanted: dict[int, list[ApplicationSkill]] = {}
        for row in (
            ApplicationSkill.objects.filter(application__cohort=cohort, application__role=Application.Role.MENTEE)
            .select_related("skill")
            .order_by("application_id", "pk")
        ):
            self.wanted.setdefault(row.application_id, []).append(row)
        self.sessions: list[MentoringSession] = []
        self.attendance: list[SessionAttendance] = []
        self.notes: list[PrivateNote] = []
        self.feedback: list[SessionFeedback] = []
        self.goals: list[Goal] = []
        self.goal_updates: list[GoalUpdate] = []
        self.actions: list[ActionItem] = []
        self.assessments: list[CapabilityAssessment] = []
        self.pulses: dict[tuple[int, str], PulseSurvey] = {}

    # -- per mentorship --

    def add(self, mentorship: Mentorship) -> None:
        pair = self._pair(mentorship)
        plan = self._plan(pair)
        held = [p for p in plan if p.status == Status.HELD]
        self._stages(pair, plan, held)
        self._goals(pair, held)
        rows = [self._session(pair, planned) for planned in plan]
        held_rows = [s for s in rows if s.status == Status.HELD]
        for number, session in enumerate(held_rows):
            self._held_details(pair, session, first=number == 0, last=number == len(held_rows) - 1)
        self._goal_progress(pair, held_rows)
        for person in pair.mentees:
            self._assess(pair, person)
        for person in pair.people:
            self._pulse(pair, person)

    def _pair(self, mentorship: Mentorship) -> _Pair:
        rng = self.rng
        people = participants(mentorship)
        mentor, mentees = people[0], people[1:]
        showcase = any(p.membership.user.email == SHOWCASE_EMAIL for p in people)
        if showcase:
            profile = "keen"
        elif self.ended:
            profile = rng.choices(("steady", "keen", "lapsing", "late"), (65, 15, 12, 8))[0]
        elif self.age >= 100:
            profile = rng.choices(("steady", "keen", "lapsing", "late"), (60, 15, 13, 12))[0]
        else:
            profile = rng.choices(("steady", "keen", "slow"), (60, 15, 25))[0]
        mood = rng.gauss(0, 0.3) - (0.5 if profile == "lapsing" else 0) + (0.3 if showcase else 0)
        program_skill_ids = {s.pk for s in self.skills}
        wants = {}
        for mentee in mentees:  # the widest gap between current and target level first
            rows = sorted(self.wanted.get(mentee.application.pk, []), key=lambda r: -((r.target_level or 0) - r.level))
            wants[mentee.application.pk] = [r.skill for r in rows if r.skill_id in program_skill_ids]
        group = len(mentees) > 1
        duration = rng.choice((75, 90, 90)) if group else rng.choice((30, 45, 45, 60, 60, 60, 90))
        same_city = all(p.membership.location == mentor.membership.location for p in mentees)
        if same_city and mentor.membership.location and rng.random() < 0.5:
            location = f"{mentor.membership.location} office, {rng.choice(ROOMS)}"
        else:
            location = f"https://meet.{self.slug}.example/{mentor.membership.user.email.split('@')[0]}"
        return _Pair(mentorship, mentor, mentees, wants, profile, mood, showcase, duration, location)

    def _plan(self, pair: _Pair) -> list[_Planned]:
        """The session dates and what became of each, from the pair's profile and the program's cadence."""
        rng, cohort, today = self.rng, self.cohort, self.today
        gap = 30.4 / self.program.cadence_per_month
        step = gap * {"keen": 0.7, "slow": 1.6}.get(pair.profile, 1.0)
        day = cohort.starts_on + timedelta(
            days=rng.randint(3, 12) + (rng.randint(20, 35) if pair.profile == "late" else 0)
        )
        horizon = min(cohort.ends_on, today + timedelta(days=30))
        stop = None
        if pair.profile == "lapsing":
            if self.ended:
                stop = cohort.starts_on + (cohort.ends_on - cohort.starts_on) * rng.uniform(0.3, 0.55)
            else:
                stop = today - timedelta(days=rng.randint(62, 100))
        days: list[date] = []
        while _weekday(day) <= horizon and (stop is None or day <= stop or not days):
            days.append(_weekday(day))
            day += timedelta(days=max(7, round(step * rng.uniform(0.8, 1.25))))
        plan: list[_Planned] = []
        upcoming = 0
        for index, day in enumerate(days):
            if day <= today:
                if day == today:
                    continue
                recent = (today - day).days <= 8
                if recent and not self.ended and not pair.showcase and rng.random() < 0.3:
                    plan.append(_Planned(day, Status.SCHEDULED))  # held, perhaps, but nobody logged it yet
                elif rng.random() < 0.07 and not (pair.showcase and index == len(days) - 1):
                    plan.append(_Planned(day, Status.CANCELLED))
                    again = _weekday(day + timedelta(days=rng.randint(5, 9)))
                    following = days[index + 1] if index + 1 < len(days) else None
                    if (
                        again < today
                        and again <= cohort.ends_on
                        and (following is None or (following - again).days >= 7)
                    ):
                        plan.append(_Planned(again, Status.HELD))
                else:
                    plan.append(_Planned(day, Status.HELD))
            elif not self.ended and pair.profile != "lapsing":
                wanted = 1 if pair.showcase else (0.85 if upcoming == 0 else 0.3 if pair.profile == "keen" else 0)
                if upcoming < 2 and rng.random() < wanted:
                    plan.append(_Planned(day, Status.SCHEDULED))
                    upcoming += 1
        if stop is not None and not self.ended and rng.random() < 0.5:
            tried = _weekday(days[-1] + timedelta(days=round(gap)))
            if tried < today:
                plan.append(_Planned(tried, Status.CANCELLED))  # they tried once more, then lapsed
        plan.sort(key=lambda p: p.day)
        if pair.showcase:
            self._showcase_recent(plan)
            plan.sort(key=lambda p: p.day)
        return plan

    def _showcase_recent(self, plan: list[_Planned]) -> None:
        """The demo member's last held session was about ten days ago (to confirm, feedback due) and the next one
        is next week."""
        past = [p for p in plan if p.day < self.today]
        if past:
            past[-1].day, past[-1].status = _weekday(self.today - timedelta(days=10)), Status.HELD
            if len(past) > 1 and (past[-1].day - past[-2].day).days < 14:
                plan.remove(past[-2])
        future = [p for p in plan if p.day > self.today]
        if future:
            future[0].day = _weekday(self.today + timedelta(days=6))
        else:
            plan.append(_Planned(_weekday(self.today + timedelta(days=6)), Status.SCHEDULED))

    def _date_stage(self, day: date, previous: int) -> int:
        """The stage by how far into the cohort `day` is, never back and never skipping one."""
        share = (day - self.cohort.starts_on).days / max(1, (self.cohort.ends_on - self.cohort.starts_on).days)
        by_date = 1 if share < 0.15 else 2 if share < 0.4 else 3 if share < 0.8 else 4
        return max(previous, min(by_date, previous + 1))

    def _stages(self, pair: _Pair, plan: list[_Planned], held: list[_Planned]) -> None:
        if not self.stages:
            return
        count = len(self.stages)
        complete = self.ended and pair.profile != "lapsing" and len(held) >= count
        current = held_so_far = 0
        for planned in plan:
            if planned.status == Status.HELD and complete:
                current = position = 1 + (count * held_so_far) // len(held)  # the whole flow, evenly
                held_so_far += 1
            else:
                position = min(count, self._date_stage(planned.day, current))
                if planned.status == Status.HELD:
                    current = position
            planned.stage = self.stages[max(1, position) - 1]

    def _context(self, pair: _Pair, mentee: Participant, skill: Skill | None) -> dict[str, str]:
        rng = self.rng
        mentor_dept = pair.mentor.membership.department.name if pair.mentor.membership.department else "my team"
        mentee_dept = mentee.membership.department.name if mentee.membership.department else "their team"
        base = {
            "mentor": _first(pair.mentor.membership), "mentee": _first(mentee.membership), "mentor_dept": mentor_dept,
            "mentee_dept": mentee_dept, "mentor_habit": texts.DEPARTMENT_HABITS.get(mentor_dept, texts.DEFAULT_HABIT),
            "mentee_habit": texts.DEPARTMENT_HABITS.get(mentee_dept, texts.DEFAULT_HABIT),
            "cadence": texts.CADENCES.get(self.program.cadence_per_month, "regularly"),
        }  # fmt: skip
        name = skill.name if skill else (self.skills[0].name if self.skills else "the goals")
        words = texts.SKILLS.get(name) or texts.generic_skill(name)
        focus = [_lower(s.name) for s in pair.wants.get(mentee.application.pk, [])[:2]] or [_lower(name)]
        return {
            **base,
            "skill": _lower(name),
            "focus": " and ".join(focus),
            "practice": self._vary(pair, f"practice {name}", words.practices).format(**base),
            "growth": rng.choice(words.growth),
            "strength": rng.choice(texts.STRENGTHS),
            "achievement": rng.choice(words.achievement),
            "goal": _lower(words.goal[0]),
            "mentor_hope": rng.choice(texts.MENTOR_HOPES).format(**base),
            "evidence": rng.choice(words.evidence),
        }

    def _vary(self, pair: _Pair, kind: str, templates: tuple[str, ...]) -> str:
        """One of `templates`, not the one this pair used last for `kind` (so consecutive sessions read differently)."""
        fresh = [t for t in templates if t != pair.last_text.get(kind)] or list(templates)
        pair.last_text[kind] = choice = self.rng.choice(fresh)
        return choice

    def _focus(self, pair: _Pair, mentee: Participant) -> Skill | None:
        wanted = pair.wants.get(mentee.application.pk) or self.skills
        return self.rng.choice(wanted[:2]) if wanted else None

    def _session(self, pair: _Pair, planned: _Planned) -> MentoringSession:
        rng = self.rng
        starts_at = _at(planned.day, pair.mentor.application.time_zone, rng)
        duration = max(30, min(90, pair.duration + rng.choice((-15, 0, 0, 0, 15))))
        planner = rng.choice(pair.people).membership
        scheduled_at = min(
            starts_at - timedelta(days=rng.randint(5, 21)), self.now - timedelta(hours=rng.randint(2, 72))
        )
        session = MentoringSession(
            organization_id=self.org_id, mentorship=pair.mentorship, status=planned.status, starts_at=starts_at,
            duration_minutes=duration, location=pair.location, stage=planned.stage, scheduled_by=planner,
            created_at=scheduled_at, updated_at=scheduled_at,
        )  # fmt: skip
        if planned.status == Status.CANCELLED:
            session.updated_at = min(self.now, starts_at - timedelta(hours=rng.randint(3, 48)))
        self.sessions.append(session)
        return session

    def _held_details(self, pair: _Pair, session: MentoringSession, *, first: bool, last: bool) -> None:
        """Topics, notes, reflections, who logged and confirmed it, attendance, feedback, private notes and the
        action items agreed in it."""
        rng, now = self.rng, self.now
        group = len(pair.mentees) > 1
        hot_seat = rng.choice(pair.mentees)
        skill = self._focus(pair, hot_seat)
        goal = next(
            (g for g in pair.goals.get(hot_seat.application.pk, []) if g.skill_id == getattr(skill, "pk", 0)), None
        )
        words = self._context(pair, hot_seat, skill)
        if goal is not None:
            words["goal"] = _lower(goal.title)
        position = session.stage.position if session.stage else 1
        session.topics = self._vary(pair, "topic", texts.TOPICS.get(position, texts.TOPICS[4])).format(**words)[:300]
        if rng.random() < 0.88 or pair.showcase:
            opener = texts.GROUP_OPENER.format(**words) if group else ""
            note = self._vary(pair, "note", texts.NOTES.get(position, texts.NOTES[4]))
            session.shared_notes = opener + note.format(**words)
        prompts = list(session.stage.reflection_prompts) if session.stage else []
        if prompts and position in texts.REFLECTIONS and rng.random() < 0.4:
            session.reflection_answers = [
                {"prompt": prompt, "answer": _cap(answer.format(**words))}
                for prompt, answer in zip(prompts, texts.REFLECTIONS[position], strict=False)
            ]
        ends_at = session.starts_at + timedelta(minutes=session.duration_minutes)
        # Attendance: everybody in a 1:1; in a group the mentor nearly always, each mentee mostly.
        attended = {pair.mentor.membership.pk: not group or rng.random() < 0.97}
        for mentee in pair.mentees:
            attended[mentee.membership.pk] = not group or mentee is hot_seat or rng.random() < 0.85
        if not attended[pair.mentor.membership.pk] and not any(attended[m.membership.pk] for m in pair.mentees):
            attended[pair.mentor.membership.pk] = True
        present = [p for p in pair.people if attended[p.membership.pk]]
        # Logged by one side, confirmed (or corrected) by the other, mostly; the last fortnight is often one-sided.
        if pair.showcase and last:
            logger = pair.mentor
        elif group:
            logger = pair.mentor if attended[pair.mentor.membership.pk] and rng.random() < 0.7 else hot_seat
        else:
            logger = pair.mentees[0] if rng.random() < 0.55 else pair.mentor
        session.logged_by = logger.membership
        session.logged_at = min(now, ends_at + timedelta(hours=rng.randint(1, 72)))
        recent = (now - session.starts_at).days <= 14
        others = [p for p in present if p.is_mentor != logger.is_mentor] or [
            p for p in pair.people if p.is_mentor != logger.is_mentor
        ]
        roll = rng.random()
        if pair.showcase:
            confirmation = Confirmation.ONE_SIDED if last else Confirmation.CONFIRMED
        elif recent:
            confirmation = Confirmation.ONE_SIDED if roll < 0.5 else Confirmation.CONFIRMED
        else:
            confirmation = Confirmation.CONFIRMED if roll < 0.86 else Confirmation.CORRECTED if roll < 0.9 else None
            confirmation = confirmation or Confirmation.ONE_SIDED
        session.confirmation = confirmation
        session.updated_at = session.logged_at
        if confirmation != Confirmation.ONE_SIDED:
            session.confirmed_by = rng.choice(others).membership
            session.confirmed_at = min(now, session.logged_at + timedelta(hours=rng.randint(2, 96)))
            session.updated_at = session.confirmed_at
        if rng.random() < 0.35:
            session.scheduled_by, session.created_at = None, session.logged_at  # logged after the fact
        for person in pair.people:
            self.attendance.append(
                SessionAttendance(
                    organization_id=self.org_id, session=session, membership=person.membership,
                    role=person.role, attended=attended[person.membership.pk],
                )
            )  # fmt: skip
        for person in present:
            self._feedback(pair, session, person, words, first=first, last=last)
            self._private_note(pair, session, person, words, bookend=first or last)
        if not (self.ended and last):
            self._action_items(pair, session, hot_seat, words, goal, last=last)

    def _feedback(self, pair: _Pair, session: MentoringSession, person: Participant, words: dict, *, first, last):
        rng = self.rng
        days_ago = (self.now - session.starts_at).days
        if pair.showcase and person.role == Application.Role.MENTEE:
            chance = 0.0 if last else 1.0
        else:
            chance = (0.7 if person.is_mentor else 0.88) if days_ago > 6 else 0.35
        if rng.random() >= chance:
            return
        rating = max(2, min(5, round(4.45 + pair.mood + rng.gauss(0, 0.55))))
        comments = (texts.FEEDBACK_MENTOR if person.is_mentor else texts.FEEDBACK_MENTEE)[rating]
        comment = rng.choice(comments).format(**words) if rng.random() < 0.45 else ""
        fit = ""
        if first and rng.random() < 0.9:
            doubtful = pair.profile in ("lapsing", "late") and rating <= 4 and rng.random() < 0.5
            fit = SessionFeedback.PairingFit.UNSURE if doubtful else SessionFeedback.PairingFit.GOOD
        ends_at = session.starts_at + timedelta(minutes=session.duration_minutes)
        given = min(self.now, ends_at + timedelta(hours=rng.randint(1, 60)))
        self.feedback.append(
            SessionFeedback(
                organization_id=self.org_id, session=session, author=person.membership, rating=rating,
                comment=comment, pairing_fit=fit, created_at=given,
            )
        )  # fmt: skip

    def _private_note(self, pair: _Pair, session: MentoringSession, person: Participant, words: dict, *, bookend):
        """Now and then a participant's own note; the demo member has one on their first and last sessions."""
        rng = self.rng
        if pair.showcase and not person.is_mentor:
            chance = 1.0 if bookend else 0.4
        else:
            chance = 0.15 if person.is_mentor else 0.12
        if rng.random() >= chance:
            return
        pool = texts.PRIVATE_NOTES_MENTOR if person.is_mentor else texts.PRIVATE_NOTES_MENTEE
        template = self._vary(pair, f"private note {person.membership.pk}", pool)
        text = (
            template.format(**words)
            if person.is_mentor
            else template.format(**{**words, "mentee": _first(person.membership)})
        )
        written = min(self.now, session.starts_at + timedelta(minutes=session.duration_minutes + rng.randint(5, 600)))
        self.notes.append(
            PrivateNote(organization_id=self.org_id, session=session, author=person.membership, text=text,
                        created_at=written, updated_at=written)
        )  # fmt: skip

    def _action_items(self, pair: _Pair, session: MentoringSession, mentee: Participant, words: dict, goal, *, last):
        """Now and then one or two things agreed in a session; the demo member's last session always has one."""
        rng = self.rng
        chance = 1.0 if pair.showcase and last else 0.7 if pair.profile == "keen" or pair.showcase else 0.55
        if rng.random() >= chance:
            return
        created = session.starts_at + timedelta(minutes=session.duration_minutes + 10)
        items = [(mentee, _cap(words["practice"]) if rng.random() < 0.8 else rng.choice(texts.MENTEE_ACTIONS), goal)]
        if rng.random() < 0.25:
            items.append((pair.mentor, rng.choice(texts.MENTOR_ACTIONS), None))
        for owner, title, linked in items:
            due_on = session.starts_at.date() + timedelta(days=rng.randint(10, 25))
            done_at = None
            if due_on < self.today - timedelta(days=2) and rng.random() < 0.85:
                done_at = min(self.now, created + timedelta(days=rng.randint(1, (due_on - created.date()).days or 1)))
            self.actions.append(
                ActionItem(
                    organization_id=self.org_id, mentorship=pair.mentorship, goal=linked,
                    title=title.format(**words)[:200], owner=owner.membership, due_on=due_on, done_at=done_at,
                    created_by=session.logged_by, created_at=created,
                )
            )  # fmt: skip

    def _goals(self, pair: _Pair, held: list[_Planned]) -> None:
        """One to three SMART goals per mentee, each on a program skill they want, set in the first sessions."""
        rng, cohort = self.rng, self.cohort
        if not held or not self.skills:
            return
        for mentee in pair.mentees:
            wanted = pair.wants.get(mentee.application.pk, [])
            others = [s for s in self.skills if s not in wanted]
            skills = (wanted + rng.sample(others, len(others)))[: rng.choices((1, 2, 3), (30, 50, 20))[0]]
            pair.goals[mentee.application.pk] = []
            for number, skill in enumerate(skills):
                words = texts.SKILLS.get(skill.name) or texts.generic_skill(skill.name)
                context = self._context(pair, mentee, skill)
                set_on = held[min(number, len(held) - 1)].day + timedelta(days=1)
                created = _at(set_on, mentee.application.time_zone, rng)
                latest = cohort.ends_on - timedelta(days=rng.randint(0, 20))
                target = min(latest, cohort.starts_on + timedelta(days=rng.randint(90, 175)))
                goal = Goal(
                    organization_id=self.org_id, mentorship=pair.mentorship, mentee=mentee.application,
                    title=words.goal[0].format(**context)[:200], measure=words.goal[1].format(**context)[:300],
                    target_date=max(target, set_on), skill=skill,
                    created_by=mentee.membership if rng.random() < 0.7 else pair.mentor.membership,
                    created_at=min(self.now, created), updated_at=min(self.now, created),
                )  # fmt: skip
                self.goals.append(goal)
                pair.goals[mentee.application.pk].append(goal)

    def _goal_progress(self, pair: _Pair, held: list[MentoringSession]) -> None:
        """Progress updates after some sessions; in an ended cohort most goals of the pairs that kept meeting
        were achieved, some were left in progress, a few of the lapsed ones dropped."""
        rng = self.rng
        chance = {"keen": 0.7, "lapsing": 0.4}.get(pair.profile, 0.55)
        for mentee in pair.mentees:
            for number, goal in enumerate(pair.goals.get(mentee.application.pk, [])):
                keep_open = pair.showcase and number == 0  # the demo member's main goal is well under way
                later = [s for s in held if s.starts_at > goal.created_at]
                for index, session in enumerate(later):
                    if goal.status == Goal.Status.ACHIEVED:
                        break
                    if rng.random() < chance or (keep_open and index == 0):
                        step = min(85 if keep_open else 100, goal.progress + rng.randint(10, 25))
                        status = Goal.Status.ACHIEVED if step == 100 else Goal.Status.IN_PROGRESS
                        self._goal_update(pair, goal, mentee, session, step, status)
                if self.ended and later and goal.status != Goal.Status.ACHIEVED:
                    if pair.profile == "lapsing" and rng.random() < 0.3:
                        self._goal_update(pair, goal, mentee, later[-1], goal.progress, Goal.Status.DROPPED)
                    elif pair.profile != "lapsing" and rng.random() < 0.7:
                        self._goal_update(pair, goal, mentee, later[-1], 100, Goal.Status.ACHIEVED)
                elif later and self._done_early(goal, keep_open):
                    self._goal_update(pair, goal, mentee, later[-1], 100, Goal.Status.ACHIEVED)

    def _done_early(self, goal: Goal, keep_open: bool) -> bool:
        """Some goals well under way in a running cohort are reached before its end."""
        if keep_open or goal.status != Goal.Status.IN_PROGRESS or goal.progress < 60:
            return False
        return self.rng.random() < 0.4

    def _goal_update(self, pair, goal: Goal, mentee: Participant, session, progress: int, status: str) -> None:
        rng = self.rng
        words = self._context(pair, mentee, goal.skill)
        if status == Goal.Status.ACHIEVED:
            note = texts.GOAL_ACHIEVED.format(**words)
        elif status == Goal.Status.DROPPED:
            note = texts.GOAL_DROPPED
        else:
            note = rng.choice(texts.GOAL_UPDATES).format(**words)
        at = min(self.now, session.starts_at + timedelta(hours=rng.randint(2, 48)))
        author = mentee.membership if rng.random() < 0.75 else pair.mentor.membership
        self.goal_updates.append(
            GoalUpdate(organization_id=self.org_id, goal=goal, author=author, note=note, progress=progress,
                       status=status, created_at=at)
        )  # fmt: skip
        goal.progress, goal.status, goal.updated_at = progress, status, at
        goal.achieved_at = at if status == Goal.Status.ACHIEVED else None

    def _assess(self, pair: _Pair, mentee: Participant) -> None:
        """Self and mentor ratings on every program skill: baseline at the start, midpoint for some, final in an
        ended cohort. Mentors rate a little lower than mentees rate themselves; growth is 0-2 levels, more on the
        skills the mentee wanted."""
        rng, cohort = self.rng, self.cohort
        wanted = pair.wants.get(mentee.application.pk, [])
        current = {row.skill_id: row.level for row in self.wanted.get(mentee.application.pk, [])}
        lapsed = pair.profile == "lapsing"
        give_baseline = self.ended or rng.random() < (1.0 if pair.showcase else 0.92)
        give_mentor_baseline = self.ended or rng.random() < 0.9
        past_midpoint = self.today >= midpoint(cohort)
        give_midpoint = past_midpoint and (pair.showcase or rng.random() < (0.35 if self.ended else 0.5))
        give_final = self.ended and rng.random() < (0.35 if lapsed else 0.95)
        for skill in self.skills:
            base_self = current.get(skill.pk) or rng.choice((2, 3, 3, 4))
            base_mentor = max(1, min(5, base_self - (rng.random() < 0.35) + (rng.random() < 0.07)))
            growth = rng.choices((0, 1, 2), (20, 55, 25))[0] if skill in wanted else rng.choices((0, 1), (65, 35))[0]
            if lapsed:
                growth = min(growth, 1)
            mid = (growth + 1) // 2
            words = self._context(pair, mentee, skill)
            ratings = []
            if give_baseline:
                ratings.append((Phase.BASELINE, Rater.SELF, base_self))
            if give_mentor_baseline:
                ratings.append((Phase.BASELINE, Rater.MENTOR, base_mentor))
            if give_midpoint:
                ratings += [
                    (Phase.MIDPOINT, Rater.SELF, base_self + mid),
                    (Phase.MIDPOINT, Rater.MENTOR, base_mentor + mid),
                ]
            if give_final:
                mentor_growth = max(0, growth - (rng.random() < 0.3))
                ratings += [
                    (Phase.FINAL, Rater.SELF, base_self + growth),
                    (Phase.FINAL, Rater.MENTOR, base_mentor + mentor_growth),
                ]
            for phase, rater, level in ratings:
                self.assessments.append(
                    self._assessment(pair, mentee, skill, phase, rater, min(5, level), words, wanted, growth > 0)
                )

    def _assessment(self, pair, mentee, skill, phase, rater, level, words, wanted, grew) -> CapabilityAssessment:
        rng, cohort = self.rng, self.cohort
        if phase == Phase.BASELINE:
            day = cohort.starts_on + timedelta(days=rng.randint(3, 21))
            evidence = texts.BASELINE_EVIDENCE.format(**words) if skill in wanted and rng.random() < 0.4 else ""
        elif phase == Phase.MIDPOINT:
            day = midpoint(cohort) + timedelta(days=rng.randint(0, 25))
            day = min(day, final_window_opens(cohort) - timedelta(days=1))
            evidence = texts.MIDPOINT_EVIDENCE.format(**words) if rng.random() < 0.4 else ""
        else:
            day = final_window_opens(cohort) + timedelta(days=rng.randint(0, 25))
            evidence = words["evidence"] if grew and rng.random() < 0.6 else ""
        assessor = pair.mentor if rater == Rater.MENTOR else mentee
        at = min(self.now - timedelta(hours=1), _at(min(day, self.today), assessor.application.time_zone, rng))
        return CapabilityAssessment(
            organization_id=self.org_id, cohort=cohort, mentee=mentee.application, skill=skill, phase=phase,
            rater=rater, assessor=assessor.membership, level=level, evidence=evidence, created_at=at, updated_at=at,
        )  # fmt: skip

    def _pulse(self, pair: _Pair, person: Participant) -> None:
        """The collaboration pulse at the start and, in an ended cohort, at the end: more colleagues in other
        departments by then, a little more trust. Once per application (a mentor of several pairs answers once)."""
        rng, cohort = self.rng, self.cohort
        if (person.application.pk, PulseSurvey.Phase.START) in self.pulses:
            return
        if rng.random() >= (0.97 if self.ended else 0.92) and not pair.showcase:
            return
        colleagues = rng.randint(2, 8) if person.is_mentor else rng.randint(0, 5)
        trust = rng.choice((2, 3, 3, 3, 4))
        start_day = cohort.starts_on + timedelta(days=rng.randint(1, 14))
        self._add_pulse(person, PulseSurvey.Phase.START, colleagues, trust, start_day)
        if self.ended and rng.random() < (0.4 if pair.profile == "lapsing" else 0.88):
            more = rng.randint(0, 2) if pair.profile == "lapsing" else rng.randint(2, 6)
            end_day = final_window_opens(cohort) + timedelta(days=rng.randint(0, 25))
            self._add_pulse(
                person, PulseSurvey.Phase.END, colleagues + more, min(5, trust + rng.choice((0, 1, 1))), end_day
            )

    def _add_pulse(self, person: Participant, phase: str, colleagues: int, trust: int, day: date) -> None:
        at = min(self.now - timedelta(hours=1), _at(min(day, self.today), person.application.time_zone, self.rng))
        self.pulses[(person.application.pk, phase)] = PulseSurvey(
            organization_id=self.org_id, cohort=self.cohort, application=person.application, phase=phase,
            cross_department_colleagues=colleagues, trust_other_departments=trust, created_at=at,
        )  # fmt: skip

    # -- writing --

    def save(self) -> None:
        """Insert everything; the cohort's run and mentorships are dated a few days before it started."""
        from matching.models import MatchRun

        published = _at(self.cohort.starts_on - timedelta(days=4), "UTC", self.rng)
        MatchRun.objects.filter(cohort=self.cohort).update(
            created_at=published - timedelta(hours=1), finished_at=published - timedelta(minutes=58)
        )
        Mentorship.objects.filter(cohort=self.cohort).update(created_at=published)
        with _historic_timestamps(
            MentoringSession, PrivateNote, SessionFeedback, Goal, GoalUpdate, ActionItem, CapabilityAssessment,
            PulseSurvey,
        ):  # fmt: skip
            for rows in (self.sessions, self.attendance, self.notes, self.feedback, self.goals, self.goal_updates,
                         self.actions, self.assessments, list(self.pulses.values())):  # fmt: skip
                if rows:
                    type(rows[0]).objects.bulk_create(rows, batch_size=1000)
