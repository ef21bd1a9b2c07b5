"""The load itself: locust as a library, in a process of its own (`python -m analytics.loadtest.traffic`).

Locust patches the standard library for gevent when it is imported (before any socket or ssl module is in use);
Django and psycopg2 in the command's process must not be patched, hence the separate process. It reads
a JSON plan on standard input (the server, the scenarios with their credentials, the rate, the duration) and
writes locust's own figures (`environment.stats`) as JSON on standard output.

Each scenario is a user class with a fixed number of users, each paced by `constant_throughput`, so the total
rate is split evenly across the scenarios. A warm-up runs first and its figures are reset before the measured run.
"""

from __future__ import annotations

import json
import math
import random
import sys
from datetime import UTC, datetime, timedelta

import gevent
from locust import FastHttpUser, constant_throughput, task
from locust.env import Environment

PER_USER_RATE = 1.0  # requests a second each simulated user aims at; users = ceil(rate of the scenario / this)


def _page_check(response, marker: str) -> None:
    """A page counts only as a 200 showing `marker`: a redirect to the login page is an error, not a success."""
    if response.status_code != 200:
        response.failure(f"HTTP {response.status_code}")
    elif marker not in response.text:
        response.failure(f"the page does not show {marker!r}")


def _user_class(name: str, users: int, rate: float, plan: dict) -> type[FastHttpUser]:
    pairs = plan["pairs"]
    headers = {"X-Forwarded-Proto": "https"}  # as the TLS proxy in front of production sets it
    counter = iter(range(10**9))

    class Scenario(FastHttpUser):
        fixed_count = users
        wait_time = constant_throughput(rate / users)
        host = plan["host"]

        def on_start(self):
            self.pair = pairs[next(counter) % len(pairs)]  # users spread over the pairs

        def _cookie(self, key: str) -> dict:
            return {**headers, "Cookie": f"{plan['cookie_name']}={key}"}

        if name == "log session (API)":

            @task
            def log_session(self):
                held = datetime.now(UTC) - timedelta(minutes=random.randint(60, 60 * 24 * 6))
                body = {"starts_at": held.isoformat(), "duration_minutes": 45, "topics": plan["topics_marker"],
                        "shared_notes": "Went through the plan for next month."}  # fmt: skip
                with self.client.post(
                    f"/api/orgs/{plan['slug']}/mentorships/{self.pair['mentorship_id']}/sessions/log/",
                    json=body, headers={**headers, "Authorization": f"Bearer {self.pair['mentor_token']}"},
                    name=name, catch_response=True,
                ) as response:  # fmt: skip
                    if response.status_code != 201:
                        response.failure(f"HTTP {response.status_code}: {response.text[:200]}")

        elif name == "workspace page":

            @task
            def workspace(self):
                with self.client.get(
                    f"/o/{plan['slug']}/mentorships/{self.pair['mentorship_id']}/",
                    headers=self._cookie(self.pair["mentee_session"]), name=name, allow_redirects=False,
                    catch_response=True,
                ) as response:  # fmt: skip
                    _page_check(response, "Past sessions")

        else:

            @task
            def dashboard(self):
                with self.client.get(
                    f"/o/{plan['slug']}/analytics/", headers=self._cookie(plan["hr_session"]), name=name,
                    allow_redirects=False, catch_response=True,
                ) as response:  # fmt: skip
                    _page_check(response, "Computed at")

    Scenario.__name__ = "".join(part.capitalize() for part in name.replace("(", "").replace(")", "").split())
    return Scenario


def _figures(environment: Environment) -> dict:
    rows = []
    for entry in environment.stats.entries.values():
        rows.append({
            "name": entry.name, "requests": entry.num_requests, "failures": entry.num_failures,
            "rps": entry.total_rps,
            "p50": entry.get_response_time_percentile(0.50), "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99), "max": entry.max_response_time,
        })  # fmt: skip
    errors = [
        {"name": error.name, "error": str(error.error), "occurrences": error.occurrences}
        for error in environment.stats.errors.values()
    ]
    return {"endpoints": rows, "errors": errors}


def run(plan: dict) -> dict:
    rate = plan["rps"] / len(plan["scenarios"])
    user_classes = [
        _user_class(name, max(1, math.ceil(rate / PER_USER_RATE)), rate, plan) for name in plan["scenarios"]
    ]
    environment = Environment(user_classes=user_classes, host=plan["host"], stop_timeout=10)
    runner = environment.create_local_runner()
    users = sum(user_class.fixed_count for user_class in user_classes)
    runner.start(users, spawn_rate=max(1, users))  # every user within the first second
    gevent.sleep(plan["warmup"])
    warmup_requests = environment.stats.total.num_requests
    environment.stats.reset_all()  # the warm-up (first requests of each worker process) is not measured
    gevent.sleep(plan["duration"])
    figures = {**_figures(environment), "warmup_requests": warmup_requests}
    runner.quit()
    return figures


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
