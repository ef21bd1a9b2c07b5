"""A small dataset whose every metric is worked out by hand in tests/analytics/test_metrics.py.

The computation runs "now" = NOW (15 March 2026, noon UTC). One program (two sessions a month, the four default
stages, skills Facilitation and Data literacy), one cohort from 1 January to 30 June 2026 with 10 mentee seats.

    mentorship X (published 5 January): mentor M1 (Engineering), mentees A (Sales), B (Legal)
    mentorship Y (published 5 January): mentor M2 (Finance),     mentees C (Finance), G (Sales)
    mentee D (Engineering) accepted but not matched; mentee E (no department) declined

Sessions (attended: yes/no per person):

    X  s1 10 Jan held, stage 1    M1 yes, A yes, B no
    X  s2 24 Jan held, stage 2    M1 yes, A yes, B yes
    X  s3 14 Feb scheduled, never logged (missed)
    X  s4 20 Mar scheduled (after NOW: not counted)
    Y  s5 12 Jan held, stage 1    M2 yes, C yes, G no
    Y  s6 10 Feb cancelled
    Y  s7 20 Feb held, stage 1    M2 yes, C no,  G yes
    Y  s8  2 Mar held, no stage   M2 yes, C yes, G no

Feedback (rating, pairing fit): s1 M1 (4, good), s1 A (5, good), s2 B (4, unsure), s5 C (2, not good),
s7 M2 (3, -), s7 G (5, good).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from mentorship.tenancy.models import Department, Membership
from programs.models import (
    Application,
    CapabilityAssessment,
    Cohort,
    Goal,
    MentoringSession,
    Mentorship,
    MentorshipMentee,
    Program,
    PulseSurvey,
    SessionAttendance,
    SessionFeedback,
    SessionStage,
    Skill,
)
from tests import factories

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T10:00:00+00:00")


@dataclass
class Dataset:
    program: Program
    cohort: Cohort
    departments: dict[str, Department]
    people: dict[str, Membership]
    applications: dict[str, Application]
    mentorships: dict[str, Mentorship]
    skills: dict[str, Skill]
    sessions: dict[str, MentoringSession] = field(default_factory=dict)


def build(tenant) -> Dataset:
    """The dataset above, in `tenant`'s organization (call outside a scope)."""
    with tenant.scope():
        departments = {
            "Engineering": tenant.departments[0],
            "Sales": tenant.departments[1],
            "Legal": factories.make_department("Legal"),
            "Finance": factories.make_department("Finance"),
        }
        skills = {name: factories.make_skill(name) for name in ("Facilitation", "Data literacy")}
        program = factories.make_program(
            "Build Together", created_by=tenant.admin, skills=list(skills.values()), status=Program.Status.RUNNING,
            cadence_per_month=2, format=Program.Format.GROUP,
        )  # fmt: skip
        cohort = factories.make_cohort(
            program, status=Cohort.Status.ACTIVE, name="Spring 2026", starts_on=date(2026, 1, 1),
            ends_on=date(2026, 6, 30), enrollment_opens_on=date(2025, 11, 1), enrollment_closes_on=date(2025, 12, 1),
            capacity=10,
        )  # fmt: skip
        homes = {"M1": "Engineering", "A": "Sales", "B": "Legal", "M2": "Finance", "C": "Finance", "G": "Sales",
                 "D": "Engineering", "E": None}  # fmt: skip
        people = {
            name: factories.make_membership(
                factories.make_user(f"{name.lower()}@{tenant.organization.slug}.test", f"Person {name}"),
                department=departments[home] if home else None,
            )
            for name, home in homes.items()
        }
        applications = {
            name: factories.make_application(
                cohort,
                people[name],
                role="mentor" if name.startswith("M") else "mentee",
                status=Application.Status.DECLINED if name == "E" else Application.Status.ACCEPTED,
            )
            for name in homes
        }
        mentorships = {}
        for name, mentor, mentees in (("X", "M1", ("A", "B")), ("Y", "M2", ("C", "G"))):
            mentorship = Mentorship.objects.create(cohort=cohort, mentor=applications[mentor], format="group")
            for mentee in mentees:
                MentorshipMentee.objects.create(mentorship=mentorship, mentee=applications[mentee])
            mentorships[name] = mentorship
        Mentorship.objects.filter(pk__in=[m.pk for m in mentorships.values()]).update(created_at=at("2026-01-05"))
        data = Dataset(program, cohort, departments, people, applications, mentorships, skills)
        stages = {stage.position: stage for stage in SessionStage.objects.filter(program=program)}
        held, scheduled, cancelled = "held", "scheduled", "cancelled"
        for key, mentorship, status, day, stage, attended in (
            ("s1", "X", held, "2026-01-10", 1, {"M1": True, "A": True, "B": False}),
            ("s2", "X", held, "2026-01-24", 2, {"M1": True, "A": True, "B": True}),
            ("s3", "X", scheduled, "2026-02-14", None, {}),
            ("s4", "X", scheduled, "2026-03-20", None, {}),
            ("s5", "Y", held, "2026-01-12", 1, {"M2": True, "C": True, "G": False}),
            ("s6", "Y", cancelled, "2026-02-10", None, {}),
            ("s7", "Y", held, "2026-02-20", 1, {"M2": True, "C": False, "G": True}),
            ("s8", "Y", held, "2026-03-02", None, {"M2": True, "C": True, "G": False}),
        ):
            session = MentoringSession.objects.create(
                mentorship=mentorships[mentorship], status=status, starts_at=at(day),
                stage=stages[stage] if stage else None,
            )  # fmt: skip
            data.sessions[key] = session
            for person, yes in attended.items():
                SessionAttendance.objects.create(
                    session=session, membership=people[person], attended=yes,
                    role="mentor" if person.startswith("M") else "mentee",
                )  # fmt: skip
        for key, person, rating, fit in (
            ("s1", "M1", 4, "good"), ("s1", "A", 5, "good"), ("s2", "B", 4, "unsure"), ("s5", "C", 2, "not_good"),
            ("s7", "M2", 3, ""), ("s7", "G", 5, "good"),
        ):  # fmt: skip
            SessionFeedback.objects.create(session=data.sessions[key], author=people[person], rating=rating,
                                           pairing_fit=fit)  # fmt: skip
        for mentee, mentorship, status in (
            ("A", "X", "achieved"), ("A", "X", "in_progress"), ("B", "X", "dropped"), ("C", "Y", "achieved"),
            ("G", "Y", "not_started"),
        ):  # fmt: skip
            Goal.objects.create(mentorship=mentorships[mentorship], mentee=applications[mentee], title="A goal",
                                status=status)  # fmt: skip
        facilitation, literacy = skills["Facilitation"], skills["Data literacy"]
        for mentee, skill, rater, before, after in (
            ("A", facilitation, "self", 2, 4), ("A", literacy, "self", 3, 3),
            ("B", facilitation, "self", 1, 2), ("B", literacy, "self", 2, 4),
            ("C", facilitation, "self", 3, 3), ("C", literacy, "self", 2, None),
            ("G", facilitation, "self", 2, 5), ("G", literacy, "self", 1, 2),
            ("A", facilitation, "mentor", 2, 3), ("B", facilitation, "mentor", 2, 2),
        ):  # fmt: skip
            for phase, level in (("baseline", before), ("final", after)):
                if level is not None:
                    CapabilityAssessment.objects.create(
                        cohort=cohort, mentee=applications[mentee], skill=skill, phase=phase, rater=rater,
                        level=level,
                    )  # fmt: skip
        for person, phase, colleagues, trust in (
            ("M1", "start", 2, 3), ("M1", "end", 5, 4), ("A", "start", 1, 2), ("A", "end", 2, 2), ("G", "start", 3, 3),
        ):  # fmt: skip
            PulseSurvey.objects.create(
                cohort=cohort, application=applications[person], phase=phase,
                cross_department_colleagues=colleagues, trust_other_departments=trust,
            )  # fmt: skip
    return data
