"""The supervisor's review queue lists what they can act on now: a session the manager recorded leaves it while its
confirmation is refused for now (a revision waiting for review, a successor being drafted) and comes back, in its
place and as it was, once that clears. Found by review: the queue listed such sessions, and a supervisor working it
met items whose confirmation always failed (409 `revision-pending`, `successor-pending`)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.plans import GOAL, in_force, ok, setup
from tests.support.rebuilds import rebuilt

RAISE = {"op": "put", "item_type": "goal", "item_id": "g1", "item": {**GOAL, "target": "35000000"}}
BODY = {"on": "2026-11-20", "our_participants": ["kam"], "decisions": ["Raise the 2027 target"]}


async def _queue(client: httpx.AsyncClient, boss: dict[str, str], position: int) -> list[dict[str, Any]]:
    got = await ok(await client.get("/v1/plan-reviews", params={"min_position": position}, headers=boss))
    return [{k: v for k, v in item.items() if k != "waiting_days"} for item in got["items"]]


async def _confirmable(client: httpx.AsyncClient, plan: str, boss: dict[str, str]) -> dict[str, tuple[Any, Any]]:
    sessions = await ok(await client.get(f"{plan}/sessions", headers=boss))
    return {s["session_id"]: (s["confirmable_by"], s["unconfirmable_because"]) for s in sessions}


def _sessions(queue: list[dict[str, Any]]) -> list[str]:
    return [i["session_id"] for i in queue if i["session_id"] is not None]


async def _consistent(client: httpx.AsyncClient, plan: str, boss: dict[str, str], position: int) -> list[str]:
    """The sessions the queue lists are exactly those `GET …/sessions` offers the supervisor to confirm."""
    listed = _sessions(await _queue(client, boss, position))
    offered = [s for s, (by, _) in (await _confirmable(client, plan, boss)).items() if by == "supervisor"]
    assert sorted(listed) == sorted(offered)
    return listed


async def test_a_session_leaves_the_queue_while_a_revision_waits_for_review_and_comes_back_when_sent_back(
    client: httpx.AsyncClient, auth, settings, database_url, pool
) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    first = await ok(await client.post(f"{plan}/sessions", json={**BODY, "changes": [RAISE]}, headers=kam))
    second = await ok(await client.post(f"{plan}/sessions", json=BODY, headers=kam))  # minutes, waiting too
    listed = await _queue(client, boss, second["position"])
    assert _sessions(listed) == [first["session_id"], second["session_id"]]
    assert await _consistent(client, plan, boss, second["position"]) == _sessions(listed)

    # when the manager proposes a revision meanwhile, the supervisor reviews that first: the sessions wait behind it
    await ok(await client.put(f"{plan}/draft/goal/g2", json={**GOAL, "period": "2028"}, headers=kam))
    proposed = await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    held = await _queue(client, boss, proposed["position"])
    assert [(i["revision"], i["session_id"]) for i in held] == [(2, None)]
    assert held[0]["ends_sessions"] == 2  # agreeing it outdates both: the supervisor is told before
    assert {i["ends_sessions"] for i in listed} == {None}
    assert await _consistent(client, plan, boss, proposed["position"]) == []
    assert set((await _confirmable(client, plan, boss)).values()) == {(None, "revision-pending")}
    await rebuilt(settings, database_url, pool, "plans")
    assert await _queue(client, boss, proposed["position"]) == held

    # sent back: they are confirmable again, and back in their place, as they were
    sent_back = await ok(await client.post(f"{plan}/revisions/2/request-changes", json={"note": "no"}, headers=boss))
    assert await _queue(client, boss, sent_back["position"]) == listed
    assert await _consistent(client, plan, boss, sent_back["position"]) == _sessions(listed)
    await rebuilt(settings, database_url, pool, "plans")
    assert await _queue(client, boss, sent_back["position"]) == listed

    # proposed again and agreed: the agreement is the newer word, the sessions are outdated and do not come back
    again = await ok(await client.post(f"{plan}/revisions", json={"note": "once more"}, headers=kam))
    assert _sessions(await _queue(client, boss, again["position"])) == []
    agreed = await ok(await client.post(f"{plan}/revisions/3/agree", json={}, headers=boss))
    assert await _queue(client, boss, agreed["position"]) == []
    assert set((await _confirmable(client, plan, boss)).values()) == {(None, "session-outdated")}


async def test_a_session_leaves_the_queue_while_a_successor_is_drafted_and_comes_back_when_it_is_abandoned(
    client: httpx.AsyncClient, auth, settings, database_url, pool
) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    agreed = await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    account, plan_id = agreed["account_id"], agreed["plan_id"]
    session = await ok(await client.post(f"{plan}/sessions", json={**BODY, "changes": [RAISE]}, headers=kam))
    listed = await _queue(client, boss, session["position"])
    assert _sessions(listed) == [session["session_id"]]

    # when a successor is started, the plan takes no confirmation until it is abandoned or agreed
    start = {"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": plan_id}
    successor = await ok(await client.post(f"/v1/accounts/{account}/plans", json=start, headers=kam))
    assert await _queue(client, boss, successor["position"]) == []
    assert await _consistent(client, plan, boss, successor["position"]) == []
    assert await _confirmable(client, plan, boss) == {session["session_id"]: (None, "successor-pending")}
    await rebuilt(settings, database_url, pool, "plans")
    assert await _queue(client, boss, successor["position"]) == []

    # abandoned: the session is back, as it was
    succ = f"/v1/plans/{successor['plan_id']}"
    gone = await ok(await client.post(f"{succ}/abandon", json={"reason": "The buyer merges"}, headers=boss))
    assert await _queue(client, boss, gone["position"]) == listed
    assert await _consistent(client, plan, boss, gone["position"]) == [session["session_id"]]
    await rebuilt(settings, database_url, pool, "plans")
    assert await _queue(client, boss, gone["position"]) == listed

    # another successor, agreed: the plan left force, and the session with it for good
    other = await ok(await client.post(f"/v1/accounts/{account}/plans", json=start, headers=kam))
    succ = f"/v1/plans/{other['plan_id']}"
    proposed = await ok(await client.post(f"{succ}/revisions", json={}, headers=kam))
    assert [
        (i["plan_id"], i["session_id"], i["ends_sessions"]) for i in await _queue(client, boss, proposed["position"])
    ] == [(other["plan_id"], None, 1)]  # agreeing it supersedes the plan, and the session waiting on it
    done = await ok(await client.post(f"{succ}/revisions/1/agree", json={}, headers=boss))
    assert await _queue(client, boss, done["position"]) == []
    assert await _confirmable(client, plan, boss) == {session["session_id"]: (None, "plan-superseded")}
