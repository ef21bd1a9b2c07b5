"""Benchmark of the people import on a realistic HR file, against its targets (< 30 s, < 500 MB per import)."""

from __future__ import annotations

import csv
import io
import random
import resource
import time
import tracemalloc

import openpyxl
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentorship.tenancy.demo import FIRST_NAMES, LAST_NAMES
from mentorship.tenancy.imports import COLUMNS, people_import_run
from mentorship.tenancy.models import Department, Invitation, Membership, Organization, PeopleImport
from mentorship.tenancy.scope import tenant_scope

SLUG = "bench-import"
DOMAIN = "bench-import.example"
TARGET_SECONDS = 30
TARGET_MB = 500

DEPARTMENTS = {
    "Engineering": ["VP Engineering", "Engineering Manager", "Software Engineer"],
    "Product": ["Head of Product", "Group Product Manager", "Product Manager"],
    "Design": ["Head of Design", "Design Lead", "Product Designer"],
    "Sales": ["VP Sales", "Sales Director", "Account Executive"],
    "Marketing": ["CMO", "Marketing Manager", "Growth Marketer"],
    "Customer Success": ["Head of Customer Success", "CS Team Lead", "Customer Success Manager"],
    "Finance": ["CFO", "Finance Manager", "Financial Analyst"],
    "People": ["Chief People Officer", "People Partner", "People Coordinator"],
    "Legal": ["General Counsel", "Legal Manager", "Counsel"],
    "Operations": ["COO", "Operations Manager", "Operations Analyst"],
    "Data": ["Head of Data", "Analytics Manager", "Data Scientist"],
    "Security": ["CISO", "Security Manager", "Security Engineer"],
}
LOCATIONS = (
    ("Berlin", "Europe/Berlin", "de;en"),
    ("London", "Europe/London", "en"),
    ("Lisbon", "Europe/Lisbon", "pt;en"),
    ("New York", "America/New_York", "en;es"),
    ("São Paulo", "America/Sao_Paulo", "pt-BR;en"),
    ("Singapore", "Asia/Singapore", "en;zh"),
    ("Paris", "Europe/Paris", "fr;en"),
    ("Tokyo", "Asia/Tokyo", "ja;en"),
    ("Bangalore", "Asia/Kolkata", "en;hi;kn"),
    ("Remote", "UTC", "en"),
)


def generate_people(count: int, seed: int = 2026) -> list[list[str]]:
    """A chief executive, a head per department reporting to them, a manager per ~8 people reporting to their head,
    everyone else reporting to a manager of their department; in shuffled order, as HR exports come."""
    rng = random.Random(seed)
    header_free_rows = []
    names = list(DEPARTMENTS)
    chief = f"ceo@{DOMAIN}"
    header_free_rows.append([chief, "Casey Chief", "Operations", "Chief Executive Officer", "", *LOCATIONS[1]])
    managers: dict[str, list[str]] = {name: [] for name in names}
    heads: dict[str, str] = {}
    for index in range(1, count):
        department = names[index % len(names)]
        titles = DEPARTMENTS[department]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{index}@{DOMAIN}".lower()
        if department not in heads:
            title, manager = titles[0], chief
            heads[department] = email
        elif not managers[department] or rng.random() < 1 / 8:
            title, manager = titles[1], heads[department]
            managers[department].append(email)
        else:
            title, manager = titles[2], rng.choice(managers[department])
        city, time_zone, languages = rng.choice(LOCATIONS)
        header_free_rows.append([email, f"{first} {last}", department, title, manager, city, time_zone, languages])
    rng.shuffle(header_free_rows)
    return header_free_rows


def csv_file(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.label for column in COLUMNS])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_file(rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("People")
    sheet.append([column.label.title() for column in COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def wipe(organization: Organization) -> None:
    """Remove everything a previous run left in the benchmark organization, and the benchmark's users."""
    with tenant_scope(organization):
        Membership.objects.update(manager=None)
        Invitation.objects.all().delete()
        PeopleImport.objects.all().delete()
        Membership.objects.all().delete()
        Department.objects.all().delete()
        get_user_model().objects.filter(email__endswith=f"@{DOMAIN}").delete()


class Command(BaseCommand):
    help = (
        "Generate a realistic HR file (CSV and XLSX) and run the people import service on it inside a throwaway "
        f"organization ({SLUG}); print timings, peak memory and SQL queries against the targets."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000, help="people in the file (default 10,000)")
        parser.add_argument("--format", choices=["csv", "xlsx", "both"], default="both")
        parser.add_argument("--keep", action="store_true", help="leave the imported people in place afterwards")

    def handle(self, *args, rows: int, format: str, keep: bool, **options):
        if not 2 <= rows <= 50_000:
            raise CommandError("--rows must be between 2 and 50,000 (the import's limit).")
        people = generate_people(rows)
        files = {}
        if format in ("csv", "both"):
            files["csv"] = csv_file(people)
        if format in ("xlsx", "both"):
            files["xlsx"] = xlsx_file(people)
        # The re-import moves everyone to a new job title and location: every membership is updated.
        last_format = list(files)[-1]
        changed = [[*row[:3], f"{row[3]} II", row[4], "Remote", *row[6:]] for row in people]
        reimport = csv_file(changed) if last_format == "csv" else xlsx_file(changed)

        organization, _created = Organization.objects.get_or_create(
            slug=SLUG, defaults={"name": "Benchmark: people import"}
        )
        self.stdout.write(
            f"People import benchmark: {rows:,} rows, {len(DEPARTMENTS)} departments, a manager hierarchy, "
            f"{len(LOCATIONS)} time zones; organization {SLUG!r}, database role {self._role()}"
        )
        self.stdout.write(f"targets per import: < {TARGET_SECONDS} s total, < {TARGET_MB} MB peak memory\n")
        header = (
            f"{'run':<16}{'file':>10}{'validate':>11}{'import':>10}{'total':>10}{'queries':>9}"
            f"{'py peak':>11}{'max RSS':>11}  result"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        failures = 0
        try:
            scenarios = [(f"{name} (create)", [], name, data) for name, data in files.items()]
            scenarios.append((f"{last_format} (update)", [files[last_format]], last_format, reimport))
            for label, setup, name, data in scenarios:
                failures += self._scenario(organization, label, setup, name, data, rows)
        finally:
            if not keep:
                wipe(organization)
        self.stdout.write(
            "validate = read the file + check every row; import = the one transaction (departments, users, "
            "memberships, managers). Times, queries and max RSS (resource.getrusage ru_maxrss, whole process so "
            "far) come from a plain run; py peak (tracemalloc) from a second, identical run, because tracing slows "
            "openpyxl about fivefold. Queries are counted on the main connection; progress goes through a side "
            "connection (one UPDATE per 1,000 rows)."
        )
        if failures:
            raise CommandError(f"{failures} run(s) missed a target or failed")

    def _scenario(self, organization, label: str, setup: list[bytes], name: str, data: bytes, rows: int) -> int:
        measured = self._import(organization, setup, name, data, rows, traced=False)
        traced = self._import(organization, setup, name, data, rows, traced=True)
        people_import, timings, total, queries, _peak = measured
        peak_mb = traced[4] / 1_048_576
        max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
        ok = people_import.status == PeopleImport.Status.DONE and total < TARGET_SECONDS and max_rss_mb < TARGET_MB
        if people_import.status != PeopleImport.Status.DONE:
            result = f"FAILED: {people_import.errors[:3]}"
        else:
            counts = f"{people_import.created_count:,} new, {people_import.updated_count:,} updated"
            result = f"{'ok' if ok else 'MISSED'} ({counts})"
        self.stdout.write(
            f"{label:<16}{len(data) / 1_048_576:>7.2f} MB{timings.get('validate', 0):>9.2f} s"
            f"{timings.get('import', 0):>8.2f} s{total:>8.2f} s{queries:>9}{peak_mb:>8.1f} MB{max_rss_mb:>8.1f} MB"
            f"  {result}"
        )
        return 0 if ok else 1

    def _import(self, organization, setup: list[bytes], name: str, data: bytes, rows: int, *, traced: bool):
        """Wipe, import the setup files, then import `data` under measurement."""
        wipe(organization)
        with tenant_scope(organization):
            for earlier in setup:
                people_import = PeopleImport.objects.create(file_name=f"setup.{name}", total_rows=rows, data=earlier)
                people_import_run(people_import=people_import)
            people_import = PeopleImport.objects.create(file_name=f"bench.{name}", total_rows=rows, data=data)
            timings: dict[str, float] = {}
            if traced:
                tracemalloc.start()
            try:
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    people_import_run(people_import=people_import, report_progress=True, timings=timings)
                total = time.perf_counter() - started
                peak = tracemalloc.get_traced_memory()[1] if traced else 0
            finally:
                tracemalloc.stop()
        return people_import, timings, total, len(queries), peak

    @staticmethod
    def _role() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            return cursor.fetchone()[0]
