"""Health, readiness, metrics and the checked-in OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

import httpx

from service.openapi import render


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["checks"]["database"]["status"] == "ok"


async def test_metrics_are_prometheus_text(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    assert 'kamplan_http_request_seconds_count{method="GET",route="/healthz",status="200"}' in response.text
    assert "kamplan_append_seconds_bucket" in response.text


def test_the_checked_in_openapi_document_is_current(repo_root) -> None:
    checked_in = (repo_root / "openapi" / "openapi.json").read_text()
    assert checked_in == render(), "openapi/openapi.json is stale: run `kamplan openapi`"
    assert json.loads(checked_in)["info"]["title"] == "kamplan"


def test_schema_names_do_not_leak_module_paths() -> None:
    """FastAPI names two models of the same name after their modules (service__api__routes__...): a contract that
    would change with every refactoring. Every request and response model needs a name of its own."""
    schemas = json.loads(render())["components"]["schemas"]
    assert [name for name in schemas if "__" in name] == []


def test_every_v1_operation_documents_its_errors_as_problems() -> None:
    document = json.loads(render())
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if not path.startswith("/v1/"):
                continue
            expected = {"401", "404", "422"} | ({"409"} if method != "get" else set())
            expected |= {"400", "413"} if "requestBody" in operation else set()
            if "security" in operation:  # a bearer token: its role may be wrong
                expected.add("403")
            assert expected <= set(responses), (method, path)
            assert all(responses[code]["content"] == problem for code in expected), (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_erp_webhook_documents_its_signature_not_a_bearer_token() -> None:
    operation = json.loads(render())["paths"]["/v1/erp/webhooks"]["post"]
    assert "security" not in operation
    assert "403" not in operation["responses"]
    assert "invalid-signature" in operation["responses"]["401"]["description"]
    assert "erp-webhooks-off" in operation["responses"]["503"]["description"]


def _untyped(schema: dict[str, Any], where: str, schemas: dict[str, Any], seen: set[str]) -> list[str]:
    """Places in a request schema that take any value, or an object of any fields."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return [] if name in seen else _untyped(schemas[name], name, schemas, seen | {name})
    alternatives = [s for key in ("anyOf", "oneOf", "allOf") for s in schema.get(key, [])]
    found = [place for s in alternatives for place in _untyped(s, where, schemas, seen)]
    if not alternatives and "type" not in schema and "enum" not in schema and "const" not in schema:
        found.append(where)
    if (
        schema.get("type") == "object"
        and not schema.get("properties")
        and schema.get("additionalProperties")
        in (
            None,
            True,
        )
    ):
        found.append(where)
    for name, field in schema.get("properties", {}).items():
        found += _untyped(field, f"{where}.{name}", schemas, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _untyped(schema[key], f"{where}[]", schemas, seen)
    return found


def test_every_request_body_is_typed_in_the_document() -> None:
    """A client generated from the document knows what to send: no body, and no field of one, is left as 'any
    object' (plan items were, before their shapes were written from the domain's dataclasses)."""
    document = json.loads(render())
    schemas = document["components"]["schemas"]
    untyped = [
        place
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if (body := operation.get("requestBody"))
        for place in _untyped(body["content"]["application/json"]["schema"], f"{method} {path}", schemas, set())
    ]
    assert untyped == []
    item = document["paths"]["/v1/plans/{plan_id}/draft/{item_type}/{item_id}"]["put"]["requestBody"]
    shapes = {s["$ref"].rsplit("/", 1)[1] for s in item["content"]["application/json"]["schema"]["anyOf"]}
    assert shapes == {"GoalItem", "StrategyItem", "ActionItem", "NoteItem"}
    assert "item_id" not in schemas["ActionItem"]["properties"]  # the path names it
