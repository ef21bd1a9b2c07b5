"""drf-spectacular postprocessing hook: document the error responses every tenant API operation can give.

Every path under /api/orgs/<org_slug>/ answers 401 (a bad, revoked or expired token), 403 (anonymous, or a role
the operation does not allow), 404 (an unknown organization, one the caller is not a member of, or an id of
another organization) and 429 (throttled), each as DRF's `{"detail": ...}`. An operation that writes, or reads with
query parameters, also answers 400 with the errors keyed by field (bad input, or a rule of the service such as
"this application can no longer be withdrawn"); one that takes a body answers 415 to a media type it does not
parse. Documenting them once here keeps the schema true for
clients and for the fuzzing (mentorship/api_fuzz/) without an `extend_schema` on every view.
"""

from __future__ import annotations

TENANT_PREFIX = "/api/orgs/"
METHODS = {"get", "put", "patch", "post", "delete", "head", "options", "trace"}
DETAIL = "ErrorDetail"
FIELD_ERRORS = "FieldErrors"
COMPONENTS = {
    DETAIL: {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    FIELD_ERRORS: {
        "type": "object",
        "description": "Errors keyed by field name (or non_field_errors); each a list of messages or nested errors.",
        "additionalProperties": {},
    },
}
DETAIL_RESPONSES = {
    "401": "Missing, unknown, revoked or expired API token.",
    "403": "Not authenticated, or the caller's role may not use this operation.",
    "404": "No such organization for the caller, or no such object in it.",
    "429": "Too many requests; retry later.",
}


def _response(description: str, component: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def _can_be_refused(method: str, operation: dict) -> bool:
    return method != "get" or any(p.get("in") == "query" for p in operation.get("parameters", []))


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in COMPONENTS.items():
        schemas.setdefault(name, schema)
    for path, item in result.get("paths", {}).items():
        if not path.startswith(TENANT_PREFIX):
            continue
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in DETAIL_RESPONSES.items():
                responses.setdefault(status, _response(description, DETAIL))
            if _can_be_refused(method, operation):
                responses.setdefault("400", _response("Invalid input; the errors name the field.", FIELD_ERRORS))
            if "requestBody" in operation:
                responses.setdefault("415", _response("Unsupported media type of the request body.", DETAIL))
    return result
