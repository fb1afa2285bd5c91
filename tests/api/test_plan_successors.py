"""Successor plans over HTTP: the old plan in force until its successor is agreed, progress carried over, and a
successor abandoned."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import unique
from tests.support.plans import ACTION, GOAL, boss_sub, in_force, ok, setup


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
    assert successor["draft_changes"]["items"] == []  # starts from the plan in force, which it does not change yet
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
    assert [(r["budget"], r["done"]) for r in after["items"]] == [("450000", "450000")]  # still in force
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
    rows = (await ok(await client.get("/v1/plan-budgets", params=budgets, headers=boss)))["items"]
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
    assert first["plan_id"] not in [q["plan_id"] for q in queue["items"]]
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
    assert second["draft_changes"]["items"] == []  # it starts from revision 2 as it is; g2 went with S1
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
    session = {
        "on": "2026-01-10",
        "our_participants": ["kam", "boss"],
        "decisions": ["add a risk"],
        "changes": [change],
    }
    recorded = await ok(await client.post(f"{following}/sessions", json=session, headers=kam))
    confirmed = await ok(await client.post(f"{following}/sessions/{recorded['session_id']}/confirm", headers=boss))
    content = confirmed["in_force"]["content"]
    assert (sorted(content["actions"]), sorted(content["goals"]), sorted(content["risks"])) == (["a1"], ["g1"], ["r1"])
    assert content["actions"]["a1"]["status"] == "done"  # the predecessor's progress came along


async def test_a_successors_first_revision_is_diffed_against_what_it_started_from(
    client: httpx.AsyncClient, auth
) -> None:
    """Found by review: revision 0 was nothing on every plan, so a successor's first revision, whose draft began as
    its predecessor's plan in force, showed every item as added (in the diff, the trail and the plan view), and
    what the successor really changed was lost among the items it kept. The same as of any moment."""
    kam, boss, plan, _ = await setup(client, auth)
    agreed = await in_force(client, plan, kam, boss, {"goal/g1": GOAL, "action/a1": ACTION, "risk/r0": {"text": "x"}})
    start = {"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": agreed["plan_id"]}
    successor = await ok(await client.post(f"/v1/accounts/{agreed['account_id']}/plans", json=start, headers=kam))
    assert successor["draft_changes"] == {"items": [], "budget": {}}  # it starts from the plan in force, shown
    started = successor["started_from"]
    assert [sorted(started[kind]) for kind in ("goals", "actions", "risks")] == [["g1"], ["a1"], ["r0"]]
    following = f"/v1/plans/{successor['plan_id']}"
    await ok(await client.put(f"{following}/draft/goal/g1", json={**GOAL, "target": "34000000"}, headers=kam))
    await ok(await client.delete(f"{following}/draft/risk/r0", headers=kam))
    await ok(await client.put(f"{following}/draft/risk/r1", json={"text": "a new competitor"}, headers=kam))
    proposed = await ok(await client.post(f"{following}/revisions", json={}, headers=kam))
    changes = {
        "items": [
            {"item_type": "goal", "item_id": "g1", "change": "changed", "fields": {"target": ["30000000", "34000000"]}},
            {"item_type": "risk", "item_id": "r0", "change": "removed", "fields": {"text": ["x", None]}},
            {"item_type": "risk", "item_id": "r1", "change": "added", "fields": {"text": [None, "a new competitor"]}},
        ],
        "budget": {},  # a1 is kept as it was
    }
    assert (proposed["under_discussion"]["diff"], proposed["draft_changes"]) == (changes, changes)
    moment = datetime.now(UTC).isoformat()
    took_over = await ok(await client.post(f"{following}/revisions/1/agree", json={}, headers=boss))
    assert (took_over["started_from"], took_over["draft_changes"]["items"]) == (None, [])  # its own plan in force
    for as_of in ({}, {"as_of": moment}):  # the present and the past, folded by the same code
        diff = await ok(await client.get(f"{following}/diff", params={"from": 0, "to": 1, **as_of}, headers=kam))
        [first] = await ok(await client.get(f"{following}/revisions", params=as_of, headers=kam))
        assert ({**diff, "from": 0, "to": 1}, first["changes"]) == ({"from": 0, "to": 1, **changes}, changes)
    then = await ok(await client.get(following, params={"as_of": moment}, headers=kam))
    assert then["under_discussion"]["diff"] == changes


async def test_a_successor_of_a_plan_never_agreed_is_diffed_against_nothing(client: httpx.AsyncClient, auth) -> None:
    """Its draft began as a draft no one agreed: like its sessions, its first revision builds on nothing agreed."""
    kam, _, plan, _ = await setup(client, auth)
    await ok(await client.put(f"{plan}/draft/goal/g1", json=GOAL, headers=kam))
    account = (await ok(await client.get(plan, headers=kam)))["account_id"]
    start = {"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": plan.rsplit("/", 1)[1]}
    successor = await ok(await client.post(f"/v1/accounts/{account}/plans", json=start, headers=kam))
    assert (successor["started_from"], [i["item_id"] for i in successor["draft_changes"]["items"]]) == (None, ["g1"])
    following = f"/v1/plans/{successor['plan_id']}"
    await ok(await client.post(f"{following}/revisions", json={}, headers=kam))
    diff = await ok(await client.get(f"{following}/diff", params={"from": 0, "to": 1}, headers=kam))
    assert [(i["item_id"], i["change"]) for i in diff["items"]] == [("g1", "added")]
