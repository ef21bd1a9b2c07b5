"""One load test: the organization, the credentials, gunicorn, then locust's figures against the targets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connection

from analytics.loadtest import seed, server

SCENARIOS = ("log session (API)", "workspace page", "HR dashboard")
P99_TARGET_MS = 250  # the workspace page and the dashboard, at the requested rate, with 0 errors
TARGETED = ("workspace page", "HR dashboard")
RATE_TOLERANCE = 0.95  # the rate served must be at least this share of the one requested


@dataclass(frozen=True)
class Options:
    sessions: int = 1_000_000
    rps: float = 50
    duration: float = 60
    warmup: float = 5
    reuse: bool = False
    workers: int = 4  # docker-compose.yml's WEB_CONCURRENCY
    pairs: int = 25
    production: bool = True
    wait_for_statistics: bool = True


@dataclass
class Report:
    endpoints: list[dict]
    errors: list[dict]
    options: Options
    server_cpu_ms: float  # gunicorn workers' CPU per request, warm-up included
    database_cpu_ms: float  # the PostgreSQL backends' of the server's connections, per request
    load_average: tuple[float, float]  # the machine's 1-minute load average before and after the traffic

    def endpoint(self, name: str) -> dict:
        return next((row for row in self.endpoints if row["name"] == name), {"name": name, "requests": 0})

    @property
    def problems(self) -> list[str]:
        found = []
        for name in SCENARIOS:
            row = self.endpoint(name)
            if not row["requests"]:
                found.append(f"{name}: no response")
                continue
            if row["failures"]:
                found.append(f"{name}: {row['failures']} errors")
            if name in TARGETED and row["p99"] >= P99_TARGET_MS:
                found.append(f"{name}: p99 {row['p99']:.0f} ms >= {P99_TARGET_MS} ms")
        served = sum(self.endpoint(name).get("rps", 0) for name in SCENARIOS)
        if served < self.options.rps * RATE_TOLERANCE:
            found.append(f"served {served:.1f} requests/s of the {self.options.rps:g} asked")
        return found


def loadtest_run(options: Options, write) -> Report:
    write(f"Load test: {options.sessions:,} sessions, {options.rps:g} requests/s for {options.duration:g} s "
          f"(+{options.warmup:g} s warm-up) over {', '.join(SCENARIOS)}; "
          f"database role {connection.settings_dict['USER']}")  # fmt: skip
    organization = seed.organization_prepare(
        sessions=options.sessions, reuse=options.reuse, wait_for_statistics=options.wait_for_statistics, write=write
    )
    seed.metrics_ensure(organization, write)
    actors = seed.actors_create(organization, pairs=options.pairs)
    environment = server.server_environment(
        database=server.database_url(connection.settings_dict), production=options.production
    )
    if options.production:
        server.collect_static(environment, write=write)
    connection.close()  # nothing of ours holds a connection while the server is measured (closed again below)
    with server.gunicorn(environment, workers=options.workers) as running:
        write(f"  gunicorn ({options.workers} workers, DJANGO_ENV={environment['DJANGO_ENV']}) on {running.base}")
        plan = {
            "host": running.base, "slug": organization.slug, "rps": options.rps, "duration": options.duration,
            "warmup": options.warmup, "scenarios": SCENARIOS, "cookie_name": settings.SESSION_COOKIE_NAME,
            "topics_marker": seed.TOPICS_MARKER, "hr_session": actors.hr_session,
            "pairs": [asdict(pair) for pair in actors.pairs],
        }  # fmt: skip
        load_before, cpu_before = os.getloadavg()[0], server.workers_cpu_seconds(running.pid)
        database_before = server.database_cpu_seconds()
        database_seen = dict(database_before)
        traffic = subprocess.Popen(
            [sys.executable, "-m", "analytics.loadtest.traffic"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=settings.BASE_DIR,
        )  # fmt: skip
        outcome = {}

        def talk():
            outcome["out"], outcome["err"] = traffic.communicate(json.dumps(plan))

        talking = threading.Thread(target=talk)
        talking.start()
        deadline = time.monotonic() + options.warmup + options.duration + 120
        # Sampled every second: a backend that the server replaces (CONN_MAX_AGE) keeps what it had used.
        while talking.is_alive() and time.monotonic() < deadline:
            database_seen.update(server.database_cpu_seconds())
            talking.join(timeout=1)
        if talking.is_alive():
            traffic.kill()
            talking.join()
        cpu = server.workers_cpu_seconds(running.pid) - cpu_before
        database_cpu = sum(seconds - database_before.get(pid, 0) for pid, seconds in database_seen.items())
        connection.close()
    if traffic.returncode != 0:
        raise RuntimeError(f"the locust process failed ({traffic.returncode}):\n{outcome.get('err', '')[-3000:]}")
    figures = json.loads(outcome["out"])
    served = figures["warmup_requests"] + sum(row["requests"] for row in figures["endpoints"])
    return Report(
        endpoints=figures["endpoints"], errors=figures["errors"], options=options,
        server_cpu_ms=1000 * cpu / max(served, 1), database_cpu_ms=1000 * database_cpu / max(served, 1),
        load_average=(load_before, os.getloadavg()[0]),
    )  # fmt: skip


def report_lines(report: Report) -> list[str]:
    lines = [
        f"{'endpoint':<20} {'requests':>9} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'errors':>7}",
        "-" * 78,
    ]
    for name in SCENARIOS:
        row = report.endpoint(name)
        if not row["requests"]:
            lines.append(f"{name:<20} {0:>9}")
            continue
        lines.append(
            f"{name:<20} {row['requests']:>9,} {row['rps']:>7.1f} {row['p50']:>4.0f} ms {row['p95']:>4.0f} ms "
            f"{row['p99']:>4.0f} ms {row['max']:>4.0f} ms {row['failures']:>7}"
        )
    lines.extend(f"  error: {error['name']}: {error['error']} (x{error['occurrences']})" for error in report.errors)
    lines.append(f"CPU a request: {report.server_cpu_ms:.1f} ms gunicorn, {report.database_cpu_ms:.1f} ms PostgreSQL; "
                 f"load average {report.load_average[0]:.1f} before, {report.load_average[1]:.1f} after "
                 f"on {os.cpu_count()} CPUs")  # fmt: skip
    problems = report.problems
    target = (f"targets: workspace page and HR dashboard p99 < {P99_TARGET_MS} ms at {report.options.rps:g} "
              f"requests/s, 0 errors")  # fmt: skip
    lines.append(f"PASS ({target})" if not problems else f"FAIL ({target}): " + "; ".join(problems))
    return lines
