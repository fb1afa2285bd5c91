"""Progress on the plan in force over HTTP: actuals and action status, overdue actions, periods and their budgets,
and actions due within their period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.support.plans import ACTION, GOAL, in_force, ok, setup
from tests.support.problems import assert_refused


async def test_progress_periods_and_problems(client: httpx.AsyncClient, auth) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    invalid = await client.put(f"{plan}/draft/action/a1", json={**ACTION, "cost": "lots"}, headers=kam)
    assert invalid.json()["type"] == "/problems/validation"
    await ok(
        await client.put(f"{plan}/draft/action/a1", json={**ACTION, "period": "2026", "due": "2026-02-01"}, headers=kam)
    )
    await ok(await client.put(f"{plan}/draft/action/a2", json=ACTION, headers=kam))
    await ok(
        await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "period": "2026", "target": "20000000"}, headers=kam)
    )
    refused = await client.put(f"{plan}/draft/goal/g1", json=GOAL, headers=boss)
    assert refused.json()["type"] == "/problems/owner-manager-only"
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    await ok(await client.post(f"{plan}/revisions/1/agree", json={}, headers=boss))
    done = await ok(
        await client.put(
            f"{plan}/goals/g1/actual", json={"value": "15000000", "source": "ERP", "on": "2026-11-01"}, headers=kam
        )
    )
    assert done["in_force"]["content"]["goals"]["g1"]["achieved"] == 0.75
    assert done["overdue_actions"] == ["a1"]
    slipped = await ok(
        await client.put(f"{plan}/actions/a1/status", json={"status": "done", "on": "2026-11-01"}, headers=kam)
    )
    assert slipped["overdue_actions"] == []
    q1 = await ok(await client.get(f"{plan}/periods/2027-Q1", headers=kam))
    assert ([a["item_id"] for a in q1["actions"]], q1["budget"]) == (["a2"], {"RUB": "450000"})
    year = await ok(await client.get(f"{plan}/periods/2026", headers=kam))
    assert [g["item_id"] for g in year["goals"]] == ["g1"]
    diff = await ok(await client.get(f"{plan}/diff", params={"from": 0, "to": 1}, headers=kam))
    assert {(i["item_id"], i["change"]) for i in diff["items"]} == {("a1", "added"), ("a2", "added"), ("g1", "added")}
    assert diff["budget"] == {"2026": {"RUB": ["0", "450000"]}, "2027": {"RUB": ["0", "450000"]}}


async def test_an_action_is_due_within_its_period_so_the_quarters_add_up_to_the_year(
    client: httpx.AsyncClient, auth, store
) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    before = await store.head_position()
    for period, due in [("2027", "2028-02-01"), ("2027-Q1", "2035-12-31"), ("2027-Q2", "2027-03-31")]:
        refused = await client.put(
            f"{plan}/draft/action/a1", json={**ACTION, "period": period, "due": due}, headers=kam
        )
        assert (refused.status_code, refused.json()["type"]) == (422, "/problems/due-outside-period"), refused.text
        assert (refused.json()["field"], refused.json()["period"]) == ("due", period)
    change = {"op": "put", "item_type": "action", "item_id": "a9", "item": {**ACTION, "due": "2028-01-15"}}
    session = {"on": "2026-11-20", "our_participants": ["kam"], "decisions": ["x"], "changes": [change]}
    refused = await client.post(f"{plan}/sessions", json=session, headers=kam)
    assert refused.json()["type"] == "/problems/due-outside-period"
    assert await store.head_position() == before
    await in_force(
        client,
        plan,
        kam,
        boss,
        {
            "action/a1": {**ACTION, "due": "2027-11-30"},
            "action/a2": {**ACTION, "period": "2027-Q1", "due": "2027-02-01"},
        },
    )
    year = (await ok(await client.get(f"{plan}/periods/2027", headers=kam)))["budget"]
    quarters = [(await ok(await client.get(f"{plan}/periods/2027-Q{q}", headers=kam)))["budget"] for q in (1, 2, 3, 4)]
    assert (year, quarters) == ({"RUB": "900000"}, [{"RUB": "450000"}, {}, {}, {"RUB": "450000"}])
    # The plan's own view gives the budget per period as the actions are written, which read as if 2027 cost
    # 450,000: beside it, each year's total, its quarters included, as the year's period plan counts it.
    content = (await ok(await client.get(plan, headers=kam)))["in_force"]["content"]
    assert content["budget"] == {"2027": {"RUB": "450000"}, "2027-Q1": {"RUB": "450000"}}
    assert content["budget_by_year"] == {"2027": year}


async def test_a_back_dated_actual_does_not_replace_a_newer_one_now_or_as_of(client: httpx.AsyncClient, auth) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    today = datetime.now(UTC).date()
    newer = await ok(await client.put(f"{plan}/goals/g1/actual", json={"value": "100", "on": str(today)}, headers=kam))
    assert newer["in_force"]["content"]["goals"]["g1"]["actual"] == "100"
    moment = datetime.now(UTC).isoformat()
    old = {"value": "5", "on": str(today - timedelta(days=200))}
    backdated = await ok(await client.put(f"{plan}/goals/g1/actual", json=old, headers=kam))
    assert backdated["in_force"]["content"]["goals"]["g1"]["actual"] == "100"
    later = await ok(await client.get(plan, params={"as_of": datetime.now(UTC).isoformat()}, headers=kam))
    then = await ok(await client.get(plan, params={"as_of": moment}, headers=kam))
    assert later["in_force"]["content"]["goals"]["g1"]["actual"] == then["in_force"]["content"]["goals"]["g1"]["actual"]
    fixed = await ok(await client.put(f"{plan}/goals/g1/actual", json={"value": "90", "on": str(today)}, headers=kam))
    assert fixed["in_force"]["content"]["goals"]["g1"]["actual"] == "90"  # the same day: the later recorded


async def test_the_budget_done_reads_as_the_plain_sum_of_the_actions_done_zero_when_none_is(
    client: httpx.AsyncClient, auth
) -> None:
    """With no action done, `done` read "0.000000": the sum of no rows is null, and the 0 put in its place was
    formatted as a float, with six decimals no action has."""
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"action/a1": ACTION, "action/a2": {**ACTION, "cost": "1000.5"}})
    agreed = await ok(await client.get(plan, headers=kam))
    rows = await ok(await client.get("/v1/plan-budgets", params={"min_position": agreed["position"]}, headers=kam))
    assert [(r["budget"], r["done"]) for r in rows["items"]] == [("451000.5", "0")]
    done = await ok(
        await client.put(f"{plan}/actions/a2/status", json={"status": "done", "on": "2026-11-01"}, headers=kam)
    )
    rows = await ok(await client.get("/v1/plan-budgets", params={"min_position": done["position"]}, headers=kam))
    assert [(r["budget"], r["done"]) for r in rows["items"]] == [("451000.5", "1000.5")]


async def test_a_share_goals_actual_is_a_percentage_as_its_target_is(client: httpx.AsyncClient, auth, store) -> None:
    """A share goal's target is 0 to 100 %, but its actual was taken at 250 % or at -5 %, and the plan read the goal
    as achieved two and a half times over."""
    kam, boss, plan, _ = await setup(client, auth)
    share = {**GOAL, "kind": "share", "description": "Our share of their valve purchases", "target": "40", "unit": "%"}
    await in_force(client, plan, kam, boss, {"goal/g1": share, "goal/g2": GOAL})
    before = await store.head_position()
    for value in ("250", "100.5", "-5"):
        refused = await client.put(f"{plan}/goals/g1/actual", json={"value": value, "on": "2026-11-01"}, headers=kam)
        assert_refused(refused, "out-of-range", "value")
    assert await store.head_position() == before
    full = await ok(await client.put(f"{plan}/goals/g1/actual", json={"value": "100", "on": "2026-11-01"}, headers=kam))
    assert full["in_force"]["content"]["goals"]["g1"]["achieved"] == 2.5
    returns = {"value": "-5", "on": "2026-11-01", "source": "returns exceeded purchases"}
    volume = await ok(await client.put(f"{plan}/goals/g2/actual", json=returns, headers=kam))  # a volume may be
    assert volume["in_force"]["content"]["goals"]["g2"]["actual"] == "-5"
