"""The OpenAPI document says what errors look like: every /v1 operation lists its problem responses
(`application/problem+json`, one `Problem` schema) instead of FastAPI's default 422 `HTTPValidationError`,
which no response of this API has ever had."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PROBLEM = "#/components/schemas/Problem"
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details; see docs/problems.md for every `type`.",
    "required": ["type", "title", "status"],
    "additionalProperties": True,
    "properties": {
        "type": {"type": "string", "examples": ["/problems/unknown-role"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "For `/problems/validation`: each invalid field, e.g. `body.name` or `query.as_of`.",
            "items": {
                "type": "object",
                "required": ["field", "message", "type"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "type": {"type": "string"}},
            },
        },
    },
}
_BEARER = {
    "401": "No bearer token, or an invalid one",
    "403": "The caller's role may not do this",
}
_ALWAYS = {
    "404": "No such resource, or one the caller may not see",
    "422": "Invalid input (each field named in `errors`), or a rule of the domain",
}
_COMMANDS = {"409": "The command contradicts the current state, or lost repeated races"}
_BODY = {
    "400": "The body is not text in UTF-8",
    "413": "The body is larger than KAMPLAN_MAX_BODY_BYTES; nothing read further, nothing written",
}
_IF_MATCH = {
    "412": "If-Match names no version the resource is at, or is * and the resource does not exist; nothing written"
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": {"$ref": PROBLEM}}}}


def _document(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            codes = dict(_ALWAYS)
            if "security" in operation:  # signed instead (the ERP's webhooks): the route lists its own 401
                codes |= _BEARER
            if method != "get":
                codes |= _COMMANDS
            if "if-match" in headers:
                codes |= _IF_MATCH
            if "requestBody" in operation:
                codes |= _BODY
            responses = operation.setdefault("responses", {})
            for code, description in codes.items():
                responses[code] = _problem(description)
            for code in ("401", "503"):  # a route's own, documented in its decorator
                if code in responses:
                    responses[code] = _problem(responses[code]["description"])
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = _SCHEMA


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document(generate())
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
