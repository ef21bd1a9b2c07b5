"""Bounded API fuzzing: schemathesis sends a few generated cases to every operation as every role, through the
WSGI app in-process against real PostgreSQL and Redis; no response may be a server error or break the schema.
Each operation gets cases with the ids of the fuzz organization's real rows in the path (past the 404s, into the
serializers and services) and cases with generated ids. `manage.py fuzz_api --requests 10000` is the long run."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from mentorship.accounts.models import ApiToken
from mentorship.api_fuzz.runner import RoleFigures, fuzz_operation, in_process_requests, load_schema, operations
from mentorship.api_fuzz.seed import ROLES, SLUG, fuzz_organization_seed, known_path_ids
from mentorship.tenancy.models import Organization
from mentorship.tenancy.scope import tenant_scope
from tests import factories
from tests.conftest import login

# Cases per operation and generation mode (valid, schema-breaking): with real ids, with generated ones.
EXAMPLES_WITH_REAL_IDS, EXAMPLES_WITH_GENERATED_IDS = 2, 1


@pytest.fixture
def unthrottled(settings):
    # The fuzz sends hundreds of requests a minute with each token; tests/security/test_throttling.py has the limits.
    settings.API_THROTTLE_RATES = {"anon": None, "user": None, "token": None}


@pytest.mark.parametrize("role", list(ROLES))
def test_fuzzing_every_operation_finds_no_server_error_and_no_schema_violation(db, unthrottled, role):
    fuzz = fuzz_organization_seed()
    ids = known_path_ids(fuzz.organization)
    figures = RoleFigures()
    with in_process_requests():
        ops = operations(load_schema())
        for index, operation in enumerate(ops):
            for examples, path_ids in ((EXAMPLES_WITH_REAL_IDS, ids), (EXAMPLES_WITH_GENERATED_IDS, None)):
                fuzz_operation(
                    operation, slug=fuzz.organization.slug, secret=fuzz.secrets[role], figures=figures,
                    examples=examples, seed=index, path_parameters=path_ids,
                )  # fmt: skip
    assert figures.requests > 2 * len(ops)
    assert (figures.server_errors, figures.violations) == (0, 0), "\n".join(figures.finding_lines())


# --- What the fuzzing found, pinned ---


@pytest.mark.parametrize("method", ["get", "post", "patch"])
@pytest.mark.parametrize("path", ["programs/not-a-number/", "programs/1%0A/", "no-such-operation/"])
def test_an_api_path_no_route_matches_is_a_json_404(client, tenant_a, method, path):
    # Django's HTML 404 page (or, for a POST, its CSRF failure page) is not what an API client can parse.
    response = getattr(client, method)(f"/api/orgs/{tenant_a.organization.slug}/{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_member_without_department_or_manager_is_described_by_the_schema(client, tenant_a):
    # Their `department` and `manager_id` are null, which the schema did not allow.
    with tenant_a.scope():
        loner = factories.make_membership()
    login(client, tenant_a.admin)
    response = client.get(f"/api/orgs/{tenant_a.organization.slug}/members/{loner.pk}/")
    assert (response.json()["department"], response.json()["manager_id"]) == (None, None)
    membership = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]["Membership"]
    assert membership["properties"]["manager_id"]["nullable"] is True
    assert membership["properties"]["department"]["nullable"] is True


def test_every_tenant_operation_documents_its_error_responses():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        if not path.startswith("/api/orgs/"):
            continue
        for method, operation in item.items():
            expected = {"401", "403", "404", "429"} | ({"400"} if method != "get" else set())
            expected |= {"415"} if "requestBody" in operation else set()
            assert expected <= set(operation["responses"]), (method, path)


def test_the_fuzz_api_command_prints_figures_per_role_and_leaves_no_token_valid(db):
    out = io.StringIO()
    call_command("fuzz_api", "--requests", "60", "--seed", "3", stdout=out)
    lines = out.getvalue().splitlines()
    names = {*ROLES, "total"}
    rows = {cells[0]: cells[1:] for cells in map(str.split, lines) if cells and cells[0] in names}
    assert {name: row[0] for name, row in rows.items()} == {**{role: "10" for role in ROLES}, "total": "60"}
    assert lines[-1] == "0 server errors, 0 schema violations"
    organization = Organization.objects.get(slug=SLUG)
    with tenant_scope(organization):
        assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
        assert ApiToken.objects.count() == len(ROLES)
