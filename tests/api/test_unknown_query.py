"""A query parameter a route does not have is refused, naming it: ignored, `?asof=` for `as_of` answered the present
to a reader asking for the past. The ERP's routes stay lenient."""

from __future__ import annotations

import httpx
import orjson
from fastapi.routing import APIRoute, iter_route_contexts

from service.api.query_guard import query_names
from service.events import EventStore
from service.main import create_app
from tests.api.test_dossier import setup as dossier_setup
from tests.support.erp import post, signed


def refused(response: httpx.Response, *names: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "/problems/validation", response.text
    assert [(e["field"], e["type"]) for e in problem["errors"]] == [(f"query.{n}", "extra_forbidden") for n in names]
    assert {e["message"] for e in problem["errors"]} == {"is not a parameter of this request"}


async def test_a_misspelt_as_of_is_refused_not_answered_with_the_present(client: httpx.AsyncClient, auth) -> None:
    path, kam = await dossier_setup(client, auth)
    before = "2000-01-01T00:00:00Z"
    refused(await client.get(f"{path}/dossier", params={"asof": before}, headers=kam), "asof")
    then = await client.get(f"{path}/dossier", params={"as_of": before}, headers=kam)
    assert then.status_code == 404, then.text  # the account did not exist then: the spelt one is read


async def test_each_unknown_name_is_named_once_and_a_dependencys_parameters_are_known(
    client: httpx.AsyncClient, auth
) -> None:
    _, kam = await dossier_setup(client, auth)
    sent = "min_postion=1&limt=5&min_postion=2"
    refused(await client.get(f"/v1/accounts?{sent}", headers=kam), "min_postion", "limt")
    listed = await client.get("/v1/accounts", params={"min_position": 0, "limit": 5}, headers=kam)
    assert listed.status_code == 200, listed.text


async def test_a_command_with_an_unknown_parameter_writes_nothing(
    client: httpx.AsyncClient, auth, store: EventStore
) -> None:
    path, kam = await dossier_setup(client, auth)
    before = await store.head_position()
    changed = await client.patch(path, params={"dry_run": "true"}, json={"region": "Tatarstan"}, headers=kam)
    refused(changed, "dry_run")
    assert await store.head_position() == before


async def test_the_erp_may_add_parameters_to_its_delivery_url(erp: httpx.AsyncClient, account: str) -> None:
    data = {"account_id": account, "number": "SO-7002", "on": "2026-11-20", "amount": "10.00", "currency": "RUB",
            "lines": [{"sku": "FF-200", "name": "Fuel filter", "quantity": 1, "amount": "10.00"}]}  # fmt: skip
    body = orjson.dumps({"type": "order", "timestamp": "2026-11-20T10:00:00Z", "data": data})
    taken = await erp.post("/v1/erp/webhooks?source=sap&tenant=7", content=body, headers=signed(body))
    assert taken.status_code == 200, taken.text
    again = await post(erp, body, signed(body))  # the same document without them: one document, not two
    assert again.status_code == 200, again.text


def test_the_guard_knows_every_query_parameter_the_api_documents(settings) -> None:
    """What the guard accepts is what `openapi.json` promises, route by route, so a new way of declaring a parameter
    (a query model, say) cannot make a documented parameter a 422."""
    app = create_app(settings)
    documented = {
        (path, method.upper()): {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
    }
    guarded = {
        (route.path_format, method): set(query_names(route.original_route.dependant))  # what a request's scope holds
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
        and route.path_format.startswith("/v1/")
        and route.include_in_schema
        for method in route.methods
    }
    assert guarded == {key: names for key, names in documented.items() if key[0].startswith("/v1/")}
