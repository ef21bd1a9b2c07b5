"""The OpenAPI schema describes every endpoint without warnings and validates (drf-spectacular)."""

from __future__ import annotations

import io

from django.core.management import call_command


def test_schema_generates_without_warnings_and_validates(db, tmp_path):
    out = tmp_path / "schema.yaml"
    errors = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=errors)
    schema = out.read_text()
    assert "/api/orgs/{org_slug}/programs/" in schema and "/api/orgs/{org_slug}/members/" in schema
    assert errors.getvalue() == ""
