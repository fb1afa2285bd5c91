"""Who may confirm a joint planning session now (`confirmable_by`), or why nobody may (`unconfirmable_because`),
beside its final `status`. Found by review: after a hand-over, a session the former manager recorded read `waiting`
in `GET /plans/{p}/sessions`, so a frontend offered a confirmation that always failed (409
`session-recorder-not-a-party`), though the supervisor's review queue already left it out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import unique
from tests.support.plans import ACTION, GOAL, in_force, ok, setup


async def _session(client: httpx.AsyncClient, plan: str, headers: dict[str, str], **params: str) -> dict[str, Any]:
    [session] = await ok(await client.get(f"{plan}/sessions", params=params, headers=headers))
    return {k: session[k] for k in ("status", "confirmable_by", "unconfirmable_because")}


async def _hand_over(client: httpx.AsyncClient, account_id: str, headers: dict[str, str], **body: str) -> None:
    await ok(
        await client.post(
            f"/v1/accounts/{account_id}/hand-over", json={"trigger": "contract_signed", **body}, headers=headers
        )
    )


def waiting(by: str | None, because: str | None = None) -> dict[str, Any]:
    return {"status": "waiting", "confirmable_by": by, "unconfirmable_because": because}


async def test_a_session_recorded_by_a_manager_who_handed_over_cannot_be_confirmed(
    client: httpx.AsyncClient, auth
) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    account_id = (await ok(await client.get(plan, headers=kam)))["account_id"]
    change = {"op": "put", "item_type": "goal", "item_id": "g1", "item": {**GOAL, "target": "35000000"}}
    body = {"on": "2026-11-20", "our_participants": ["kam"], "decisions": ["Raise the 2027 target"]}
    session = await ok(await client.post(f"{plan}/sessions", json={**body, "changes": [change]}, headers=kam))
    assert await _session(client, plan, boss) == waiting("supervisor")
    recorded = datetime.now(UTC).isoformat()

    heir = unique("kam")
    await _hand_over(client, account_id, kam, to_owner=heir)
    assert await _session(client, plan, boss) == waiting(None, "session-recorder-not-a-party")  # still not final
    assert await _session(client, plan, boss, as_of=recorded) == waiting("supervisor")  # the parties then
    refused = await client.post(f"{plan}/sessions/{session['session_id']}/confirm", headers=boss)
    assert (refused.status_code, refused.json()["type"]) == (409, "/problems/session-recorder-not-a-party")

    await _hand_over(client, account_id, boss, to_owner=(await ok(await client.get("/v1/me", headers=kam)))["sub"])
    assert await _session(client, plan, boss) == waiting("supervisor")  # handed back: its recorder is a party again
    await ok(await client.post(f"{plan}/sessions/{session['session_id']}/confirm", headers=boss))
    assert await _session(client, plan, boss) == {
        "status": "confirmed",
        "confirmable_by": None,
        "unconfirmable_because": "session-confirmed",
    }


async def test_a_supervisors_session_after_the_account_left_the_team(client: httpx.AsyncClient, auth) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    account_id = (await ok(await client.get(plan, headers=kam)))["account_id"]
    body = {"on": "2026-11-20", "our_participants": ["boss"], "decisions": ["Keep the plan"]}
    await ok(await client.post(f"{plan}/sessions", json=body, headers=boss))
    assert await _session(client, plan, kam) == waiting("manager")
    await ok(await client.put(f"{plan}/draft/action/a1", json=ACTION, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    assert await _session(client, plan, kam) == waiting(None, "revision-pending")  # until it is reviewed
    await ok(await client.post(f"{plan}/revisions/2/request-changes", json={"note": "later"}, headers=boss))
    assert await _session(client, plan, kam) == waiting("manager")
    await _hand_over(client, account_id, kam, to_owner=unique("kam"), to_team=unique("team"))
    admin = auth("root", Role.ADMIN)
    assert await _session(client, plan, admin) == waiting(None, "session-recorder-not-a-party")
