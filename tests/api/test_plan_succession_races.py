"""A successor's first agreement racing its abandonment: one of them lands, whole, and the plans agree on which."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from service.events.aggregate import Repository
from tests.support.plans import GOAL, in_force, ok, setup

Headers = dict[str, str]


async def successor_proposed(
    client: httpx.AsyncClient, auth
) -> tuple[Headers, Headers, str, dict[str, Any], dict[str, Any], str]:
    """An agreed plan and its successor, whose first revision waits for the supervisor: the owner's and the
    supervisor's headers, the agreed plan's path and view, the successor's view and path."""
    kam, boss, plan, _ = await setup(client, auth)
    agreed = await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    start = {"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": agreed["plan_id"]}
    successor = await ok(await client.post(f"/v1/accounts/{agreed['account_id']}/plans", json=start, headers=kam))
    succ = f"/v1/plans/{successor['plan_id']}"
    await ok(await client.post(f"{succ}/revisions", json={}, headers=kam))
    return kam, boss, plan, agreed, successor, succ


async def test_agreeing_a_successor_and_abandoning_it_at_once_lands_one_of_them_whole(
    client: httpx.AsyncClient, auth
) -> None:
    for round_no in range(4):  # each round must end consistent whichever wins; the one sent first mostly does
        kam, boss, plan, agreed, successor, succ = await successor_proposed(client, auth)

        agreeing = client.post(f"{succ}/revisions/1/agree", json={}, headers=boss)
        abandoning = client.post(f"{succ}/abandon", json={"reason": "changed our minds"}, headers=kam)
        if round_no % 2:
            abandon, agree = await asyncio.gather(abandoning, agreeing)
        else:
            agree, abandon = await asyncio.gather(agreeing, abandoning)
        assert sorted([agree.status_code, abandon.status_code]) == [200, 409], (agree.text, abandon.text)
        old, new = await ok(await client.get(plan, headers=kam)), await ok(await client.get(succ, headers=kam))
        plans = await ok(
            await client.get(f"/v1/accounts/{agreed['account_id']}/plans", params={"min_position": 0}, headers=kam)
        )
        if agree.status_code == 200:  # the successor took over; it can no longer be abandoned
            assert abandon.json()["type"] == "/problems/successor-agreed"
            assert (new["in_force"]["revision"], new["abandoned"]) == (1, None)
            assert (old["superseded_by"], old["successor"]) == (successor["plan_id"], None)
        else:  # abandoned first; the predecessor is back to taking revisions
            assert agree.json()["type"] == "/problems/plan-abandoned"
            assert (new["abandoned"]["reason"], new["in_force"]) == ("changed our minds", None)
            assert (old["superseded_by"], old["successor"], old["in_force"]["revision"]) == (None, None, 1)
        current = [p["plan_id"] for p in plans if p["status"] == "current"]
        assert current == [successor["plan_id"] if agree.status_code == 200 else agreed["plan_id"]]


async def test_an_agreement_committed_while_the_abandonment_loads_its_streams_is_met_as_such(
    client: httpx.AsyncClient, auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handler loads a command's streams one after another. An agreement committed between its load of the
    successor (not agreed yet) and of the account's register (the successor current already) left a view that never
    existed, and the abandonment was refused as `not-the-current-plan`: the refusal of that view, not of the plan."""
    kam, boss, _, _, successor, succ = await successor_proposed(client, auth)

    stream, original, loads, agreeing = f"plan-{successor['plan_id']}", Repository.load, [], []

    async def load_then_agree(self: Repository, kind: Any, stream_id: str, **options: Any) -> Any:
        loaded = await original(self, kind, stream_id, **options)
        if stream_id == stream and not agreeing:
            loads.append(stream_id)
            if len(loads) == 2:  # the handler's load, after the route's own look at the plan
                agreeing.append(True)
                await ok(await client.post(f"{succ}/revisions/1/agree", json={}, headers=boss))
                agreeing.clear()
        return loaded

    monkeypatch.setattr(Repository, "load", load_then_agree)
    abandon = await client.post(f"{succ}/abandon", json={"reason": "changed our minds"}, headers=kam)
    monkeypatch.undo()

    assert (abandon.status_code, abandon.json()["type"]) == (409, "/problems/successor-agreed"), abandon.text
    assert len(loads) == 3  # decided again on the streams as they are now
    new = await ok(await client.get(succ, headers=kam))
    assert (new["in_force"]["revision"], new["abandoned"]) == (1, None)
