"""One current plan per account over HTTP: a second is refused, of two concurrent starts one lands, and plans
started before the register count as current."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from service.commands.aggregates import encode, plan_stream
from service.domain.actors import Role
from service.domain.plan.events import PlanStarted
from service.events import NO_STREAM, EventStore
from tests.api.test_accounts import open_account, unique
from tests.support.plans import ACTION, in_force, ok, setup


async def test_an_account_has_one_current_plan(client: httpx.AsyncClient, auth, store) -> None:
    kam, boss, plan, team = await setup(client, auth)
    agreed = await in_force(client, plan, kam, boss, {"action/a1": ACTION})
    before = await store.head_position()
    second = await client.post(
        f"/v1/accounts/{agreed['account_id']}/plans",
        json={"title": "Another", "horizon_from": 2026, "horizon_to": 2028},
        headers=kam,
    )
    assert second.status_code == 409, second.text
    assert (second.json()["type"], second.json()["plan_id"]) == ("/problems/current-plan-exists", agreed["plan_id"])
    assert await store.head_position() == before  # nothing written
    budgets = {"team": team, "min_position": agreed["position"]}
    rows = await ok(await client.get("/v1/plan-budgets", params=budgets, headers=boss))
    assert [(r["budget"], r["actions"]) for r in rows["items"]] == [("450000", 1)]


async def test_of_two_concurrent_starts_on_one_account_exactly_one_lands(
    client: httpx.AsyncClient, auth, monkeypatch
) -> None:
    kam = auth(unique("kam"), Role.MANAGER, unique("team"))
    account = await open_account(client, kam, is_key=True, key_reason="wholesale buyer")
    append_many, arrived, both = EventStore.append_many, [], asyncio.Event()

    async def together(self: EventStore, appends: Any, metadata: Any = None) -> Any:
        if any(a.stream_id.startswith("plans-") for a in appends):
            arrived.append(1)  # each decided on a register without the other's plan: both append, one wins
            if len(arrived) == 2:
                both.set()
            await asyncio.wait_for(both.wait(), 10)
        return await append_many(self, appends, metadata)

    monkeypatch.setattr(EventStore, "append_many", together)
    body = {"title": "Valves", "horizon_from": 2026, "horizon_to": 2028}
    answers = await asyncio.gather(
        *(client.post(f"/v1/accounts/{account['account_id']}/plans", json=body, headers=kam) for _ in range(2))
    )
    monkeypatch.setattr(EventStore, "append_many", append_many)
    assert len(arrived) == 2
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    [won] = [a.json() for a in answers if a.status_code == 201]
    [lost] = [a.json() for a in answers if a.status_code == 409]
    assert (lost["type"], lost["plan_id"]) == ("/problems/current-plan-exists", won["plan_id"])
    listed = await ok(
        await client.get(
            f"/v1/accounts/{account['account_id']}/plans", params={"min_position": won["position"]}, headers=kam
        )
    )
    assert [p["plan_id"] for p in listed] == [won["plan_id"]]


async def test_plans_started_before_the_register_count_as_current(client: httpx.AsyncClient, auth, store) -> None:
    """An account whose two plans were started by a version without the register (the review's double budget):
    the register opens with both as current; a new plan must supersede one of them."""
    kam = auth(unique("kam"), Role.MANAGER, unique("team"))
    account = (await open_account(client, kam, is_key=True, key_reason="wholesale buyer"))["account_id"]
    old = [str(uuid.uuid4()), str(uuid.uuid4())]
    for plan_id in old:
        started = PlanStarted(
            plan_id=plan_id, account_id=account, title="Old", horizon_from=2026, horizon_to=2028, by="kam"
        )
        await store.append(plan_stream(plan_id), "plan", NO_STREAM, [encode(started)])
    refused = await client.post(
        f"/v1/accounts/{account}/plans", json={"title": "New", "horizon_from": 2026, "horizon_to": 2028}, headers=kam
    )
    assert (refused.status_code, refused.json()["type"], refused.json()["plan_id"]) == (
        409,
        "/problems/current-plan-exists",
        old[0],
    )
    await ok(
        await client.post(
            f"/v1/accounts/{account}/plans",
            json={"title": "New", "horizon_from": 2026, "horizon_to": 2028, "supersedes": old[1]},
            headers=kam,
        )
    )
