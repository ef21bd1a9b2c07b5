"""Demo programs on top of the demo people (mentorship.tenancy.demo): a capability framework, programs in each
state, cohorts and applications from many departments. Deterministic (fixed seeds) and idempotent: an
organization that already has programs is left alone. Runs as the app role, inside each organization's scope.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from mentorship.tenancy.demo import ACME
from mentorship.tenancy.models import Membership, Organization
from mentorship.tenancy.scope import tenant_scope
from programs import services
from programs.models import Application, ApplicationSkill, Cohort, Program, ProgramTarget, Skill

LEVELS = ["Aware", "Practising", "Proficient", "Advanced", "Expert: teaches others"]

ACME_SKILLS = [
    ("Data literacy", "Analytical", "Reads, questions and explains data; turns numbers into decisions."),
    ("Systems thinking", "Analytical", "Sees how parts of the organization and product affect each other."),
    ("Financial acumen", "Analytical", "Understands budgets, unit economics and the business case."),
    ("Customer empathy", "Customer", "Understands customers' jobs, pains and context."),
    ("Product discovery", "Customer", "Finds problems worth solving and tests ideas before building them."),
    ("UX research", "Customer", "Plans and runs interviews and usability studies; synthesises findings."),
    ("Negotiation", "Influence", "Reaches agreements that hold, inside and outside the company."),
    ("Public speaking", "Influence", "Presents clearly and confidently to groups of any size."),
    ("Stakeholder management", "Influence", "Keeps the people who matter informed, aligned and involved."),
    ("Technical writing", "Craft", "Writes documents that people can act on: specs, guides, decisions."),
    ("Coaching", "Leadership", "Helps others find their own answers through questions and feedback."),
    ("Leadership", "Leadership", "Sets direction, builds trust and grows a team."),
]
GLOBEX_SKILLS = [
    ("Lab safety leadership", "Operations", "Builds a safety culture beyond the checklist."),
    ("Process improvement", "Operations", "Finds waste and fixes the process, not the person."),
    ("Scientific writing", "Research", "Writes papers, reports and grant proposals that land."),
    ("Account planning", "Commercial", "Plans growth with a key customer over a year."),
    ("Coaching", "Leadership", "Helps others find their own answers through questions and feedback."),
]
MEETING_WINDOWS = ["mon-am", "mon-pm", "tue-am", "tue-pm", "wed-am", "wed-pm", "thu-am", "thu-pm", "fri-am"]
MENTOR_GOALS = [
    "Pass on what I learned the hard way, and see the company through someone else's eyes.",
    "Practise coaching rather than telling; I want to become a better manager.",
    "Meet people outside my department and understand their work.",
    "Give back: a mentor changed my career and I would like to do the same.",
]
MENTEE_GOALS = [
    "Get better at presenting my work to leadership.",
    "Understand how other departments make decisions so my projects land better.",
    "Move towards a team lead role within a year.",
    "Learn to read our financials and build a business case.",
    "Grow confidence in negotiating with partners and customers.",
    "Run my first customer interviews and turn them into product decisions.",
    "Write clearer specs and decision documents.",
]
DECLINE_REASONS = [
    "This round is full; you are first in line for the next cohort.",
    "Please apply after your probation period ends.",
    "Your goals fit the Leaders of Tomorrow program better; we will invite you to its next cohort.",
]


def seed_programs() -> list[Organization]:
    """Seed the demo programs of Acme and Globex (those that exist and have no programs yet)."""
    seeded = []
    for slug, builder in (("acme", _seed_acme), ("globex", _seed_globex)):
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            continue
        with tenant_scope(organization), transaction.atomic():
            if Program.objects.exists():
                continue
            builder(organization, random.Random(f"programs-{slug}"))
            seeded.append(organization)
    return seeded


# --- Builders ---


def _skills(organization: Organization, specs) -> list[Skill]:
    return Skill.objects.bulk_create(
        [
            Skill(
                organization=organization,
                name=name,
                category=category,
                description=description,
                level_descriptions=[f"{label}: {description.split(';')[0].rstrip('.').lower()}" for label in LEVELS],
            )
            for name, category, description in specs
        ]
    )


def _admin(email: str) -> Membership:
    return Membership.objects.select_related("department").get(user__email=email)


def _program(admin: Membership, skills: list[Skill], targets=(), **fields) -> Program:
    program = services.program_create(created_by=admin, skills=skills, **fields)
    for metric, baseline, target in targets:
        services.target_set(program=program, metric=metric, baseline=baseline, target=target)
    return program


def _cohort(program: Program, name: str, start_offset: int, status: str, capacity: int) -> Cohort:
    """A six-month cohort whose enrollment runs the five weeks before it starts (offsets in days from today)."""
    today = timezone.localdate()
    starts_on = today + timedelta(days=start_offset)
    return services.cohort_create(
        program=program,
        name=name,
        enrollment_opens_on=starts_on - timedelta(days=35),
        enrollment_closes_on=starts_on - timedelta(days=3),
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=182),
        capacity=capacity,
        status=status,
    )


def _move(program: Program, *statuses: str) -> Program:
    for status in statuses:
        program = services.program_transition(program=program, status=status)
    return program


def _applications(
    cohort: Cohort,
    skills: list[Skill],
    mentors: list[Membership],
    mentees: list[Membership],
    statuses: dict[str, list[str]],
    decided_by: Membership,
    rng: random.Random,
) -> list[Application]:
    """Mentors offer 2-3 skills at level 4-5; mentees want 1-3 skills, from level 1-3 to one or two levels up.
    `statuses` gives each role's statuses in order (the rest are submitted)."""
    now = timezone.now()
    applications, rows = [], []
    for role, people in ((Application.Role.MENTOR, mentors), (Application.Role.MENTEE, mentees)):
        for index, membership in enumerate(people):
            wanted = statuses.get(role, [])
            status = wanted[index] if index < len(wanted) else Application.Status.SUBMITTED
            is_mentor = role == Application.Role.MENTOR
            application = Application(
                organization_id=cohort.organization_id,
                cohort=cohort,
                membership=membership,
                role=role,
                status=status,
                goals=rng.choice(MENTOR_GOALS if is_mentor else MENTEE_GOALS),
                languages=list(membership.languages),
                time_zone=membership.time_zone,
                meeting_windows=sorted(rng.sample(MEETING_WINDOWS, 3)),
                capacity=rng.randint(1, cohort.program.ratio) if is_mentor else None,
                prefers_other_department=rng.random() < 0.8,
                seniority_preference=(
                    Application.SeniorityPreference.ANY
                    if is_mentor
                    else rng.choice(list(Application.SeniorityPreference.values))
                ),
                decline_reason=rng.choice(DECLINE_REASONS) if status == Application.Status.DECLINED else "",
                decided_at=None if status == Application.Status.SUBMITTED else now - timedelta(days=rng.randint(1, 9)),
                decided_by=None if status == Application.Status.SUBMITTED else decided_by,
            )
            applications.append(application)
            for skill in rng.sample(skills, rng.randint(2, 3) if is_mentor else rng.randint(1, 3)):
                level = rng.randint(4, 5) if is_mentor else rng.randint(1, 3)
                target = None if is_mentor else min(5, level + rng.randint(1, 2))
                rows.append((application, skill, level, target))
    Application.objects.bulk_create(applications)
    ApplicationSkill.objects.bulk_create(
        [
            ApplicationSkill(
                organization_id=cohort.organization_id, application=application, skill=skill, level=level,
                target_level=target,
            )
            for application, skill, level, target in rows
        ]
    )  # fmt: skip
    return applications


def _spread(people: list[Membership], count: int, rng: random.Random) -> list[Membership]:
    """`count` people taken round-robin across departments, so that every department is represented."""
    by_department: dict[int | None, list[Membership]] = {}
    for person in rng.sample(people, len(people)):
        by_department.setdefault(person.department_id, []).append(person)
    queues = [by_department[key] for key in sorted(by_department, key=lambda k: (k is None, k or 0))]
    chosen: list[Membership] = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop())
    return chosen


def _seed_acme(organization: Organization, rng: random.Random) -> None:
    skills = {skill.name: skill for skill in _skills(organization, ACME_SKILLS)}
    admin = _admin("programs@acme.example")
    member_login = _admin("member@acme.example")
    people = list(Membership.objects.filter(is_active=True, roles=[]).exclude(pk=member_login.pk).order_by("pk"))
    senior_titles = {title for titles in ACME.departments.values() for title in titles[:2]}
    seniors = [p for p in people if p.job_title in senior_titles]
    others = [p for p in people if p.job_title not in senior_titles]
    T = ProgramTarget.Metric

    # 1. Open for enrollment, one enrolling cohort with applications from every department.
    build = _program(
        admin,
        list(skills.values()),
        targets=[(T.PARTICIPATION_RATE, 35, 60), (T.ATTENDANCE_RATE, 70, 85), (T.CAPABILITY_GROWTH, 0, 1)],
        name="Build Together, Grow Together",
        theme_tag="#BuildTogether&GrowTogether",
        description="Cross-functional 1:1 mentoring: every pair spans two departments, so that we learn how the "
        "rest of Acme works while we grow the capabilities of our framework.",
        objectives=[Program.Objective.COLLABORATION, Program.Objective.UPSKILLING, Program.Objective.RETENTION],
        participation_criteria="Everyone who has been at Acme for three months or more.",
        mentor_expectations="One hour a month with each mentee for six months; take part in the kick-off.",
        mentee_expectations="Own the agenda, prepare each session and log it afterwards.",
        format=Program.Format.ONE_TO_ONE,
        ratio=3,
        cross_functional=Program.CrossFunctional.REQUIRED,
    )
    cohort = _cohort(build, "Spring cohort", 20, Cohort.Status.ENROLLING, capacity=36)
    _move(build, Program.Status.OPEN)
    S = Application.Status
    mentors = _spread(seniors, 12, rng)
    mentees = [member_login, *_spread(others, 32, rng)]
    _applications(
        cohort,
        list(skills.values()),
        mentors,
        mentees,
        {
            Application.Role.MENTOR: [S.ACCEPTED] * 8 + [S.WAITLISTED],
            Application.Role.MENTEE: [S.SUBMITTED] + [S.ACCEPTED] * 12 + [S.WAITLISTED] * 5 + [S.DECLINED] * 4,
        },
        admin,
        rng,
    )

    # 2. Running: a group succession program with an active cohort of accepted applications.
    leaders_skills = [skills[name] for name in ("Leadership", "Coaching", "Stakeholder management", "Negotiation")]
    leaders = _program(
        admin,
        leaders_skills,
        targets=[(T.PARTICIPATION_RATE, 20, 30), (T.SATISFACTION, Decimal("3.8"), Decimal("4.3"))],
        name="Leaders of Tomorrow",
        theme_tag="#LeadersOfTomorrow",
        description="Group mentoring for future team leads: one senior leader with up to four mentees.",
        objectives=[Program.Objective.SUCCESSION, Program.Objective.LEADERSHIP],
        format=Program.Format.GROUP,
        ratio=4,
        cadence_per_month=2,
        cross_functional=Program.CrossFunctional.PREFERRED,
    )
    active = _cohort(leaders, "2026 cohort", -60, Cohort.Status.ACTIVE, capacity=16)
    _move(leaders, Program.Status.OPEN, Program.Status.RUNNING)
    taken = {p.pk for p in mentors + mentees}
    _applications(
        active,
        leaders_skills,
        _spread([p for p in seniors if p.pk not in taken], 4, rng),
        _spread([p for p in others if p.pk not in taken], 14, rng),
        {Application.Role.MENTOR: [S.ACCEPTED] * 4, Application.Role.MENTEE: [S.ACCEPTED] * 14},
        admin,
        rng,
    )

    # 3. A draft, still being designed.
    _program(
        admin,
        [skills[name] for name in ("Customer empathy", "UX research", "Product discovery")],
        targets=[(T.CROSS_DEPARTMENT_SHARE, 40, 80)],
        name="Customer Empathy Circles",
        theme_tag="#CloserToCustomers",
        description="Small groups that shadow support calls and customer interviews together.",
        objectives=[Program.Objective.COLLABORATION, Program.Objective.INNOVATION],
        format=Program.Format.GROUP,
        ratio=5,
        cross_functional=Program.CrossFunctional.PREFERRED,
    )

    # 4. Completed last year.
    onboarding_skills = [skills[name] for name in ("Systems thinking", "Technical writing", "Data literacy")]
    onboarding = _program(
        admin,
        onboarding_skills,
        targets=[(T.MATCH_RATE, 70, 95)],
        name="Onboarding Buddies 2025",
        description="Every new joiner gets a buddy from another department for their first six months.",
        objectives=[Program.Objective.ONBOARDING, Program.Objective.RETENTION],
        ratio=2,
        cross_functional=Program.CrossFunctional.PREFERRED,
    )
    closed = _cohort(onboarding, "2025 cohort", -300, Cohort.Status.CLOSED, capacity=10)
    _move(onboarding, Program.Status.OPEN, Program.Status.RUNNING, Program.Status.COMPLETED)
    taken |= {a.membership_id for a in Application.objects.filter(cohort=active)}
    _applications(
        closed,
        onboarding_skills,
        _spread([p for p in seniors if p.pk not in taken], 4, rng),
        _spread([p for p in others if p.pk not in taken], 8, rng),
        {Application.Role.MENTOR: [S.ACCEPTED] * 4, Application.Role.MENTEE: [S.ACCEPTED] * 8},
        admin,
        rng,
    )


def _seed_globex(organization: Organization, rng: random.Random) -> None:
    skills = _skills(organization, GLOBEX_SKILLS)
    admin = _admin("admin@globex.example")
    program = _program(
        admin,
        skills,
        targets=[(ProgramTarget.Metric.PARTICIPATION_RATE, 10, 30)],
        name="Globex Mentoring Pilot",
        theme_tag="#GlobexGrows",
        description="A first, small program between Research and Operations.",
        objectives=[Program.Objective.UPSKILLING],
        ratio=2,
        cross_functional=Program.CrossFunctional.PREFERRED,
    )
    cohort = _cohort(program, "Pilot cohort", 14, Cohort.Status.ENROLLING, capacity=10)
    _move(program, Program.Status.OPEN)
    people = list(Membership.objects.filter(is_active=True, roles=[]).order_by("pk"))
    chosen = _spread(people, 9, rng)
    _applications(
        cohort,
        skills,
        chosen[:3],
        chosen[3:],
        {Application.Role.MENTOR: [Application.Status.ACCEPTED] * 2},
        admin,
        rng,
    )
