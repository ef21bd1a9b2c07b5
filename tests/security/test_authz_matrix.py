"""The authorization matrix (tests/security/authz_matrix.toml) against seeded data: every page and API operation, as
every role, in our own organization, in the other one, and with the other one's ids under our own slug. Each cell
checks the outcome, that no body shows organization B's canary, and that a write changed no row of B.

Run alone: `make test PYTEST_ARGS='-m authz'`; the run ends with the figures line."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import resolve, reverse

from tests.security import authz_figures, authz_matrix
from tests.security.authz_seed import CANARY, PRIVATE_NOTE, build_world, fingerprint

pytestmark = [pytest.mark.authz, pytest.mark.django_db]

MATRIX = authz_matrix.load()
ROUTES = authz_matrix.url_patterns()
CELLS = authz_matrix.expand(MATRIX, ROUTES)
READS = ("GET", "HEAD")
DENIED = (401, 403, 404, 405)


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker):
    """Organizations A (ours) and B (canaries), built once inside a transaction that each test nests a savepoint in
    and that is rolled back after the module, so the rest of the suite never sees them."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            own = build_world("Org Alpha", "authz-alpha", "Alpha ")
            other = build_world("Org Beta", "authz-beta", f"{CANARY}-")
            baseline = fingerprint(other)
            yield own, other, baseline
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def build_url(cell: authz_matrix.Cell, own, other) -> str:
    route = ROUTES[cell.route]
    ids_from = own if cell.org == "own" else other
    slug_of = other if cell.org == "other" else own
    kwargs = {}
    for kwarg, target in authz_matrix.kwarg_targets(MATRIX, cell.route).items():
        if kwarg not in route.kwargs:
            continue
        if target.startswith("="):
            kwargs[kwarg] = target[1:]
        else:
            kwargs[kwarg] = ids_from.ids[target]
    if route.in_organization:
        kwargs["org_slug"] = slug_of.slug
    missing = set(route.kwargs) - set(kwargs)
    assert not missing, f"{cell.route}: no target for URL kwargs {missing}; add them to [kwargs] or the route"
    return reverse(cell.route, kwargs=kwargs)


def perform(client, method: str, url: str, route: authz_matrix.Route, role: str, own):
    """The request as `role` of organization A: a session for pages, the role's personal API token for the API."""
    headers = {}
    if role != "anonymous":
        if authz_matrix.uses_token(MATRIX, route):
            headers["HTTP_AUTHORIZATION"] = f"Bearer {own.tokens[role]}"
        else:
            client.force_login(own.members[role].user)
    call = getattr(client, method.lower())
    if method in READS or method == "DELETE":
        return call(url, **headers)
    if route.is_api:
        return call(url, data={}, content_type="application/json", **headers)
    return call(url, data={}, **headers)


def outcome(response):
    if response.status_code in (301, 302) and response["Location"].startswith(reverse("account_login")):
        return "login"
    return response.status_code


def matches(expected, actual) -> bool:
    if expected == "allow":
        return actual != "login" and actual not in DENIED and actual < 500
    if expected == "deny":
        return actual in (403, 404)
    return expected == actual


def body(response) -> bytes:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content + response.get("Location", "").encode()


@pytest.mark.parametrize("cell", CELLS, ids=[cell.id for cell in CELLS])
def test_cell(cell, worlds, client):
    own, other, baseline = worlds
    cache.clear()  # throttle counters: each cell starts from zero
    route = ROUTES[cell.route]
    url = build_url(cell, own, other)
    response = perform(client, cell.method, url, route, cell.role, own)
    actual = outcome(response)
    content = body(response)
    leaked = CANARY.encode() in content
    # The mentor's private note is someone else's data to every other role of the same organization.
    note_shown = cell.role != "mentor" and PRIVATE_NOTE.encode() in content
    changed = cell.method not in READS and fingerprint(other) != baseline
    authz_figures.record(leaked=leaked or note_shown, changed=changed)
    where = f"{cell.method} {url} as {cell.role} ({cell.org})"
    assert not leaked, f"{where}: the response shows organization B's data"
    assert not changed, f"{where}: a row of organization B changed"
    assert not note_shown, f"{where}: the response shows the mentor's private note"
    assert matches(cell.expected, actual), f"{where}: expected {cell.expected}, got {actual}"


def test_every_route_is_in_the_matrix_or_excluded_with_a_reason():
    missing = [
        f"{name} ({route.path})"
        for name, route in ROUTES.items()
        if name not in MATRIX["route"] and not authz_matrix.excluded(MATRIX, route)
    ]
    assert not missing, f"routes without a row in {authz_matrix.MATRIX_PATH.name}: {missing}"


def test_api_rows_list_exactly_the_methods_the_view_answers():
    for name, entry in MATRIX["route"].items():
        view = _view_class(name)
        if view is None:
            continue
        answered = {m.upper() for m in view.http_method_names if m not in ("options", "head") and hasattr(view, m)}
        assert set(entry["methods"]) == answered, f"{name}: the view answers {sorted(answered)}"


def _view_class(name: str):
    """The class of a class-based view (DRF's APIView and Django's View keep it on the callback), else None."""
    route = ROUTES[name]
    sample = {kwarg: 1 if f"<int:{kwarg}>" in route.path else "x" for kwarg in route.kwargs}
    return getattr(resolve(reverse(name, kwargs=sample)).func, "cls", None)


FUNCTION_VIEW_GAPS = [
    (name, method)
    for name, entry in MATRIX["route"].items()
    if _view_class(name) is None
    for method in ("GET", "POST")
    if method not in entry["methods"]
]


@pytest.mark.parametrize(("name", "method"), FUNCTION_VIEW_GAPS, ids=[f"{n}-{m}" for n, m in FUNCTION_VIEW_GAPS])
def test_a_method_the_row_leaves_out_is_refused(name, method, worlds, client):
    """A page row lists its methods by hand: an org admin (the role most checks let through) is refused any other
    method (405, or 403/404 where the role check comes first), so a page that starts accepting POST needs its row."""
    own, other, _ = worlds
    cell = authz_matrix.Cell(name, method, "org_admin", "own", 405)
    response = perform(client, method, build_url(cell, own, other), ROUTES[name], "org_admin", own)
    assert response.status_code in (403, 404, 405), f"{method} {name} answers {response.status_code}"


def test_the_checks_can_fail(worlds, client):
    """The canaries render where they belong and the fingerprint notices a change, so 0 found means 0 there."""
    _, other, baseline = worlds
    client.force_login(other.members["mentor"].user)
    page = client.get(
        reverse("mentorship_detail", kwargs={"org_slug": other.slug, "mentorship_id": other.ids["mentorship"]})
    )
    assert CANARY.encode() in page.content
    note = client.get(
        reverse("api_session_private_note", kwargs={"org_slug": other.slug, "session_id": other.ids["session"]})
    )
    assert PRIVATE_NOTE.encode() in note.content
    from programs.models import Goal

    with other.scope():
        Goal.objects.filter(pk=other.ids["goal"]).update(title=f"{CANARY} goal, edited")
    assert fingerprint(other) != baseline
