"""The long-range plan over HTTP: a full joint-planning story, its views as of every step, the diff, role rules,
sessions, progress, successors, the review queue and budgets, and identical views after a projection rebuild."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from service.commands.aggregates import encode, plan_stream
from service.domain.actors import Role
from service.domain.plan.events import PlanStarted
from service.events import NO_STREAM, EventStore
from tests.api.test_accounts import open_account, unique
from tests.support.rebuilds import rebuilt

GOAL = {"period": "2027", "kind": "volume", "description": "Purchases from us", "target": "30000000", "unit": "RUB"}
ACTION = {
    "period": "2027",
    "what": "Regional stock",
    "owner": "kam",
    "due": "2027-03-31",
    "cost": "450000",
    "currency": "RUB",
}


async def setup(client: httpx.AsyncClient, auth) -> tuple[dict[str, str], dict[str, str], str, str]:
    team = unique("team")
    kam = auth(unique("kam"), Role.MANAGER, team)
    boss = auth(unique("sup"), Role.SUPERVISOR, team)
    account = await open_account(client, kam, is_key=True, key_reason="wholesale buyer")
    started = await client.post(
        f"/v1/accounts/{account['account_id']}/plans",
        json={"title": "Valves 2026–2028", "horizon_from": 2026, "horizon_to": 2028},
        headers=kam,
    )
    assert started.status_code == 201, started.text
    return kam, boss, f"/v1/plans/{started.json()['plan_id']}", team


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def in_force(
    client: httpx.AsyncClient, plan: str, kam: dict[str, str], boss: dict[str, str], items: dict[str, Any]
) -> dict[str, Any]:
    """Draft `items` ({"goal/g1": body}), propose them and have the supervisor agree: revision 1 in force."""
    for path, body in items.items():
        await ok(await client.put(f"{plan}/draft/{path}", json=body, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    return await ok(await client.post(f"{plan}/revisions/1/agree", json={}, headers=boss))


async def test_a_full_joint_planning_story(client: httpx.AsyncClient, auth, settings, database_url, pool) -> None:
    kam, boss, plan, team = await setup(client, auth)
    steps: list[dict[str, Any]] = []  # (view after the step) to check as-of later
    await ok(await client.put(f"{plan}/draft/goal/g-volume-2027", json=GOAL, headers=kam))
    await ok(await client.put(f"{plan}/draft/action/a-stock", json=ACTION, headers=kam))
    steps.append(await ok(await client.post(f"{plan}/revisions", json={"note": "first draft"}, headers=kam)))
    assert steps[-1]["under_discussion"]["revision"] == 1
    assert steps[-1]["in_force"] is None
    queue = await ok(await client.get("/v1/plan-reviews", params={"min_position": steps[-1]["position"]}, headers=boss))
    assert [(q["plan_id"], q["revision"]) for q in queue] == [(plan.rsplit("/", 1)[1], 1)]
    steps.append(
        await ok(
            await client.post(
                f"{plan}/revisions/1/comments", json={"item_id": "g-volume-2027", "text": "Too timid"}, headers=boss
            )
        )
    )
    comment_id = steps[-1]["open_comments"][0]["comment_id"]
    steps.append(
        await ok(await client.post(f"{plan}/revisions/1/request-changes", json={"note": "Aim higher"}, headers=boss))
    )
    steps.append(
        await ok(await client.post(f"{plan}/comments/{comment_id}/answer", json={"text": "Raised to 34M"}, headers=kam))
    )
    await ok(await client.put(f"{plan}/draft/goal/g-volume-2027", json={**GOAL, "target": "34000000"}, headers=kam))
    steps.append(await ok(await client.post(f"{plan}/revisions", json={"note": "raised"}, headers=kam)))
    own = await client.post(f"{plan}/revisions/2/agree", json={}, headers=kam)
    assert (own.status_code, own.json()["type"]) == (403, "/problems/supervisor-only")
    stranger = await client.post(
        f"{plan}/revisions/2/agree", json={}, headers=auth(unique("sup"), Role.SUPERVISOR, "other")
    )
    assert stranger.status_code == 404
    assert (await client.get(plan, headers=auth(unique("sup"), Role.SUPERVISOR, "other"))).status_code == 404
    steps.append(await ok(await client.post(f"{plan}/revisions/2/agree", json={"note": "Go"}, headers=boss)))
    final = steps[-1]
    assert final["in_force"]["revision"] == 2
    assert final["in_force"]["agreed_by"] == boss_sub(boss, auth)
    assert final["in_force"]["content"]["goals"]["g-volume-2027"]["target"] == "34000000"
    assert final["under_discussion"] is None

    history = await ok(await client.get(f"{plan}/revisions", headers=boss))
    assert [(r["revision"], r["status"]) for r in history] == [(1, "changes_requested"), (2, "agreed")]
    assert history[0]["comments"][0]["text"] == "Too timid"
    assert history[0]["comments"][0]["answer"] == "Raised to 34M"
    assert history[1]["changes"]["items"] == [
        {
            "item_type": "goal",
            "item_id": "g-volume-2027",
            "change": "changed",
            "fields": {"target": ["30000000", "34000000"]},
        }
    ]

    audit = await ok(
        await client.get(
            "/v1/audit",
            params={"stream_id": f"plan-{plan.rsplit('/', 1)[1]}", "min_position": final["position"], "limit": 100},
            headers=auth("root", Role.ADMIN),
        )
    )
    recorded = {e["stream_version"]: e["recorded_at"] for e in audit["items"]}
    for step in steps:
        then = await ok(await client.get(plan, params={"as_of": recorded[step["version"]]}, headers=kam))
        assert {k: v for k, v in then.items() if k not in ("as_of", "position")} == {
            k: v for k, v in step.items() if k not in ("as_of", "position", "warnings", "replayed")
        } | {"warnings": [], "replayed": False}

    async def views() -> dict[str, Any]:
        return {
            "queue": await ok(
                await client.get("/v1/plan-reviews", params={"min_position": final["position"]}, headers=boss)
            ),
            "budgets": await ok(await client.get("/v1/plan-budgets", headers=boss)),
            "plan": await ok(await client.get(plan, headers=boss)),
            "revisions": await ok(await client.get(f"{plan}/revisions", headers=boss)),
        }

    before = await views()
    assert before["queue"] == []
    assert [(b["period"], b["budget"]) for b in before["budgets"]] == [("2027", "450000")]
    await rebuilt(settings, database_url, pool, "plans")
    assert await views() == before
    del team


async def test_every_answer_to_a_comment_stays_in_the_review_trail(client: httpx.AsyncClient, auth) -> None:
    """A second answer used to replace the first in the trail, although the log kept both: a change of mind is
    history too."""
    kam, boss, plan, _ = await setup(client, auth)
    await ok(await client.put(f"{plan}/draft/goal/g1", json=GOAL, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    commented = await ok(
        await client.post(f"{plan}/revisions/1/comments", json={"item_id": "g1", "text": "Too timid"}, headers=boss)
    )
    comment_id = commented["open_comments"][0]["comment_id"]
    answer = f"{plan}/comments/{comment_id}/answer"
    first = await ok(await client.post(answer, json={"text": "The market is flat"}, headers=kam))
    last = await ok(await client.post(answer, json={"text": "On reflection: 34M is within reach"}, headers=kam))
    [revision] = await ok(await client.get(f"{plan}/revisions", headers=boss))
    [trail] = revision["comments"]
    manager = boss_sub(kam, auth)
    assert (trail["answer"], trail["answered_by"]) == ("On reflection: 34M is within reach", manager)  # the latest
    assert [(a["text"], a["by"]) for a in trail["answers"]] == [
        ("The market is flat", manager),
        ("On reflection: 34M is within reach", manager),
    ]
    assert trail["answers"][0]["at"] < trail["answers"][1]["at"] == trail["answered_at"]
    audit = await ok(
        await client.get(
            "/v1/audit",
            params={"stream_id": f"plan-{plan.rsplit('/', 1)[1]}", "min_position": last["position"], "limit": 100},
            headers=auth("root", Role.ADMIN),
        )
    )
    recorded = {e["stream_version"]: e["recorded_at"] for e in audit["items"]}
    [then] = await ok(await client.get(f"{plan}/revisions", params={"as_of": recorded[first["version"]]}, headers=kam))
    assert [a["text"] for a in then["comments"][0]["answers"]] == ["The market is flat"]


def boss_sub(headers: dict[str, str], auth) -> str:
    """The subject of a bearer token: what the events record as `by`."""
    return jwt.decode(headers["Authorization"].split()[1], options={"verify_signature": False})["sub"]


async def test_a_joint_session_needs_both_parties(client: httpx.AsyncClient, auth) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    recorded = await ok(
        await client.post(
            f"{plan}/sessions",
            json={
                "on": "2026-11-20",
                "participants": ["kam", "boss"],
                "decisions": ["Add flanges in 2028"],
                "changes": [
                    {
                        "op": "put",
                        "item_type": "goal",
                        "item_id": "g-flanges",
                        "item": {
                            **GOAL,
                            "period": "2028",
                            "kind": "product_line",
                            "description": "Flanges bought",
                            "target": "1",
                            "unit": "line",
                        },
                    },
                    {"op": "remove", "item_type": "goal", "item_id": "g1"},
                ],
            },
            headers=boss,
        )
    )
    assert recorded["in_force"]["revision"] == 1
    strategy = {"text": "Be the first source for flanges", "period": None}
    await ok(await client.put(f"{plan}/draft/strategy/s1", json=strategy, headers=kam))  # drafted meanwhile
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "31000000"}, headers=kam))
    itself = await client.post(f"{plan}/sessions/{recorded['session_id']}/confirm", headers=boss)
    assert itself.status_code == 403
    confirmed = await ok(await client.post(f"{plan}/sessions/{recorded['session_id']}/confirm", headers=kam))
    assert confirmed["in_force"]["revision"] == 2
    assert confirmed["in_force"]["session_id"] == recorded["session_id"]
    assert set(confirmed["in_force"]["content"]["goals"]) == {"g-flanges"}
    # the draft keeps what was drafted meanwhile, under the session's changes (g1 removed by the session)
    assert {(i["item_type"], i["item_id"], i["change"]) for i in confirmed["draft_changes"]["items"]} == {
        ("strategy", "s1", "added")
    }
    bad = await client.post(
        f"{plan}/sessions",
        json={
            "on": "2026-11-20",
            "participants": ["kam"],
            "decisions": ["x"],
            "changes": [{"op": "put", "item_type": "goal", "item_id": "g2", "item": {**GOAL, "period": "2031"}}],
        },
        headers=kam,
    )
    assert bad.json()["type"] == "/problems/period-outside-horizon"
    remove, put = {"op": "remove", "item_type": "goal", "item_id": "g-flanges"}, {"op": "put", "item_type": "goal"}
    shapeless = await client.post(
        f"{plan}/sessions",
        json={
            "on": "2026-11-20",
            "participants": ["kam"],
            "decisions": ["x"],
            "changes": [remove, {**put, "item_id": "g3", "item": {"period": "2026", "target": "x"}}],
        },
        headers=kam,
    )
    assert shapeless.status_code == 422
    assert "body.changes.1.item.target" in {e["field"] for e in shapeless.json()["errors"]}
    for item in ("a goal", None):  # a put without an object to put
        session = {"on": "2026-11-20", "participants": ["kam"], "decisions": ["x"]}
        itemless = await client.post(
            f"{plan}/sessions", json={**session, "changes": [{**put, "item_id": "g4", "item": item}]}, headers=kam
        )
        assert [e["field"] for e in itemless.json()["errors"]] == ["body.changes.0.item"], item
    for body in ([GOAL], "a goal", 3):
        listed = await client.put(f"{plan}/draft/goal/g5", json=body, headers=kam)
        assert (listed.status_code, [e["field"] for e in listed.json()["errors"]]) == (422, ["body"]), body
    second = {  # an item put and then removed in one session: the fold must not look for it
        "on": "2026-11-21",
        "participants": ["kam", "boss"],
        "decisions": ["Flanges after all, then not"],
        "changes": [{**put, "item_id": "g6", "item": GOAL}, {"op": "remove", "item_type": "goal", "item_id": "g6"}],
    }
    undecided = await ok(await client.post(f"{plan}/sessions", json=second, headers=kam))
    done = await ok(await client.post(f"{plan}/sessions/{undecided['session_id']}/confirm", headers=boss))
    assert (done["in_force"]["revision"], "g6" in done["in_force"]["content"]["goals"]) == (3, False)
    assert (await client.get(plan, headers=kam)).status_code == 200  # the plan still folds


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
    session = {"on": "2026-11-20", "participants": ["kam"], "decisions": ["x"], "changes": [change]}
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


async def test_a_successor_supersedes_once_agreed_and_the_old_plan_stays_readable(
    client: httpx.AsyncClient, auth
) -> None:
    """The manager alone used to supersede the agreed plan by starting a successor; now the old plan stays in force
    until the supervisor agrees the successor's first revision."""
    kam, boss, plan, _ = await setup(client, auth)
    agreed = await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    account_id = agreed["account_id"]
    empty = await client.post(
        f"/v1/accounts/{account_id}/plans",
        json={"title": "none", "horizon_from": 2027, "horizon_to": 2029, "supersedes": ""},
        headers=kam,
    )
    assert (empty.status_code, empty.json()["errors"][0]["field"]) == (422, "body.supersedes")  # was a 500
    successor = await ok(
        await client.post(
            f"/v1/accounts/{account_id}/plans",
            json={"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": agreed["plan_id"]},
            headers=kam,
        )
    )
    assert successor["draft_changes"]["items"][0]["item_id"] == "g1"  # starts from the plan in force
    drafting = await ok(
        await client.get(
            f"/v1/accounts/{account_id}/plans", params={"min_position": successor["position"]}, headers=kam
        )
    )  # the plan in force first, though the successor is newer
    assert [(p["plan_id"], p["status"], p["successor"], p["supersedes"]) for p in drafting] == [
        (agreed["plan_id"], "current", successor["plan_id"], None),
        (successor["plan_id"], "successor_pending", None, agreed["plan_id"]),
    ]
    old = await ok(await client.get(plan, headers=kam))
    assert (old["superseded_by"], old["successor"], old["in_force"]["revision"]) == (None, successor["plan_id"], 1)
    frozen = await client.put(f"{plan}/draft/goal/g2", json=GOAL, headers=kam)
    assert (frozen.status_code, frozen.json()["type"]) == (409, "/problems/successor-pending")
    assert frozen.json()["plan_id"] == successor["plan_id"]
    twice = await client.post(
        f"/v1/accounts/{account_id}/plans",
        json={"title": "again", "horizon_from": 2027, "horizon_to": 2029, "supersedes": agreed["plan_id"]},
        headers=kam,
    )
    assert (twice.status_code, twice.json()["type"]) == (409, "/problems/successor-pending")
    next_plan = f"/v1/plans/{successor['plan_id']}"
    await ok(await client.post(f"{next_plan}/revisions", json={}, headers=kam))
    done = await ok(await client.post(f"{next_plan}/revisions/1/agree", json={}, headers=boss))
    old = await ok(await client.get(plan, headers=kam))
    assert (old["superseded_by"], old["successor"], old["in_force"]["revision"]) == (successor["plan_id"], None, 1)
    frozen = await client.put(f"{plan}/draft/goal/g2", json=GOAL, headers=kam)
    assert frozen.json()["type"] == "/problems/plan-superseded"
    listed = await ok(
        await client.get(f"/v1/accounts/{account_id}/plans", params={"min_position": done["position"]}, headers=kam)
    )
    assert [(p["plan_id"], p["status"]) for p in listed] == [
        (successor["plan_id"], "current"),
        (agreed["plan_id"], "superseded"),
    ]


async def test_the_agreed_plan_stays_in_force_until_its_successor_is_agreed_and_its_progress_carries_over(
    client: httpx.AsyncClient, auth, store
) -> None:
    kam, boss, plan, team = await setup(client, auth)
    account = (await client.get(plan, headers=kam)).json()["account_id"]
    action, goal = {**ACTION, "period": "2026", "due": "2026-06-30"}, {**GOAL, "period": "2026"}
    await in_force(client, plan, kam, boss, {"action/a1": action, "goal/g1": goal})
    await ok(await client.put(f"{plan}/actions/a1/status", json={"status": "done", "on": "2026-07-01"}, headers=kam))
    succ = await ok(
        await client.post(
            f"/v1/accounts/{account}/plans",
            json={"title": "Next", "horizon_from": 2026, "horizon_to": 2029, "supersedes": plan.rsplit("/", 1)[1]},
            headers=kam,
        )
    )
    assert succ["in_force"] is None
    budgets = {"team": team, "min_position": succ["position"]}
    after = await ok(await client.get("/v1/plan-budgets", params=budgets, headers=boss))
    assert [(r["budget"], r["done"]) for r in after] == [("450000", "450000")]  # still in force
    # progress goes on on the plan in force while the successor is drafted and reviewed
    await ok(await client.put(f"{plan}/goals/g1/actual", json={"value": "100", "on": "2026-07-02"}, headers=kam))
    p2 = f"/v1/plans/{succ['plan_id']}"
    await ok(await client.put(f"{p2}/draft/risk/r1", json={"text": "new"}, headers=kam))
    await ok(await client.post(f"{p2}/revisions", json={}, headers=kam))
    before = await store.head_position()
    alone = await client.post(f"{p2}/revisions/1/agree", json={}, headers=kam)  # the manager cannot do it alone
    assert (alone.status_code, alone.json()["type"]) == (403, "/problems/supervisor-only")
    assert await store.head_position() == before
    still = await ok(await client.get(plan, headers=kam))
    assert (still["superseded_by"], still["in_force"]["revision"]) == (None, 1)
    agreed = await ok(await client.post(f"{p2}/revisions/1/agree", json={}, headers=boss))
    a1, g1 = agreed["in_force"]["content"]["actions"]["a1"], agreed["in_force"]["content"]["goals"]["g1"]
    assert (a1["status"], a1["overdue"], g1["actual"]) == ("done", False, "100")
    old = await client.put(f"{plan}/actions/a1/status", json={"status": "done", "on": "2026-07-01"}, headers=kam)
    assert (old.status_code, old.json()["type"]) == (409, "/problems/plan-superseded")
    budgets = {"team": team, "min_position": agreed["position"]}
    rows = await ok(await client.get("/v1/plan-budgets", params=budgets, headers=boss))
    assert [(r["budget"], r["done"], r["actions"]) for r in rows] == [("450000", "450000", 1)]  # the successor's


async def recorded_at(client: httpx.AsyncClient, auth, plan: str, view: dict[str, Any]) -> str:
    """When the event that brought the plan to `view`'s version was recorded: an `as_of` that shows that view."""
    audit = await ok(
        await client.get(
            "/v1/audit",
            params={"stream_id": f"plan-{plan.rsplit('/', 1)[1]}", "min_position": view["position"], "limit": 100},
            headers=auth("root", Role.ADMIN),
        )
    )
    return str({e["stream_version"]: e["recorded_at"] for e in audit["items"]}[view["version"]])


async def test_an_abandoned_successor_frees_its_predecessor_and_stays_readable(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Once a successor was started, its predecessor refused new revisions until the successor was agreed, and
    nothing could give the successor up: the account was stuck when the parties changed their minds."""
    kam, boss, plan, team = await setup(client, auth)
    agreed = await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    account = agreed["account_id"]
    start = {"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": agreed["plan_id"]}
    first = await ok(await client.post(f"/v1/accounts/{account}/plans", json=start, headers=kam))
    succ = f"/v1/plans/{first['plan_id']}"
    await ok(await client.put(f"{succ}/draft/goal/g2", json=GOAL, headers=kam))
    proposed = await ok(await client.post(f"{succ}/revisions", json={}, headers=kam))  # in the supervisor's queue
    pending = await ok(await client.get(plan, headers=kam))
    # refusals write nothing
    before = await store.head_position()
    nothing = await client.post(f"{plan}/abandon", json={"reason": "no"}, headers=kam)
    assert (nothing.status_code, nothing.json()["type"]) == (409, "/problems/not-a-successor")
    stranger = await client.post(
        f"{succ}/abandon", json={"reason": "no"}, headers=auth(unique("sup"), Role.SUPERVISOR, "other")
    )
    assert stranger.status_code == 404
    colleague = await client.post(
        f"{succ}/abandon", json={"reason": "no"}, headers=auth(unique("kam"), Role.MANAGER, team)
    )
    assert colleague.status_code == 404, colleague.text  # another manager of the team does not see the account
    blank = await client.post(f"{succ}/abandon", json={"reason": ""}, headers=kam)
    assert (blank.status_code, blank.json()["errors"][0]["field"]) == (422, "body.reason")
    assert await store.head_position() == before
    # when the supervisor abandons the successor
    gone = await ok(await client.post(f"{succ}/abandon", json={"reason": "The buyer merges"}, headers=boss))
    assert (gone["abandoned"]["reason"], gone["abandoned"]["by"]) == ("The buyer merges", boss_sub(boss, auth))
    assert (gone["supersedes"], gone["under_discussion"], gone["in_force"]) == (agreed["plan_id"], None, None)
    queue = await ok(await client.get("/v1/plan-reviews", params={"min_position": gone["position"]}, headers=boss))
    assert first["plan_id"] not in [q["plan_id"] for q in queue]
    listed = await ok(
        await client.get(f"/v1/accounts/{account}/plans", params={"min_position": gone["position"]}, headers=kam)
    )
    assert [(p["plan_id"], p["status"], p["successor"], p["abandon_reason"]) for p in listed] == [
        (agreed["plan_id"], "current", None, None),
        (first["plan_id"], "abandoned", None, "The buyer merges"),
    ]
    # then it stays readable and takes nothing more
    before = await store.head_position()
    for refused in (
        await client.put(f"{succ}/draft/goal/g3", json=GOAL, headers=kam),
        await client.post(f"{succ}/revisions/1/agree", json={}, headers=boss),
        await client.post(f"{succ}/abandon", json={"reason": "again"}, headers=kam),
    ):
        assert (refused.status_code, refused.json()["type"]) == (409, "/problems/plan-abandoned"), refused.text
    assert await store.head_position() == before
    history = await ok(await client.get(f"{succ}/revisions", headers=kam))
    assert [(r["revision"], r["status"]) for r in history] == [(1, "proposed")]
    # the predecessor takes new revisions again, and a new successor can be started
    old = await ok(await client.get(plan, headers=kam))
    assert (old["successor"], old["superseded_by"], old["in_force"]["revision"]) == (None, None, 1)
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "31000000"}, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    await ok(await client.post(f"{plan}/revisions/2/agree", json={}, headers=boss))
    second = await ok(await client.post(f"/v1/accounts/{account}/plans", json=start, headers=kam))
    assert [i["item_id"] for i in second["draft_changes"]["items"]] == ["g1"]  # from revision 2; g2 went with S1
    nxt = f"/v1/plans/{second['plan_id']}"
    await ok(await client.post(f"{nxt}/revisions", json={}, headers=kam))
    took_over = await ok(await client.post(f"{nxt}/revisions/1/agree", json={}, headers=boss))
    assert took_over["in_force"]["content"]["goals"]["g1"]["target"] == "31000000"
    assert (await ok(await client.get(plan, headers=kam)))["superseded_by"] == second["plan_id"]
    listed = await ok(
        await client.get(f"/v1/accounts/{account}/plans", params={"min_position": took_over["position"]}, headers=kam)
    )
    assert [(p["plan_id"], p["status"]) for p in listed] == [
        (second["plan_id"], "current"),
        (agreed["plan_id"], "superseded"),
        (first["plan_id"], "abandoned"),
    ]
    before = await store.head_position()
    late = await client.post(f"{nxt}/abandon", json={"reason": "too late"}, headers=boss)
    assert (late.status_code, late.json()["type"], late.json()["plan_id"]) == (
        409,
        "/problems/successor-agreed",
        agreed["plan_id"],
    )
    assert await store.head_position() == before
    # as of before the abandonment, the successor was pending and under discussion
    then = await ok(
        await client.get(plan, params={"as_of": await recorded_at(client, auth, plan, pending)}, headers=kam)
    )
    assert (then["successor"], then["in_force"]["revision"]) == (first["plan_id"], 1)
    was = await ok(
        await client.get(succ, params={"as_of": await recorded_at(client, auth, succ, proposed)}, headers=kam)
    )
    assert (was["abandoned"], was["under_discussion"]["revision"]) == (None, 1)


async def test_a_session_recorded_before_a_newer_agreement_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, auth
) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    change = {"op": "put", "item_type": "goal", "item_id": "g1", "item": {**GOAL, "target": "10"}}
    session = await ok(
        await client.post(
            f"{plan}/sessions",
            json={"on": "2026-11-20", "participants": ["kam", "boss"], "decisions": ["Lower"], "changes": [change]},
            headers=kam,
        )
    )
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "20"}, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    agreed = await ok(await client.post(f"{plan}/revisions/2/agree", json={}, headers=boss))
    stale = await client.post(f"{plan}/sessions/{session['session_id']}/confirm", headers=boss)
    assert stale.status_code == 409, stale.text
    assert (stale.json()["type"], stale.json()["based_on"], stale.json()["in_force"]) == (
        "/problems/session-outdated",
        1,
        2,
    )
    now = await ok(await client.get(plan, headers=kam))
    assert now["version"] == agreed["version"]  # nothing written
    assert (now["in_force"]["revision"], now["in_force"]["content"]["goals"]["g1"]["target"]) == (2, "20")


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
    assert [(r["budget"], r["actions"]) for r in rows] == [("450000", 1)]


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


async def test_a_session_confirmed_on_a_successor_builds_on_what_it_started_from(
    client: httpx.AsyncClient, auth
) -> None:
    """A successor has nothing in force before its first agreement: its first session put in force only the
    session's own changes, dropping the predecessor's items and their progress as it took over."""
    kam, boss, plan, _ = await setup(client, auth)
    action = {**ACTION, "period": "2026", "due": "2026-06-30"}
    agreed = await in_force(client, plan, kam, boss, {"action/a1": action, "goal/g1": {**GOAL, "period": "2026"}})
    await ok(await client.put(f"{plan}/actions/a1/status", json={"status": "done", "on": "2026-01-05"}, headers=kam))
    successor = await ok(
        await client.post(
            f"/v1/accounts/{agreed['account_id']}/plans",
            json={"title": "Next", "horizon_from": 2026, "horizon_to": 2028, "supersedes": agreed["plan_id"]},
            headers=kam,
        )
    )
    following = f"/v1/plans/{successor['plan_id']}"
    change = {"op": "put", "item_type": "risk", "item_id": "r1", "item": {"text": "a new competitor"}}
    session = {"on": "2026-01-10", "participants": ["kam", "boss"], "decisions": ["add a risk"], "changes": [change]}
    recorded = await ok(await client.post(f"{following}/sessions", json=session, headers=kam))
    confirmed = await ok(await client.post(f"{following}/sessions/{recorded['session_id']}/confirm", headers=boss))
    content = confirmed["in_force"]["content"]
    assert (sorted(content["actions"]), sorted(content["goals"]), sorted(content["risks"])) == (["a1"], ["g1"], ["r1"])
    assert content["actions"]["a1"]["status"] == "done"  # the predecessor's progress came along
