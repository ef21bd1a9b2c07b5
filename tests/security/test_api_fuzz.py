"""Bounded API fuzzing: schemathesis sends a few generated cases to every operation as every role, through the
WSGI app in-process against real PostgreSQL and Redis; no response may be a server error or break the schema.
`manage.py fuzz_api --requests 10000` is the long run."""

from __future__ import annotations

import pytest

from mentorship.api_fuzz.runner import RoleFigures, fuzz_operation, in_process_requests, load_schema, operations
from mentorship.api_fuzz.seed import ROLES, fuzz_organization_seed

EXAMPLES_PER_MODE = 2


@pytest.fixture
def unthrottled(settings):
    # The fuzz sends hundreds of requests a minute with each token; the limits have their own tests.
    settings.API_THROTTLE_RATES = {"anon": None, "user": None, "token": None}


@pytest.mark.parametrize("role", list(ROLES))
def test_fuzzing_every_operation_finds_no_server_error_and_no_schema_violation(db, unthrottled, role):
    fuzz = fuzz_organization_seed()
    figures = RoleFigures()
    with in_process_requests():
        schema = load_schema()
        for operation in operations(schema):
            fuzz_operation(
                operation, slug=fuzz.organization.slug, secret=fuzz.secrets[role], figures=figures,
                examples=EXAMPLES_PER_MODE, seed=7,
            )  # fmt: skip
    assert figures.requests > len(operations(schema))
    assert (figures.server_errors, figures.violations) == (0, 0), "\n".join(figures.finding_lines())
