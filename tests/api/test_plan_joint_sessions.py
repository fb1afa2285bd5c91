"""Joint planning sessions, found wanting by review: who may confirm, what they can read first, what a
confirmation may put in force, and how the history shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import unique
from tests.api.test_buying_center import add
from tests.support.plans import ACTION, GOAL, boss_sub, in_force, ok, setup

RISK = {"text": "A federal distributor undercuts prices"}


def _session(changes: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "on": "2026-11-20",
        "our_participants": ["kam", "boss"],
        "decisions": ["Agreed at the table"],
        "changes": changes,
        **extra,
    }


async def test_nobody_confirms_their_own_session_as_nobody_agrees_their_own_revision(
    client: httpx.AsyncClient, auth
) -> None:
    """The KAM is made the team's head (a supervisor token with the same subject). Agreeing the revision they
    proposed was refused (own-revision), but confirming the session they recorded as the manager was not: the plan
    went into force with one person on both sides of the joint planning."""
    kam, boss, plan, team = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    promoted = auth(boss_sub(kam, auth), Role.SUPERVISOR, team)
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "20000000"}, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    own = await client.post(f"{plan}/revisions/2/agree", json={}, headers=promoted)
    assert (own.status_code, own.json()["type"]) == (403, "/problems/own-revision")
    await ok(await client.post(f"{plan}/revisions/2/request-changes", json={"note": "no"}, headers=boss))
    change = {"op": "put", "item_type": "goal", "item_id": "g1", "item": {**GOAL, "target": "10"}}
    recorded = await ok(await client.post(f"{plan}/sessions", json=_session([change]), headers=kam))
    confirmed = await client.post(f"{plan}/sessions/{recorded['session_id']}/confirm", headers=promoted)
    assert (confirmed.status_code, confirmed.json()["type"]) == (403, "/problems/own-session"), confirmed.text
    assert (await ok(await client.get(plan, headers=kam)))["in_force"]["revision"] == 1


async def test_a_confirmed_session_leaves_no_id_on_two_items_of_the_plan(client: httpx.AsyncClient, auth) -> None:
    """README: an item id names one item of the plan. The manager drafts goal x1; the supervisor's session puts an
    action x1 (free in the plan in force); the confirmation copied it onto the draft, which then held goal x1 and
    action x1, and so did the next revision agreed. Now the confirmation is refused until the draft frees the id."""
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    await ok(await client.put(f"{plan}/draft/goal/x1", json={**GOAL, "description": "Ball valves"}, headers=kam))
    put = {"op": "put", "item_type": "action", "item_id": "x1", "item": ACTION}
    recorded = await ok(await client.post(f"{plan}/sessions", json=_session([put]), headers=boss))
    confirm = f"{plan}/sessions/{recorded['session_id']}/confirm"
    refused = await client.post(confirm, headers=kam)
    assert (refused.status_code, refused.json()["type"]) == (409, "/problems/item-id-taken"), refused.text
    await ok(await client.delete(f"{plan}/draft/goal/x1", headers=kam))
    content = (await ok(await client.post(confirm, headers=kam)))["in_force"]["content"]
    assert ("x1" in content["actions"], "x1" in content["goals"]) == (True, False)


async def test_a_session_on_a_successor_of_a_plan_never_agreed_puts_only_agreed_content_in_force(
    client: httpx.AsyncClient, auth
) -> None:
    """The supervisor sent the first plan back (its target too high); the manager starts a successor of it. Its
    draft starts from the predecessor's draft, so the work is not lost; but a session adding one risk, confirmed by
    the supervisor, put the refused target in force though nobody agreed it."""
    kam, boss, plan, _ = await setup(client, auth)
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "90000000"}, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    await ok(
        await client.post(f"{plan}/revisions/1/request-changes", json={"note": "90M is unrealistic"}, headers=boss)
    )
    first = await ok(await client.get(plan, headers=kam))
    successor = await ok(
        await client.post(
            f"/v1/accounts/{first['account_id']}/plans",
            json={"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": first["plan_id"]},
            headers=kam,
        )
    )
    path = f"/v1/plans/{successor['plan_id']}"
    risk = {"op": "put", "item_type": "risk", "item_id": "r1", "item": RISK}
    recorded = await ok(await client.post(f"{path}/sessions", json=_session([risk]), headers=kam))
    confirmed = await ok(await client.post(f"{path}/sessions/{recorded['session_id']}/confirm", headers=boss))
    assert "g1" not in confirmed["in_force"]["content"]["goals"], confirmed["in_force"]["content"]["goals"]
    assert "r1" in confirmed["in_force"]["content"]["risks"]
    drafted = {(i["item_id"], i["fields"]["target"][1]) for i in confirmed["draft_changes"]["items"]}
    assert ("g1", "90000000") in drafted  # still in the manager's draft, to propose again


async def test_the_party_who_confirms_a_session_can_read_it_and_its_participants_stay_in_the_history(
    client: httpx.AsyncClient, auth
) -> None:
    """No view showed a session before its confirmation (its changes, decisions, participants, date), and after it
    only the decisions (as the revision's note) and the session id remained: the supervisor confirmed blind."""
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    account = f"/v1/accounts/{(await ok(await client.get(plan, headers=kam)))['account_id']}"
    petrov = (await add(client, account, kam, name="Petrov (head of OEM North)"))["member"]["member_id"]
    change = {"op": "put", "item_type": "goal", "item_id": "g1", "item": {**GOAL, "target": "25000000"}}
    body = _session([change], participants=[petrov], our_participants=["Ivanova (KAM)"])
    recorded = await ok(await client.post(f"{plan}/sessions", json=body, headers=kam))
    [waiting] = await ok(await client.get(f"{plan}/sessions", headers=boss))
    assert (waiting["session_id"], waiting["on"], waiting["participants"], waiting["our_participants"]) == (
        recorded["session_id"], "2026-11-20", [petrov], ["Ivanova (KAM)"])  # fmt: skip
    assert waiting["confirmed_by"] is None
    assert [(c["op"], c["item_id"], c["item"]["target"]) for c in waiting["changes"]] == [("put", "g1", "25000000")]
    assert (waiting["recorded_role"], waiting["based_on"], waiting["revision"]) == ("manager", 1, None)
    await ok(await client.post(f"{plan}/sessions/{recorded['session_id']}/confirm", headers=boss))
    [confirmed] = await ok(await client.get(f"{plan}/sessions", headers=kam))
    assert (confirmed["confirmed_by"], confirmed["revision"]) == (boss_sub(boss, auth), 2)


async def test_a_session_revision_shows_the_changes_of_the_session(client: httpx.AsyncClient, auth) -> None:
    """GET …/revisions diffs each revision against the one before it in number. A session is decided against the
    plan in force; when the revision before it was one sent back, the trail says the session changed what it never
    touched (g1 50M → 30M)."""
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "50000000"}, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    await ok(await client.post(f"{plan}/revisions/2/request-changes", json={"note": "too high"}, headers=boss))
    risk = {"op": "put", "item_type": "risk", "item_id": "r1", "item": RISK}
    recorded = await ok(await client.post(f"{plan}/sessions", json=_session([risk]), headers=kam))
    await ok(await client.post(f"{plan}/sessions/{recorded['session_id']}/confirm", headers=boss))
    trail = await ok(await client.get(f"{plan}/revisions", headers=boss))
    third = next(r for r in trail if r["revision"] == 3)
    assert {(i["item_type"], i["item_id"], i["change"]) for i in third["changes"]["items"]} == {
        ("risk", "r1", "added")
    }, third["changes"]


async def test_a_session_recorded_by_the_old_teams_supervisor_is_not_confirmed_after_a_hand_over(
    client: httpx.AsyncClient, auth
) -> None:
    """The plan is written by the manager and the manager's direct supervisor. The old team's supervisor records a
    session; the account is handed over to a manager of another team; the new owner confirms it, and the plan in
    force was agreed between him and a supervisor who no longer oversees the account (who may not even see it)."""
    kam, boss, plan, _ = await setup(client, auth)
    agreed = await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    change = {"op": "put", "item_type": "goal", "item_id": "g1", "item": {**GOAL, "target": "5000000"}}
    recorded = await ok(await client.post(f"{plan}/sessions", json=_session([change]), headers=boss))
    other_team, new_kam = unique("team"), unique("kam")
    await ok(
        await client.post(
            f"/v1/accounts/{agreed['account_id']}/hand-over",
            json={"to_owner": new_kam, "to_team": other_team, "trigger": "contract_signed"},
            headers=kam,
        )
    )
    assert (await client.get(plan, headers=boss)).status_code == 404  # the old supervisor no longer sees it
    confirmed = await client.post(
        f"{plan}/sessions/{recorded['session_id']}/confirm", headers=auth(new_kam, Role.MANAGER, other_team)
    )
    assert (confirmed.status_code, confirmed.json()["type"]) == (409, "/problems/session-recorder-not-a-party")
    new_boss = auth(unique("boss"), Role.SUPERVISOR, other_team)
    assert (await ok(await client.get(plan, headers=new_boss)))["in_force"]["revision"] == 1


async def test_a_session_left_waiting_on_a_plan_its_successor_replaced_reads_superseded(
    client: httpx.AsyncClient, auth, store
) -> None:
    """A session recorded on the plan in force, not yet confirmed when a successor took over, read as waiting for
    ever, though the plan refuses its confirmation (plan-superseded); one on the successor, recorded before the
    successor's first agreement, read as waiting too, though that agreement outdated it."""
    kam, boss, plan, _ = await setup(client, auth)
    agreed = await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    change = {"op": "put", "item_type": "goal", "item_id": "g1", "item": {**GOAL, "target": "20000000"}}
    old = await ok(await client.post(f"{plan}/sessions", json=_session([change]), headers=kam))
    start = {"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": agreed["plan_id"]}
    successor = await ok(await client.post(f"/v1/accounts/{agreed['account_id']}/plans", json=start, headers=kam))
    following = f"/v1/plans/{successor['plan_id']}"
    risk = {"op": "put", "item_type": "risk", "item_id": "r1", "item": RISK}
    early = await ok(await client.post(f"{following}/sessions", json=_session([risk]), headers=kam))
    drafting = await ok(await client.get(f"{plan}/sessions", headers=boss))
    assert [s["status"] for s in drafting] == ["waiting"]  # confirmed once the successor is abandoned, if it is
    await ok(await client.put(f"{following}/draft/risk/r2", json=RISK, headers=kam))
    await ok(await client.post(f"{following}/revisions", json={}, headers=kam))
    took_over = await ok(await client.post(f"{following}/revisions/1/agree", json={}, headers=boss))
    [left] = await ok(await client.get(f"{plan}/sessions", headers=boss))
    assert (left["session_id"], left["status"], left["confirmed_by"]) == (old["session_id"], "superseded", None)
    [outdated] = await ok(await client.get(f"{following}/sessions", headers=boss))
    assert (outdated["session_id"], outdated["status"]) == (early["session_id"], "outdated")
    before = await store.head_position()
    refused = await client.post(f"{plan}/sessions/{old['session_id']}/confirm", headers=boss)
    assert (refused.status_code, refused.json()["type"]) == (409, "/problems/plan-superseded")
    assert await store.head_position() == before
    audit = await ok(
        await client.get(
            "/v1/audit",
            params={"stream_id": f"plan-{agreed['plan_id']}", "min_position": took_over["position"], "limit": 100},
            headers=auth("root", Role.ADMIN),
        )
    )
    moments = sorted(e["recorded_at"] for e in audit["items"])
    [then] = await ok(await client.get(f"{plan}/sessions", params={"as_of": moments[-2]}, headers=boss))
    assert then["status"] == "waiting"  # as of before the successor's agreement superseded the plan


async def test_a_session_on_an_abandoned_successor_reads_abandoned(client: httpx.AsyncClient, auth) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    agreed = await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    start = {"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": agreed["plan_id"]}
    successor = await ok(await client.post(f"/v1/accounts/{agreed['account_id']}/plans", json=start, headers=kam))
    following = f"/v1/plans/{successor['plan_id']}"
    risk = {"op": "put", "item_type": "risk", "item_id": "r1", "item": RISK}
    await ok(await client.post(f"{following}/sessions", json=_session([risk]), headers=kam))
    await ok(await client.post(f"{following}/abandon", json={"reason": "The buyer merges"}, headers=boss))
    [session] = await ok(await client.get(f"{following}/sessions", headers=boss))
    assert session["status"] == "abandoned"


async def test_a_sessions_revision_was_proposed_when_the_session_was_recorded(
    client: httpx.AsyncClient, auth, pool
) -> None:
    """The revision a session puts in force names its recorder as who proposed it, but took the confirmation's time
    as when: the trail read as proposed and agreed in the same instant, hiding the days it waited for the other
    party, and so did read.plan_revisions."""
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    change = {"op": "put", "item_type": "goal", "item_id": "g1", "item": {**GOAL, "target": "25000000"}}
    recorded = await ok(await client.post(f"{plan}/sessions", json=_session([change]), headers=kam))
    confirmed = await ok(await client.post(f"{plan}/sessions/{recorded['session_id']}/confirm", headers=boss))
    audit = await ok(
        await client.get(
            "/v1/audit",
            params={"stream_id": f"plan-{plan.rsplit('/', 1)[1]}", "min_position": confirmed["position"], "limit": 100},
            headers=auth("root", Role.ADMIN),
        )
    )
    when = {e["stream_version"]: datetime.fromisoformat(e["occurred_at"]) for e in audit["items"]}
    [session] = await ok(await client.get(f"{plan}/sessions", headers=kam))
    assert datetime.fromisoformat(session["recorded_at"]) == when[recorded["version"]]
    second = (await ok(await client.get(f"{plan}/revisions", headers=boss)))[1]
    assert (second["session_id"], second["proposed_by"]) == (recorded["session_id"], boss_sub(kam, auth))
    assert datetime.fromisoformat(second["proposed_at"]) == when[recorded["version"]]
    assert datetime.fromisoformat(second["decided_at"]) == when[confirmed["version"]]
    freshness = {"min_position": confirmed["position"]}
    assert (await client.get("/v1/plan-budgets", params=freshness, headers=boss)).status_code == 200
    row = await pool.fetchrow(
        "SELECT proposed_at, decided_at FROM read.plan_revisions WHERE plan_id = $1 AND revision = 2",
        plan.rsplit("/", 1)[1],
    )
    assert (row["proposed_at"], row["decided_at"]) == (when[recorded["version"]], when[confirmed["version"]])


async def test_a_session_that_changes_nothing_is_kept_as_minutes_but_makes_no_revision(
    client: httpx.AsyncClient, auth
) -> None:
    """The parties sat down and kept the plan as it is (no changes, or only ones that cancel out): confirming it made
    a new revision identical to the one in force, which the trail then showed as a change of plan, where a proposal
    of a draft equal to the plan in force is refused (nothing-to-propose)."""
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    same = {"op": "put", "item_type": "goal", "item_id": "g1", "item": GOAL}
    risk = {"op": "put", "item_type": "risk", "item_id": "r1", "item": RISK}
    for changes in ([], [same], [risk, {"op": "remove", "item_type": "risk", "item_id": "r1"}]):
        kept = _session(changes, decisions=["The plan stands; we meet again in March"])
        recorded = await ok(await client.post(f"{plan}/sessions", json=kept, headers=boss))
        confirmed = await ok(await client.post(f"{plan}/sessions/{recorded['session_id']}/confirm", headers=kam))
        assert confirmed["in_force"]["revision"] == 1, changes
        assert confirmed["version"] == recorded["version"] + 1  # the confirmation, and nothing else
        sessions = {s["session_id"]: s for s in await ok(await client.get(f"{plan}/sessions", headers=boss))}
        minutes = sessions[recorded["session_id"]]
        assert (minutes["status"], minutes["confirmed_by"], minutes["revision"]) == (
            "confirmed",
            boss_sub(kam, auth),
            None,
        )
        assert minutes["decisions"] == ["The plan stands; we meet again in March"]
    trail = await ok(await client.get(f"{plan}/revisions", headers=boss))
    assert [(r["revision"], r["status"]) for r in trail] == [(1, "agreed")]
    again = await client.post(f"{plan}/sessions/{recorded['session_id']}/confirm", headers=kam)
    assert (again.status_code, again.json()["type"]) == (409, "/problems/session-confirmed")


async def test_a_session_that_keeps_a_successor_as_it_started_makes_its_first_revision(
    client: httpx.AsyncClient, auth
) -> None:
    """A successor has nothing in force before its first agreement: keeping what it started from is a change, and
    puts it in force, as proposing that draft unchanged would."""
    kam, boss, plan, _ = await setup(client, auth)
    agreed = await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    start = {"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": agreed["plan_id"]}
    successor = await ok(await client.post(f"/v1/accounts/{agreed['account_id']}/plans", json=start, headers=kam))
    following = f"/v1/plans/{successor['plan_id']}"
    recorded = await ok(await client.post(f"{following}/sessions", json=_session([]), headers=kam))
    confirmed = await ok(await client.post(f"{following}/sessions/{recorded['session_id']}/confirm", headers=boss))
    assert (confirmed["in_force"]["revision"], list(confirmed["in_force"]["content"]["goals"])) == (1, ["g1"])
    assert (await ok(await client.get(plan, headers=kam)))["superseded_by"] == successor["plan_id"]
