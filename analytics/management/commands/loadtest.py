"""manage.py loadtest: a bounded load test on loopback against an organization with N sessions.

Generates the organization `loadtest` (analytics/bench_org.py, as the metrics benchmark does; `--reuse` keeps it
from an earlier run), computes its metrics once, signs in a pool of mentor/mentee pairs and an HR analyst, starts
gunicorn with the production settings on a free loopback port, and drives it with locust for `--duration` seconds
at `--rps` requests a second, split evenly over logging a session (workspace API), the workspace page and the HR
dashboard. Prints requests, requests/s, p50/p95/p99 and errors per endpoint and PASS/FAIL against the targets
(workspace page and dashboard p99 < 250 ms, 0 errors); exits 1 on FAIL.

Connect it as the app role (as `make run` does, or the README's benchmark URLs). Given a superuser DATABASE_URL
instead, it creates the roles and a database `mentorship_loadtest` on that server (mentorship/devservices.py),
migrates it as the owner role and runs itself again as the app role, so row-level security applies throughout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg2
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from analytics.loadtest import seed
from analytics.loadtest.run import Options, loadtest_run, report_lines
from mentorship import devservices

DATABASE = "mentorship_loadtest"


def _is_superuser() -> bool:
    """Asked outside Django's connection, which refuses to open as a superuser (mentorship/tenancy/postgres)."""
    database = settings.DATABASES["default"]
    probe = psycopg2.connect(
        dbname=database["NAME"], user=database["USER"], password=database["PASSWORD"] or None,
        host=database["HOST"] or None, port=database["PORT"] or None,
    )  # fmt: skip
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
            return bool(cursor.fetchone()[0])
    finally:
        probe.close()


class Command(BaseCommand):
    help = "Load test on loopback: gunicorn + locust against an organization with N sessions; prints the figures."

    def add_arguments(self, parser):
        parser.add_argument("--sessions", type=int, default=1_000_000)
        parser.add_argument("--rps", type=float, default=50, help="Total requests a second over the 3 scenarios.")
        parser.add_argument("--duration", type=float, default=60, help="Seconds measured (after the warm-up).")
        parser.add_argument("--warmup", type=float, default=5, help="Seconds of load before measuring.")
        parser.add_argument("--reuse", action="store_true", help="Keep the organization of an earlier run.")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (compose's WEB_CONCURRENCY).")
        parser.add_argument("--pairs", type=int, default=25, help="Mentor/mentee pairs the requests spread over.")
        parser.add_argument(
            "--dev-settings", action="store_true",
            help="Serve DJANGO_ENV=development with DEBUG off: no collectstatic (the smoke test).",
        )  # fmt: skip
        parser.add_argument("--skip-analyze-wait", action="store_true")
        parser.add_argument("--seed-only", action="store_true", help="Generate (or reuse) the organization and stop.")

    def handle(self, *args, **options):
        if not 0 < options["rps"] <= 1000 or not 0 < options["duration"] <= 600 or options["warmup"] < 0:
            raise CommandError("Choose --rps in (0, 1000], --duration in (0, 600] and --warmup >= 0.")
        if _is_superuser():
            return self._as_app_role(options)
        if options["seed_only"]:
            seed.organization_prepare(
                sessions=options["sessions"], reuse=options["reuse"],
                wait_for_statistics=not options["skip_analyze_wait"], write=self.stdout.write,
            )  # fmt: skip
            return
        report = loadtest_run(
            Options(
                sessions=options["sessions"], rps=options["rps"], duration=options["duration"],
                warmup=options["warmup"], reuse=options["reuse"], workers=options["workers"],
                pairs=options["pairs"], production=not options["dev_settings"],
                wait_for_statistics=not options["skip_analyze_wait"],
            ),
            self.stdout.write,
        )  # fmt: skip
        for line in report_lines(report):
            self.stdout.write(line)
        if report.problems:
            raise SystemExit(1)

    def _as_app_role(self, options):
        """A superuser skips row-level security: set up the roles and our own database, generate the organization
        as the app role, give the planner its statistics as the owner (the app role may not ANALYZE, and this
        server's autovacuum may be off), then run the load test as the app role."""
        with devservices.resolve(database=DATABASE, data_folder=devservices.DEVDATA / "loadtest") as services:
            manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
            owner = {**os.environ, **services.environ(role="owner")}
            app = {**os.environ, **services.environ(role="app")}
            subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=owner, check=True)
            self.stdout.write(f"Superuser URL: running as {devservices.APP_ROLE} in the database {DATABASE}")
            sessions = ["--sessions", str(options["sessions"])]
            reuse = ["--reuse"] if options["reuse"] else []
            subprocess.run([*manage, "loadtest", "--seed-only", "--skip-analyze-wait", *sessions, *reuse], env=app,
                           check=True)  # fmt: skip
            started = time.monotonic()
            database = psycopg2.connect(services.owner_url)
            database.autocommit = True
            with database.cursor() as cursor:
                cursor.execute("ANALYZE")
            database.close()
            self.stdout.write(f"  analyzed as {devservices.OWNER_ROLE} in {time.monotonic() - started:.1f} s")
            if options["seed_only"]:
                return
            arguments = ["--reuse", "--skip-analyze-wait", *sessions, "--rps", str(options["rps"]),
                         "--duration", str(options["duration"]), "--warmup", str(options["warmup"]),
                         "--workers", str(options["workers"]), "--pairs", str(options["pairs"])]  # fmt: skip
            if options["dev_settings"]:
                arguments.append("--dev-settings")
            result = subprocess.run([*manage, "loadtest", *arguments], env=app, check=False)
        if result.returncode:
            raise SystemExit(result.returncode)
