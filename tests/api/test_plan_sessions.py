"""Joint sessions on the long-range plan over HTTP: recorded by one party and confirmed by the other, their
changes checked, and a session outdated by a newer agreement refused."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_accounts import unique
from tests.support.plans import GOAL, boss_sub, in_force, ok, setup


async def test_a_joint_session_needs_both_parties(client: httpx.AsyncClient, auth) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    recorded = await ok(
        await client.post(
            f"{plan}/sessions",
            json={
                "on": "2026-11-20",
                "our_participants": ["kam", "boss"],
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
            "our_participants": ["kam"],
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
            "our_participants": ["kam"],
            "decisions": ["x"],
            "changes": [remove, {**put, "item_id": "g3", "item": {"period": "2026", "target": "x"}}],
        },
        headers=kam,
    )
    assert shapeless.status_code == 422
    assert "body.changes.1.item.target" in {e["field"] for e in shapeless.json()["errors"]}
    for item in ("a goal", None):  # a put without an object to put
        session = {"on": "2026-11-20", "our_participants": ["kam"], "decisions": ["x"]}
        itemless = await client.post(
            f"{plan}/sessions", json={**session, "changes": [{**put, "item_id": "g4", "item": item}]}, headers=kam
        )
        assert [e["field"] for e in itemless.json()["errors"]] == ["body.changes.0.item"], item
    for body in ([GOAL], "a goal", 3):
        listed = await client.put(f"{plan}/draft/goal/g5", json=body, headers=kam)
        assert (listed.status_code, [e["field"] for e in listed.json()["errors"]]) == (422, ["body"]), body
    second = {  # an item put and then removed in one session: the fold must not look for it
        "on": "2026-11-21",
        "our_participants": ["kam", "boss"],
        "decisions": ["Flanges after all, then not", "Ball valves in 2027"],
        "changes": [
            {**put, "item_id": "g6", "item": GOAL},
            {"op": "remove", "item_type": "goal", "item_id": "g6"},
            {**put, "item_id": "g7", "item": {**GOAL, "description": "Ball valves"}},  # else no revision
        ],
    }
    undecided = await ok(await client.post(f"{plan}/sessions", json=second, headers=kam))
    done = await ok(await client.post(f"{plan}/sessions/{undecided['session_id']}/confirm", headers=boss))
    assert (done["in_force"]["revision"], "g6" in done["in_force"]["content"]["goals"]) == (3, False)
    assert (await client.get(plan, headers=kam)).status_code == 200  # the plan still folds


async def test_a_session_recorded_before_a_newer_agreement_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, auth
) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    change = {"op": "put", "item_type": "goal", "item_id": "g1", "item": {**GOAL, "target": "10"}}
    session = await ok(
        await client.post(
            f"{plan}/sessions",
            json={"on": "2026-11-20", "our_participants": ["kam", "boss"], "decisions": ["Lower"], "changes": [change]},
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


async def test_confirming_a_session_that_changes_nothing_ends_the_open_reviews_as_an_agreement_does(
    client: httpx.AsyncClient, auth
) -> None:
    """Found by review: a session confirmed with no revision (it kept the plan as it is) left every open comment open
    for ever, where confirming one that makes a revision closes them as `agreed`. It is the same agreement of the
    parties: the comments on the plan in force, on an older agreed revision and on one sent back close as agreed."""
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "34000000"}, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    await ok(await client.post(f"{plan}/revisions/2/agree", json={}, headers=boss))
    for revision, text in ((1, "Why was 30M enough then?"), (2, "How is the tender going?")):
        await ok(await client.post(f"{plan}/revisions/{revision}/comments", json={"text": text}, headers=boss))
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "50000000"}, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    await ok(await client.post(f"{plan}/revisions/3/comments", json={"text": "Too bold"}, headers=boss))
    sent_back = await ok(await client.post(f"{plan}/revisions/3/request-changes", json={"note": "no"}, headers=boss))
    assert len(sent_back["open_comments"]) == 3
    kept = {"on": "2026-11-20", "our_participants": ["kam", "boss"], "decisions": ["The plan stands"], "changes": []}
    recorded = await ok(await client.post(f"{plan}/sessions", json=kept, headers=boss))
    confirmed = await ok(await client.post(f"{plan}/sessions/{recorded['session_id']}/confirm", headers=kam))
    assert (confirmed["in_force"]["revision"], confirmed["open_comments"]) == (2, [])
    assert (await ok(await client.get(plan, headers=boss)))["open_comments"] == []
    trail = await ok(await client.get(f"{plan}/revisions", headers=boss))
    assert [[(c["text"], c["answer"], c["closed"]) for c in r["comments"]] for r in trail] == [
        [("Why was 30M enough then?", None, "agreed")],
        [("How is the tender going?", None, "agreed")],
        [("Too bold", None, "agreed")],
    ]


async def test_a_session_waiting_for_the_supervisor_is_in_their_review_queue(client: httpx.AsyncClient, auth) -> None:
    """Joint planning is the plan's largest effect (seed 001), but the supervisor's queue listed only proposed
    revisions: a session the manager recorded, waiting for the supervisor's confirmation, was in no list of theirs."""
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    plan_id = plan.rsplit("/", 1)[1]
    body = {"on": "2026-11-20", "our_participants": ["kam"], "decisions": ["Raise the 2027 target"]}
    change = {"op": "put", "item_type": "goal", "item_id": "g1", "item": {**GOAL, "target": "35000000"}}
    mine = await ok(await client.post(f"{plan}/sessions", json={**body, "changes": [change]}, headers=kam))
    theirs = await ok(await client.post(f"{plan}/sessions", json=body, headers=boss))  # waits for the manager

    async def queue(headers: dict[str, str], position: int) -> list[tuple[Any, ...]]:
        got = await ok(await client.get("/v1/plan-reviews", params={"min_position": position}, headers=headers))
        return [(i["plan_id"], i["revision"], i["session_id"], i["proposed_by"]) for i in got["items"]]

    waiting = [(plan_id, None, mine["session_id"], boss_sub(kam, auth))]
    assert await queue(boss, theirs["position"]) == waiting
    assert await queue(kam, theirs["position"]) == waiting  # the manager sees what waits on the supervisor
    assert theirs["session_id"] not in {s for _, _, s, _ in waiting}
    again = await ok(await client.post(f"{plan}/sessions", json=body, headers=kam))  # minutes, also waiting
    params: dict[str, Any] = {"min_position": again["position"], "limit": 1}
    first = await ok(await client.get("/v1/plan-reviews", params=params, headers=boss))
    params["cursor"] = first["next_cursor"]
    second = await ok(await client.get("/v1/plan-reviews", params=params, headers=boss))
    paged = [i["session_id"] for i in first["items"] + second["items"]]
    assert (paged, second["next_cursor"]) == ([mine["session_id"], again["session_id"]], None)
    confirmed = await ok(await client.post(f"{plan}/sessions/{mine['session_id']}/confirm", headers=boss))
    assert await queue(boss, confirmed["position"]) == []  # the other one is outdated now: it waits no more


async def test_a_session_whose_recorder_handed_the_account_over_leaves_the_review_queue(
    client: httpx.AsyncClient, auth
) -> None:
    """Found by review: after a hand-over, a session the former manager recorded can never be confirmed (409
    `session-recorder-not-a-party`: record it again), yet the new owner's supervisor still found it in their queue."""
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    change = {"op": "put", "item_type": "goal", "item_id": "g1", "item": {**GOAL, "target": "35000000"}}
    body = {"on": "2026-11-20", "our_participants": ["kam"], "decisions": ["Raise the 2027 target"]}
    session = await ok(await client.post(f"{plan}/sessions", json={**body, "changes": [change]}, headers=kam))
    account_id = (await ok(await client.get(plan, headers=kam)))["account_id"]
    heir = unique("kam")
    handed = await ok(
        await client.post(
            f"/v1/accounts/{account_id}/hand-over",
            json={"to_owner": heir, "trigger": "contract_signed"},
            headers=kam,
        )
    )
    queue = await ok(await client.get("/v1/plan-reviews", params={"min_position": handed["position"]}, headers=boss))
    assert [i["session_id"] for i in queue["items"]] == []
    refused = await client.post(f"{plan}/sessions/{session['session_id']}/confirm", headers=boss)
    assert (refused.status_code, refused.json()["type"]) == (409, "/problems/session-recorder-not-a-party")
