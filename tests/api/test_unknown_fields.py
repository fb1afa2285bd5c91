"""A field a request body does not have is refused, naming it, and writes nothing: a misspelt optional field was
taken as left out, so the client got a 2xx and its intent was lost. The ERP's signed webhooks stay lenient."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from service.domain.actors import Role
from service.events import EventStore
from service.main import create_app
from tests.api.test_buying_center import add
from tests.api.test_dossier import setup as dossier_setup
from tests.support.erp import KAM, post, signed
from tests.support.opportunities import TODAY, log
from tests.support.opportunities import setup as project_setup
from tests.support.plans import GOAL, in_force
from tests.support.plans import setup as plan_setup
from tests.support.webhooks import ADMIN, subscribe


async def refused_naming(response: httpx.Response, field: str, store: EventStore, before: int) -> None:
    """A 422 validation problem naming only `field`, as not a field of the request, with nothing written."""
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "/problems/validation", response.text
    assert [(e["field"], e["type"]) for e in problem["errors"]] == [(field, "extra_forbidden")], response.text
    assert problem["errors"][0]["message"] == "is not a field of this request", response.text
    assert await store.head_position() == before


async def test_an_account_with_a_misspelt_field_is_not_opened_nor_changed(
    client: httpx.AsyncClient, auth, store: EventStore
) -> None:
    path, kam, _, _ = await project_setup(client, auth)
    before = await store.head_position()
    opened = await client.post("/v1/accounts", json={"name": "Kama Tyre Plant", "industy": "Tyres"}, headers=kam)
    await refused_naming(opened, "body.industy", store, before)
    changed = await client.patch(path, json={"regoin": "Tatarstan"}, headers=kam)
    await refused_naming(changed, "body.regoin", store, before)
    moved = await client.post(
        f"{path}/lifecycle", json={"to_stage": "project", "reason": "trial", "day": "2026-11-02"}, headers=kam
    )
    await refused_naming(moved, "body.day", store, before)  # `on`: the change was recorded as of today


async def test_a_dossier_answer_with_a_misspelt_field_is_not_recorded(
    client: httpx.AsyncClient, auth, store: EventStore
) -> None:
    path, kam = await dossier_setup(client, auth)
    before = await store.head_position()
    body = {"question_code": "headcount", "value": 120, "learned_on": "2026-11-01", "sorce": "the HR head"}
    answered = await client.post(f"{path}/dossier/answers", json=body, headers=kam)
    await refused_naming(answered, "body.sorce", store, before)


async def test_a_buying_center_citation_with_a_misspelt_field_is_refused(
    client: httpx.AsyncClient, auth, store: EventStore
) -> None:
    path, kam, _, _ = await project_setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    before = await store.head_position()
    added = await client.post(
        f"{path}/buying-center/members", json={"name": "Ivan", "positon": "Head of procurement"}, headers=kam
    )
    await refused_naming(added, "body.positon", store, before)
    citation = {"kind": "interaction", "ref": "meeting 2026-05-20", "notes": "backed the trial"}
    assessed = await client.post(
        f"{path}/buying-center/members/{member}/assessment", json={"attitude": 1, "citation": citation}, headers=kam
    )
    await refused_naming(assessed, "body.citation.notes", store, before)


async def test_an_interaction_with_a_misspelt_field_in_what_it_taught_is_not_logged(
    client: httpx.AsyncClient, auth, store: EventStore
) -> None:
    path, kam, _, _ = await project_setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    before = await store.head_position()
    await refused_naming(
        await log(client, path, kam, participants=[member], outcom="Agreed"), "body.outcom", store, before
    )
    learned = {"assessments": [{"member_id": member, "attitude": 2, "notes": "defended us in the council"}]}
    logged = await log(client, path, kam, participants=[member], learned=learned)
    await refused_naming(logged, "body.learned.assessments.0.notes", store, before)


async def test_a_project_with_a_misspelt_field_of_its_expected_value_is_not_opened(
    client: httpx.AsyncClient, auth, store: EventStore
) -> None:
    path, kam, _, _ = await project_setup(client, auth)
    before = await store.head_position()
    value = {"amount": "1000000", "currency": "RUB", "curency": "EUR"}
    opened = await client.post(
        f"{path}/opportunities",
        json={"product_line": "Fuel filters", "kind": "new_client", "expected_value": value},
        headers=kam,
    )
    await refused_naming(opened, "body.expected_value.curency", store, before)


async def test_a_plan_item_with_a_misspelt_field_is_not_drafted_nor_put_by_a_session(
    client: httpx.AsyncClient, auth, store: EventStore
) -> None:
    kam, boss, plan, _ = await plan_setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    before = await store.head_position()
    drafted = await client.put(f"{plan}/draft/goal/g2", json={**GOAL, "descripton": "Flanges"}, headers=kam)
    await refused_naming(drafted, "body.descripton", store, before)
    renamed = await client.put(f"{plan}/draft/goal/g2", json={**GOAL, "item_id": "g3"}, headers=kam)
    await refused_naming(renamed, "body.item_id", store, before)  # the path names the item
    change = {"op": "put", "item_type": "goal", "item_id": "g2", "item": {**GOAL, "taget": "5"}}
    session = {
        "on": TODAY.isoformat(),
        "our_participants": ["kam"],
        "decisions": ["Flanges in 2027"],
        "changes": [change],
    }
    recorded = await client.post(f"{plan}/sessions", json=session, headers=kam)
    await refused_naming(recorded, "body.changes.0.item.taget", store, before)
    session["changes"] = [{**change, "item": GOAL, "reason": "flanges"}]
    recorded = await client.post(f"{plan}/sessions", json=session, headers=kam)
    await refused_naming(recorded, "body.changes.0.reason", store, before)
    proposed = await client.post(f"{plan}/revisions", json={"notes": "flanges first"}, headers=kam)
    await refused_naming(proposed, "body.notes", store, before)


async def test_a_session_removing_an_item_with_an_item_body_is_refused_not_half_read(
    client: httpx.AsyncClient, auth, store: EventStore
) -> None:
    """Found by review: a remove carrying an `item` was recorded as a remove, and the item, perhaps meant as a put,
    was dropped unseen."""
    kam, boss, plan, _ = await plan_setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    before = await store.head_position()
    change = {"op": "remove", "item_type": "goal", "item_id": "g1", "item": {**GOAL, "target": "5"}}
    session = {"on": TODAY.isoformat(), "our_participants": ["kam"], "decisions": ["Drop g1"], "changes": [change]}
    recorded = await client.post(f"{plan}/sessions", json=session, headers=kam)
    assert recorded.status_code == 422, recorded.text
    assert [(e["field"], e["message"]) for e in recorded.json()["errors"]] == [
        ("body.changes.0.item", "a remove takes no item")
    ]
    assert await store.head_position() == before
    session["changes"] = [{k: v for k, v in change.items() if k != "item"}]
    assert (await client.post(f"{plan}/sessions", json=session, headers=kam)).status_code == 201


async def test_a_webhook_change_with_a_misspelt_field_is_not_made(
    client: httpx.AsyncClient, auth, store: EventStore
) -> None:
    created = await subscribe(client, auth, "https://erp.invalid/hook", description="ERP")
    before = await store.head_position()
    changed = await client.patch(
        f"/v1/webhooks/{created['subscription_id']}", json={"descripton": "ERP, orders only"}, headers=auth(**ADMIN)
    )
    await refused_naming(changed, "body.descripton", store, before)


async def test_settings_with_a_misspelt_field_are_not_reset_to_their_defaults(
    client: httpx.AsyncClient, auth, store: EventStore
) -> None:
    """`stale_contact_day` once set both rules to their defaults, not to 30 days; now the rule it misspells is named
    as missing too (test_settings_kept_on_change)."""
    admin = auth("root", Role.ADMIN)
    before = await store.head_position()
    rules = {"stale_contact_day": 30, "high_influence": 4}
    changed = await client.put("/v1/settings/coverage-rules", json=rules, headers=admin)
    assert changed.status_code == 422, changed.text
    assert [(e["field"], e["type"]) for e in changed.json()["errors"]] == [
        ("body.stale_contact_days", "missing"), ("body.stale_contact_day", "extra_forbidden")]  # fmt: skip
    assert await store.head_position() == before
    question = {"code": "channel", "label": "Channel", "answer_type": "choice", "choises": ["direct", "dealer"]}
    template = {"groups": [{"code": "g", "label": "G", "questions": [question]}]}
    published = await client.post("/v1/settings/dossier-templates", json=template, headers=admin)
    await refused_naming(published, "body.groups.0.questions.0.choises", store, before)


async def test_the_erps_documents_may_carry_fields_kamplan_does_not_read(
    erp: httpx.AsyncClient, account: str, auth, store: EventStore
) -> None:
    """An ERP adds fields to its documents over time: refusing them would stop its deliveries at its next upgrade."""
    line = {"sku": "FF-200", "name": "Fuel filter", "quantity": 500, "amount": "1250000.00", "batch": "B-7"}
    data = {"account_id": account, "number": "SO-7001", "on": "2026-11-20", "amount": "1250000.00",
            "currency": "RUB", "lines": [line], "warehouse": "Kazan-2"}  # fmt: skip
    body = orjson.dumps({"type": "order", "timestamp": "2026-11-20T10:00:00Z", "data": data, "source": "SAP"})
    taken = await post(erp, body, signed(body))
    assert taken.status_code == 200, taken.text
    [document] = (await erp.get(f"/v1/accounts/{account}/purchases", headers=auth(**KAM))).json()["documents"]
    assert (document["number"], "warehouse" in document) == ("SO-7001", False)
    assert document["lines"] == [{"sku": "FF-200", "name": "Fuel filter", "quantity": "500", "amount": "1250000.00"}]


def test_every_request_body_but_the_erps_refuses_unknown_fields_in_the_api_schema(settings) -> None:
    """The contract says so for every object a client fills, so that a new body model cannot forget it."""
    schema = create_app(settings).openapi()
    components = schema["components"]["schemas"]
    lenient: list[str] = []

    def visit(node: Any, where: str, seen: set[str]) -> None:
        if isinstance(node, dict):
            if (ref := node.get("$ref")) is not None:
                name = ref.rsplit("/", 1)[1]
                if name not in seen:
                    visit(components[name], name, seen | {name})
                return
            if "properties" in node and node.get("additionalProperties") is not False:
                lenient.append(where)
            for value in node.values():
                visit(value, where, seen)
        elif isinstance(node, list):
            for value in node:
                visit(value, where, seen)

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if operation.get("operationId") == "receiveErpWebhook" or "requestBody" not in operation:
                continue
            visit(operation["requestBody"], f"{method.upper()} {path}", set())
    assert sorted(set(lenient)) == []
