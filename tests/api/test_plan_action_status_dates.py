"""An action's status in the plan in force is the one of the latest `on`, the later recorded on the same day, as a
goal's actual is: a status reported late with an earlier date (the action slipped in March, reported after it was
done in May) stays in the log and replaces no newer one, now, as of any moment, and in the read model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique

# the plan helpers are copied here rather than imported: tests/api/test_plans.py is being split
ACTION = {
    "period": "2027",
    "what": "Regional stock",
    "owner": "kam",
    "due": "2027-03-31",
    "cost": "450000",
    "currency": "RUB",
}


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def in_force(
    client: httpx.AsyncClient, plan: str, kam: dict[str, str], boss: dict[str, str], items: dict[str, Any]
) -> None:
    """Draft `items` ({"action/a1": body}), propose them and have the supervisor agree: revision 1 in force."""
    for path, body in items.items():
        await ok(await client.put(f"{plan}/draft/{path}", json=body, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    await ok(await client.post(f"{plan}/revisions/1/agree", json={}, headers=boss))


async def _plan(client: httpx.AsyncClient, auth) -> tuple[dict[str, str], dict[str, str], str]:
    team = unique("team")
    kam = auth(unique("kam"), Role.MANAGER, team)
    boss = auth(unique("sup"), Role.SUPERVISOR, team)
    account = await open_account(client, kam, is_key=True, key_reason="wholesale buyer")
    started = await ok(
        await client.post(
            f"/v1/accounts/{account['account_id']}/plans",
            json={"title": "Valves 2026–2028", "horizon_from": 2026, "horizon_to": 2028},
            headers=kam,
        )
    )
    return kam, boss, f"/v1/plans/{started['plan_id']}"


def _status(view: dict[str, object]) -> str:
    return view["in_force"]["content"]["actions"]["a1"]["status"]  # type: ignore[index]


async def test_a_back_dated_action_status_does_not_replace_a_newer_one_now_or_as_of(
    client: httpx.AsyncClient, auth, pool
) -> None:
    kam, boss, plan = await _plan(client, auth)
    await in_force(client, plan, kam, boss, {"action/a1": ACTION})
    today = datetime.now(UTC).date()
    done = await ok(
        await client.put(f"{plan}/actions/a1/status", json={"status": "done", "on": str(today)}, headers=kam)
    )
    assert _status(done) == "done"
    moment = datetime.now(UTC).isoformat()
    late = {"status": "slipped", "note": "reported late", "on": str(today - timedelta(days=60))}
    backdated = await ok(await client.put(f"{plan}/actions/a1/status", json=late, headers=boss))
    assert _status(backdated) == "done"
    assert _status(await ok(await client.get(plan, headers=kam))) == "done"
    then = await ok(await client.get(plan, params={"as_of": moment}, headers=kam))
    later = await ok(await client.get(plan, params={"as_of": datetime.now(UTC).isoformat()}, headers=kam))
    assert _status(then) == _status(later) == "done"
    period = await ok(await client.get(f"{plan}/periods/2027", headers=kam))
    assert [(a["item_id"], a["status"]) for a in period["actions"]] == [("a1", "done")]
    # the read model (BI, budgets) agrees once it has applied the back-dated status
    budgets = await client.get("/v1/plan-budgets", params={"min_position": backdated["position"]}, headers=boss)
    assert budgets.status_code == 200, budgets.text
    row = await pool.fetchrow("SELECT status FROM read.plan_actions WHERE plan_id = $1", plan.rsplit("/", 1)[1])
    assert row["status"] == "done"
    # the same day as the newest: the later recorded is the word
    again = {"status": "slipped", "note": "reopened", "on": str(today)}
    assert _status(await ok(await client.put(f"{plan}/actions/a1/status", json=again, headers=kam))) == "slipped"
