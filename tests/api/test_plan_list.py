"""An account's list of plans as of any moment: each plan with the standing it had then."""

from __future__ import annotations

from typing import Any

import httpx

from service.domain.actors import Role
from service.events import EventStore
from tests.api.test_accounts import open_account, unique
from tests.support.plans import GOAL, in_force, ok


async def moment(store: EventStore, written: dict[str, Any]) -> str:
    """When the last event of a command's answer was recorded: an `as_of` that shows the log right after it."""
    [event] = await store.read_all(written["position"] - 1, 1)
    return event.recorded_at.isoformat()


async def test_the_list_of_plans_as_of_a_moment_shows_each_plan_as_it_stood_then(
    client: httpx.AsyncClient, auth, store: EventStore
) -> None:
    team = unique("team")
    kam, boss = auth(unique("kam"), Role.MANAGER, team), auth(unique("sup"), Role.SUPERVISOR, team)
    opened = await open_account(client, kam, is_key=True, key_reason="wholesale buyer")
    plans = f"/v1/accounts/{opened['account_id']}/plans"
    start = {"title": "A", "horizon_from": 2026, "horizon_to": 2028}
    first = await ok(await client.post(plans, json=start, headers=kam))
    agreed = await in_force(client, f"/v1/plans/{first['plan_id']}", kam, boss, {"goal/g1": GOAL})
    start = {**start, "title": "B", "horizon_from": 2027, "horizon_to": 2029, "supersedes": first["plan_id"]}
    second = await ok(await client.post(plans, json=start, headers=kam))
    drafting: Any = await ok(await client.get(plans, params={"min_position": second["position"]}, headers=kam))
    done = await in_force(client, f"/v1/plans/{second['plan_id']}", kam, boss, {})
    now: Any = await ok(await client.get(plans, params={"min_position": done["position"]}, headers=kam))
    assert [(p["plan_id"], p["status"]) for p in now] == [
        (second["plan_id"], "current"),
        (first["plan_id"], "superseded"),
    ]

    async def as_of(written: dict[str, Any]) -> Any:
        listed: Any = await ok(await client.get(plans, params={"as_of": await moment(store, written)}, headers=kam))
        return listed

    assert await as_of(second) == drafting  # as listed while B was drafted
    [then] = await as_of(agreed)  # before B was started: A alone, agreed
    assert (then["plan_id"], then["status"], then["in_force_revision"], then["successor"]) == (
        first["plan_id"],
        "current",
        1,
        None,
    )
    assert await as_of(opened) == []  # the account, before any plan
    before = await client.get(plans, params={"as_of": "2000-01-01T00:00:00Z"}, headers=kam)
    assert (before.status_code, before.json()["type"]) == (404, "/problems/account-not-found")
