"""Fuzz the API with schemathesis as every role until N requests are sent; print the findings per role.

The fuzz organization `api-fuzz` (mentorship/api_fuzz/seed.py) is found or created and restored before each role,
and each role gets a fresh personal API token, revoked at the end. Every operation of the OpenAPI schema served at
/api/schema/ is called through the WSGI app in this process (no server, no network), in rounds: each round sends a
few generated cases per operation (valid ones, then ones that break the schema), with a new seed, until the
role's share of the requests is spent; the first and every other round put the ids of the organization's real rows
in the path, the others generated ids. A response is a finding when it is a server error (5xx) or does not conform
to the schema (undocumented status code or content type, a body or header the schema does not describe). Exits 1
when there is any.

Throttling is off for the run (thousands of requests a minute per token); tests/security/test_throttling.py
covers the limits.
"""

from __future__ import annotations

import itertools
import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from mentorship.api_fuzz.runner import RoleFigures, fuzz_operation, in_process_requests, load_schema, operations
from mentorship.api_fuzz.seed import ROLES, fuzz_organization_seed, fuzz_tokens_revoke, known_path_ids

EXAMPLES_PER_ROUND = 4  # per operation and generation mode
ROLE_SEED_STRIDE = 1_000_000  # each role's rounds draw from seeds of their own


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=10_000, help="total requests over all roles")
        parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed of the first round")
        parser.add_argument("--show", type=int, default=30, help="distinct findings to print")

    def handle(self, *args, requests, seed, show, **options):
        if requests < len(ROLES):
            raise CommandError(f"--requests must be at least {len(ROLES)} (one per role).")
        started = time.monotonic()
        figures: dict[str, RoleFigures] = {}
        with override_settings(API_THROTTLE_RATES={"anon": None, "user": None, "token": None}), in_process_requests():
            schema = load_schema()  # loads the WSGI app, whose set-up configures logging again: quieten after it
            # Every 4xx would be a "Not Found: ..." warning line; server errors are still logged, with their traceback.
            logging.getLogger("django.request").setLevel(logging.ERROR)
            ops = operations(schema)
            self.stdout.write(
                f"API fuzz: {len(ops)} operations x {len(ROLES)} roles, {requests:,} requests, seed {seed}, "
                f"database role {connection.settings_dict['USER']}, in-process WSGI"
            )
            shares = _shares(requests, len(ROLES))
            try:
                for index, (role, share) in enumerate(shares.items()):
                    figures[role] = self._fuzz_role(role, share, ops, seed=seed + index * ROLE_SEED_STRIDE)
            finally:  # no fuzz token outlives its run, even one stopped by Ctrl-C
                fuzz_tokens_revoke()
        self._report(figures, elapsed=time.monotonic() - started, show=show)
        if any(f.server_errors or f.violations for f in figures.values()):
            raise SystemExit(1)

    def _fuzz_role(self, role: str, share: int, ops, *, seed: int) -> RoleFigures:
        fuzz = fuzz_organization_seed()  # restores what the previous role's requests changed
        ids = known_path_ids(fuzz.organization)
        figures = RoleFigures()
        for round_number in itertools.count():
            before = figures.requests
            for index, operation in enumerate(ops):
                fuzz_operation(
                    operation, slug=fuzz.organization.slug, secret=fuzz.secrets[role], figures=figures,
                    examples=EXAMPLES_PER_ROUND, seed=seed + round_number * len(ops) + index, budget=share,
                    path_parameters=None if round_number % 2 else ids,
                )  # fmt: skip
                if figures.requests >= share:
                    return figures
            if figures.requests == before:  # nothing more to generate
                break
        return figures

    def _report(self, figures: dict[str, RoleFigures], *, elapsed: float, show: int) -> None:
        line = "{:<14} {:>9} {:>7} {:>13} {:>18}"
        self.stdout.write(line.format("role", "requests", "2xx", "server errors", "schema violations"))
        for role, f in figures.items():
            self.stdout.write(line.format(role, f"{f.requests:,}", f"{f.successes:,}", f.server_errors, f.violations))
        total = RoleFigures(
            requests=sum(f.requests for f in figures.values()),
            server_errors=sum(f.server_errors for f in figures.values()),
            violations=sum(f.violations for f in figures.values()),
            successes=sum(f.successes for f in figures.values()),
        )
        self.stdout.write(
            line.format("total", f"{total.requests:,}", f"{total.successes:,}", total.server_errors, total.violations)
        )
        self.stdout.write(f"{total.requests / elapsed:.0f} requests/s over {elapsed:.1f} s")
        for f in figures.values():
            total.findings.update(f.findings)
        for finding in total.finding_lines(show):
            self.stdout.write(f"  {finding}")
        style = self.style.ERROR if total.server_errors or total.violations else self.style.SUCCESS
        self.stdout.write(style(f"{total.server_errors} server errors, {total.violations} schema violations"))


def _shares(requests: int, parts: int) -> dict[str, int]:
    base, extra = divmod(requests, parts)
    return {role: base + (1 if index < extra else 0) for index, role in enumerate(ROLES)}
