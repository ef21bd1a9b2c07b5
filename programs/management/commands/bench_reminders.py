"""Benchmark of the nightly reminders on a large organization, against its target (< 10 s per run)."""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from mentorship.tenancy.models import Department, Membership, Organization
from mentorship.tenancy.scope import tenant_scope
from programs import models as m
from programs.reminders import reminders_send

SLUG = "bench-reminders"
DOMAIN = "bench-reminders.example"
TARGET_SECONDS = 10
TARGET_MB = 500
BATCH = 5000
# 40 % of the participants in 1:1 pairs (a program meeting twice a month, mid-cohort), 60 % in groups of a mentor
# and three mentees (a monthly program in its final weeks, so the end round is due as well).
PAIR_SHARE = 0.4
GROUP_SIZE = 4


def wipe(organization: Organization) -> None:
    """Remove what a previous run left in the benchmark organization, children first (few cascades to collect)."""
    with tenant_scope(organization):
        for model in (
            m.Notification, m.NotificationPreference, m.CalendarFeed, m.SessionFeedback, m.SessionAttendance,
            m.PrivateNote, m.MentoringSession, m.CapabilityAssessment, m.PulseSurvey, m.Recognition,
            m.MentorshipMentee, m.Mentorship, m.ApplicationSkill, m.Application, m.Cohort, m.ProgramSkill,
            m.SessionStage, m.Program, m.Skill,
        ):  # fmt: skip
            model.objects.all().delete()
        Membership.objects.all().delete()
        Department.objects.all().delete()
    get_user_model().objects.filter(email__endswith=f"@{DOMAIN}").delete()


class Generator:
    """An organization of `participants` people in active mentorships, with a realistic spread of what is due:
    sessions coming up, gaps, held sessions with and without feedback, logs to confirm, assessments and pulses
    partly given, a few muted categories. Everything is bulk-inserted inside the organization's scope."""

    def __init__(self, organization: Organization, participants: int, seed: int = 2026):
        self.org = organization
        self.count = participants
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.today = timezone.localdate()

    def _new(self, model, **fields):
        return model(organization_id=self.org.pk, **fields)

    def _bulk(self, model, rows: list) -> list:
        return model.objects.bulk_create(rows, batch_size=BATCH)

    def run(self) -> Counter:
        User = get_user_model()
        rng = self.rng
        departments = self._bulk(Department, [self._new(Department, name=f"Department {n}") for n in range(10)])
        users = self._bulk(
            User,
            [
                User(email=f"person{n}@{DOMAIN}", full_name=f"Person {n}", password=UNUSABLE_PASSWORD_PREFIX + "bench")
                for n in range(self.count)
            ],
        )
        zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Singapore"]
        people = self._bulk(
            Membership,
            [
                self._new(Membership, user=user, roles=[], department=departments[n % 10], time_zone=zones[n % 4])
                for n, user in enumerate(users)
            ],
        )
        skills = self._bulk(m.Skill, [self._new(m.Skill, name=f"Skill {n}", category="Bench") for n in range(3)])
        pairs = self._program_cohort("Bench pairs", m.Program.Format.ONE_TO_ONE, cadence=2, started=60, ends=120)
        groups = self._program_cohort("Bench groups", m.Program.Format.GROUP, cadence=1, started=160, ends=15)
        self._bulk(
            m.ProgramSkill,
            [self._new(m.ProgramSkill, program=c.program, skill=skill) for c in (pairs, groups) for skill in skills],
        )

        split = int(self.count * PAIR_SHARE) // 2 * 2
        teams = [(pairs, people[n : n + 2]) for n in range(0, split, 2)]
        teams += [(groups, people[n : n + GROUP_SIZE]) for n in range(split, self.count - GROUP_SIZE + 1, GROUP_SIZE)]
        applications = self._bulk(
            m.Application,
            [
                self._new(
                    m.Application,
                    cohort=cohort,
                    membership=person,
                    status=m.Application.Status.ACCEPTED,
                    role=m.Application.Role.MENTOR if index == 0 else m.Application.Role.MENTEE,
                )
                for cohort, team in teams
                for index, person in enumerate(team)
            ],
        )
        apps = iter(applications)
        team_apps = [(cohort, [next(apps) for _ in team]) for cohort, team in teams]
        mentorships = self._bulk(
            m.Mentorship,
            [
                self._new(m.Mentorship, cohort=cohort, mentor=team[0], format=cohort.program.format)
                for cohort, team in team_apps
            ],
        )
        m.Mentorship.objects.update(created_at=self.now - timedelta(days=50))
        self._bulk(
            m.MentorshipMentee,
            [
                self._new(m.MentorshipMentee, mentorship=mentorship, mentee=mentee)
                for mentorship, (_cohort, team) in zip(mentorships, team_apps, strict=True)
                for mentee in team[1:]
            ],
        )

        sessions, attendance_of = [], []
        for mentorship, (_cohort, team) in zip(mentorships, team_apps, strict=True):
            if rng.random() < 0.3:  # one coming up in the next 48 hours
                sessions.append(self._session(mentorship, "scheduled", hours=rng.uniform(1, 47)))
                attendance_of.append(None)
            gap = rng.random() < 0.2  # nothing for 40 days and nothing planned: a cadence gap
            latest = 40 if gap else rng.choice([2, 5, 9, 13, 20])
            for days in sorted({latest, latest + 15, latest + 30}, reverse=True):
                logger = team[0] if rng.random() < 0.7 else team[1]
                one_sided = days == latest and rng.random() < 0.3
                sessions.append(
                    self._session(
                        mentorship,
                        "held",
                        hours=-24 * days,
                        logged_by_id=logger.membership_id,
                        logged_at=self.now - timedelta(days=max(days - 1, 0)),
                        confirmation="one_sided" if one_sided else "confirmed",
                    )
                )
                attendance_of.append(team)
        sessions = self._bulk(m.MentoringSession, sessions)
        attendance, feedback = [], []
        for session, team in zip(sessions, attendance_of, strict=True):
            for index, application in enumerate(team or []):
                attended = rng.random() < 0.9
                role = "mentor" if index == 0 else "mentee"
                attendance.append(
                    self._new(
                        m.SessionAttendance,
                        session=session,
                        membership_id=application.membership_id,
                        role=role,
                        attended=attended,
                    )
                )
                if attended and rng.random() < 0.5:
                    feedback.append(
                        self._new(m.SessionFeedback, session=session, author_id=application.membership_id, rating=4)
                    )
        self._bulk(m.SessionAttendance, attendance)
        self._bulk(m.SessionFeedback, feedback)

        assessments, pulses = [], []
        for _mentorship, (cohort, team) in zip(mentorships, team_apps, strict=True):
            for index, application in enumerate(team):
                if rng.random() < 0.5:
                    pulses.append(
                        self._new(
                            m.PulseSurvey,
                            cohort=cohort,
                            application=application,
                            phase="start",
                            cross_department_colleagues=3,
                            trust_other_departments=3,
                        )
                    )
                if index and rng.random() < 0.5:
                    for rater, assessor in (("self", application.membership_id), ("mentor", team[0].membership_id)):
                        assessments += [
                            self._new(
                                m.CapabilityAssessment,
                                cohort=cohort,
                                mentee=application,
                                skill=skill,
                                phase="baseline",
                                rater=rater,
                                assessor_id=assessor,
                                level=2,
                            )
                            for skill in skills
                        ]
        self._bulk(m.PulseSurvey, pulses)
        self._bulk(m.CapabilityAssessment, assessments)
        categories = list(m.Notification.Category.values)
        self._bulk(
            m.NotificationPreference,
            [
                self._new(m.NotificationPreference, membership=person, muted_categories=[rng.choice(categories)])
                for person in rng.sample(people, k=self.count // 20)
            ],
        )
        return Counter(
            participants=sum(len(team) for _c, team in teams),
            mentorships=len(mentorships),
            sessions=len(sessions),
            attendance=len(attendance),
            feedback=len(feedback),
        )

    def _program_cohort(self, name: str, format: str, *, cadence: int, started: int, ends: int) -> m.Cohort:
        program = m.Program.objects.create(
            name=name, format=format, ratio=GROUP_SIZE - 1, cadence_per_month=cadence, status=m.Program.Status.RUNNING
        )
        return m.Cohort.objects.create(
            program=program, name="Bench cohort", status=m.Cohort.Status.ACTIVE, capacity=50_000,
            starts_on=self.today - timedelta(days=started), ends_on=self.today + timedelta(days=ends),
            enrollment_opens_on=self.today - timedelta(days=started + 30),
            enrollment_closes_on=self.today - timedelta(days=started + 1),
        )  # fmt: skip

    def _session(self, mentorship, status: str, *, hours: float, **fields) -> m.MentoringSession:
        return self._new(
            m.MentoringSession, mentorship=mentorship, status=status,
            starts_at=self.now + timedelta(hours=hours), **fields,
        )  # fmt: skip


class Command(BaseCommand):
    help = (
        f"Generate an organization ({SLUG}) of N participants in active mentorships with sessions, run the nightly "
        "reminders for it twice in a fresh process (the second run must send nothing), and print time, queries and "
        "max RSS against the target."
    )

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, default=10_000, help="people in mentorships (default 10,000)")
        parser.add_argument("--keep", action="store_true", help="leave the generated organization's data in place")
        parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, participants: int, keep: bool, measure_only: bool, **options):
        if measure_only:
            # A process of its own, so that its max RSS is the reminders' and not the data generation's.
            organization = Organization.objects.get(slug=SLUG)
            failures = sum(self._run(organization, label) for label in ("first", "second"))
            if failures:
                raise CommandError(f"{failures} run(s) missed the target or sent something twice")
            return
        if not 4 <= participants <= 200_000:
            raise CommandError("--participants must be between 4 and 200,000.")
        organization, _ = Organization.objects.get_or_create(slug=SLUG, defaults={"name": "Benchmark: reminders"})
        wipe(organization)
        started = time.perf_counter()
        with tenant_scope(organization), transaction.atomic():
            generated = Generator(organization, participants).run()
        self.stdout.write(
            f"Reminders benchmark: organization {SLUG!r}, database role {self._role()}; generated in "
            f"{time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{count:,} {what}" for what, count in generated.items())
        )
        self.stdout.write(f"target per run: < {TARGET_SECONDS} s, < {TARGET_MB} MB max RSS")
        header = (
            f"{'run':<8}{'time':>9}{'cpu':>9}{'queries':>9}{'max RSS':>11}{'emails':>8}  new notifications per category"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header), ending="\n")
        self.stdout.flush()
        try:
            measured = subprocess.run(
                [sys.executable, str(settings.BASE_DIR / "manage.py"), "bench_reminders", "--measure-only"],
                check=False,
            )
        finally:
            if not keep:
                wipe(organization)
        self.stdout.write(
            "time (wall clock), cpu (this process; PostgreSQL's work is in its own) and queries: one call of "
            "reminders_send() inside the organization's scope, the tenant task's body; max RSS: that process's peak "
            "(resource.getrusage ru_maxrss), Django included. Emails go to Django's in-memory backend (each built "
            "as for SMTP, not printed)."
        )
        if measured.returncode:
            raise CommandError("a run missed the target or sent something twice")

    def _run(self, organization: Organization, label: str) -> int:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            mail.outbox = []
            with tenant_scope(organization), CaptureQueriesContext(connection) as queries:
                started, cpu_started = time.perf_counter(), time.process_time()
                sent = reminders_send()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            emails = len(mail.outbox)
            mail.outbox = []
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
        new = sum(sent.values())
        twice = label == "second" and (new or emails)
        ok = elapsed < TARGET_SECONDS and rss < TARGET_MB and not twice and emails == new
        per_category = ", ".join(f"{category} {count:,}" for category, count in sent.items())
        self.stdout.write(
            f"{label:<8}{elapsed:>7.2f} s{cpu:>7.2f} s{len(queries):>9}{rss:>8.1f} MB{emails:>8,}  {per_category}"
            f"  {'ok' if ok else 'MISSED'}"
        )
        return 0 if ok else 1

    @staticmethod
    def _role() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            return cursor.fetchone()[0]
