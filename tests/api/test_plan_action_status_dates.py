"""An action's status in the plan in force is the one of the latest `on`, the later recorded on the same day, as a
goal's actual is: a status reported late with an earlier date (the action slipped in March, reported after it was
done in May) stays in the log and replaces no newer one, now, as of any moment, and in the read model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.support.plans import ACTION, in_force, ok, setup


def _status(view: dict[str, object]) -> str:
    return view["in_force"]["content"]["actions"]["a1"]["status"]  # type: ignore[index]


async def test_a_back_dated_action_status_does_not_replace_a_newer_one_now_or_as_of(
    client: httpx.AsyncClient, auth, pool
) -> None:
    kam, boss, plan, _ = await setup(client, auth)
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
