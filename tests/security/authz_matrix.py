"""Reads tests/security/authz_matrix.toml (its format is described at its top) and expands it into cells, and lists
the project's URL patterns so a route the matrix does not cover fails the test."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

MATRIX_PATH = Path(__file__).with_name("authz_matrix.toml")
SIGNED_IN = ("org_admin", "program_admin", "hr_analyst", "mentor", "mentee", "member")
ROLES = (*SIGNED_IN, "anonymous")


@dataclass(frozen=True)
class Route:
    name: str
    path: str  # the pattern as written, e.g. "o/<slug:org_slug>/mentorships/<int:mentorship_id>/"
    kwargs: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.path.startswith("api/")

    @property
    def in_organization(self) -> bool:
        return "org_slug" in self.kwargs


def uses_token(matrix: dict, route: Route) -> bool:
    """API routes are called with the role's personal API token, unless the row says auth = "session"."""
    return route.is_api and matrix["route"].get(route.name, {}).get("auth", "token") == "token"


@dataclass(frozen=True)
class Cell:
    """One request: `org` is "own" (our slug, our rows), "other" (the other organization's slug and rows) or
    "foreign_ids" (our slug with the other organization's row ids)."""

    route: str
    method: str
    role: str
    org: str
    expected: object  # "allow", "login", "deny" (403 or 404), or a status code

    @property
    def id(self) -> str:
        return f"{self.route}-{self.method}-{self.role}-{self.org}"


def url_patterns() -> dict[str, Route]:
    """Every route of the project by URL name, found by walking the resolver; an unnamed one is listed by its path
    so it still fails the coverage test."""
    routes: dict[str, Route] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                path = prefix + str(pattern.pattern)
                name = f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {path}>"
                routes.setdefault(name, Route(name, path, tuple(sorted(set(_kwarg_names(path))))))

    walk(get_resolver().url_patterns, "", "")
    return routes


def _kwarg_names(path: str) -> list[str]:
    return [part.split(">", 1)[0].split(":")[-1] for part in path.split("<")[1:]]


def load() -> dict:
    with MATRIX_PATH.open("rb") as file:
        return tomllib.load(file)


def excluded(matrix: dict, route: Route) -> str | None:
    """The reason a route is outside the matrix, or None."""
    for prefix, reason in matrix["excluded"].items():
        if route.path.startswith(prefix):
            return reason
    return None


def _roles(matrix: dict, spec) -> set[str]:
    names = [spec] if isinstance(spec, str) else list(spec)
    roles: set[str] = set()
    for name in names:
        roles.update(matrix["aliases"].get(name, [name]))
    unknown = roles - set(ROLES)
    assert not unknown, f"unknown roles {unknown} in the matrix"
    return roles


def _per_role(entry: dict, key: str, role: str, default):
    value = entry.get(key, default)
    return value.get(role, value.get("default", default)) if isinstance(value, dict) else value


def expand(matrix: dict, routes: dict[str, Route]) -> list[Cell]:
    """One cell per route x method x role x organization column."""
    defaults = matrix["defaults"]
    cells: list[Cell] = []
    for name, entry in matrix["route"].items():
        route = routes.get(name)
        assert route is not None, f"the matrix names a route that does not exist: {name}"
        anonymous = defaults["anonymous_api" if route.is_api else "anonymous_page"]
        for method in entry["methods"]:
            allowed = _roles(matrix, entry.get(method, entry.get("roles", [])))
            for role in ROLES:
                if role in allowed:
                    own = "allow"
                elif role == "anonymous":
                    own = _per_role(entry, "anonymous", role, anonymous)
                else:
                    own = _per_role(entry, "denied", role, defaults["denied"])
                cells.append(Cell(name, method, role, "own", own))
                if not route.in_organization:
                    continue
                signed_in_other = defaults["other_org_api"] if uses_token(matrix, route) else defaults["other_org"]
                if entry.get("other_org") != "skip":
                    other = _per_role(entry, "anonymous", role, anonymous) if role == "anonymous" else signed_in_other
                    cells.append(Cell(name, method, role, "other", other))
                if _points_at_rows(kwarg_targets(matrix, name), route):
                    # Anonymous keeps its login answer; whoever the route lets in must find nothing.
                    foreign = own if role == "anonymous" and own != "allow" else "deny"
                    cells.append(Cell(name, method, role, "foreign_ids", foreign))
    return cells


def kwarg_targets(matrix: dict, name: str) -> dict[str, str]:
    """URL kwarg -> the World.ids key it takes for this route ("=value" is a literal)."""
    return {**matrix["kwargs"], **matrix["route"].get(name, {}).get("kwargs", {})}


def _points_at_rows(targets: dict[str, str], route: Route) -> bool:
    return any(not targets[kwarg].startswith("=") for kwarg in route.kwargs if kwarg != "org_slug")
