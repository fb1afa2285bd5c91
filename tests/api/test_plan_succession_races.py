"""A successor's first agreement racing its abandonment: one of them lands, whole, and the plans agree on which."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.plans import GOAL, in_force, ok, setup


async def test_agreeing_a_successor_and_abandoning_it_at_once_lands_one_of_them_whole(
    client: httpx.AsyncClient, auth
) -> None:
    for round_no in range(4):  # each round must end consistent whichever wins; the one sent first mostly does
        kam, boss, plan, _ = await setup(client, auth)
        agreed = await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
        start = {"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": agreed["plan_id"]}
        successor = await ok(await client.post(f"/v1/accounts/{agreed['account_id']}/plans", json=start, headers=kam))
        succ = f"/v1/plans/{successor['plan_id']}"
        await ok(await client.post(f"{succ}/revisions", json={}, headers=kam))

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
