"""Drafting and reviewing the long-range plan over HTTP: a full joint-planning story, its views as of every step,
the diff, role rules, the review queue and trail, and identical views after a projection rebuild."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import unique
from tests.support.plans import ACTION, GOAL, boss_sub, in_force, ok, setup
from tests.support.rebuilds import rebuilt


async def test_a_full_joint_planning_story(client: httpx.AsyncClient, auth, settings, database_url, pool) -> None:
    kam, boss, plan, team = await setup(client, auth)
    steps: list[dict[str, Any]] = []  # (view after the step) to check as-of later
    await ok(await client.put(f"{plan}/draft/goal/g-volume-2027", json=GOAL, headers=kam))
    await ok(await client.put(f"{plan}/draft/action/a-stock", json=ACTION, headers=kam))
    steps.append(await ok(await client.post(f"{plan}/revisions", json={"note": "first draft"}, headers=kam)))
    assert steps[-1]["under_discussion"]["revision"] == 1
    assert steps[-1]["in_force"] is None
    queue = await ok(await client.get("/v1/plan-reviews", params={"min_position": steps[-1]["position"]}, headers=boss))
    assert [(q["plan_id"], q["revision"]) for q in queue["items"]] == [(plan.rsplit("/", 1)[1], 1)]
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
    assert before["queue"]["items"] == []
    assert [(b["period"], b["budget"]) for b in before["budgets"]["items"]] == [("2027", "450000")]
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


async def test_the_diff_as_of_a_moment_knows_only_the_revisions_of_then(client: httpx.AsyncClient, auth) -> None:
    """Every aggregate view takes as_of, but the diff ignored it: as of a moment before revision 2 was proposed, it
    diffed revision 2 all the same, and as of a moment before the plan existed it answered as now."""
    before = datetime.now(UTC).isoformat()
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    moment = datetime.now(UTC).isoformat()
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "34000000"}, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    now = await ok(await client.get(f"{plan}/diff", params={"from": 1, "to": 2}, headers=kam))
    assert [i["fields"] for i in now["items"]] == [{"target": ["30000000", "34000000"]}]
    then = await client.get(f"{plan}/diff", params={"from": 1, "to": 2, "as_of": moment}, headers=kam)
    assert (then.status_code, then.json()["type"]) == (404, "/problems/revision-not-found"), then.text
    known = await ok(await client.get(f"{plan}/diff", params={"from": 0, "to": 1, "as_of": moment}, headers=kam))
    assert [i["item_id"] for i in known["items"]] == ["g1"]
    earlier = await client.get(f"{plan}/diff", params={"from": 0, "to": 0, "as_of": before}, headers=kam)
    assert (earlier.status_code, earlier.json()["type"]) == (404, "/problems/plan-not-found"), earlier.text


async def test_a_comment_is_open_only_until_its_review_ends_and_stays_in_the_trail(
    client: httpx.AsyncClient, auth
) -> None:
    """open_comments listed every comment never answered: one on a revision sent back years ago and replaced since,
    one the supervisor agreed past, and on a superseded plan ones that can no longer be answered (plan-superseded)."""
    kam, boss, plan, _ = await setup(client, auth)
    await ok(await client.put(f"{plan}/draft/goal/g1", json=GOAL, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))

    async def comment(revision: int, text: str) -> str:
        view = await ok(await client.post(f"{plan}/revisions/{revision}/comments", json={"text": text}, headers=boss))
        return next(c["comment_id"] for c in view["open_comments"] if c["text"] == text)

    def still_open(view: dict[str, Any]) -> list[str]:
        return [c["text"] for c in view["open_comments"]]

    await comment(1, "Too timid")
    sent_back = await ok(await client.post(f"{plan}/revisions/1/request-changes", json={"note": "no"}, headers=boss))
    assert still_open(sent_back) == ["Too timid"]  # the manager answers it, or the next revision does
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "34000000"}, headers=kam))
    assert still_open(await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))) == []
    await comment(2, "Is the stock funded?")
    assert still_open(await ok(await client.post(f"{plan}/revisions/2/agree", json={}, headers=boss))) == []
    asked = await comment(2, "How is the tender going?")  # on the plan in force, after its agreement
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "35000000"}, headers=kam))
    proposed = await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    assert still_open(proposed) == ["How is the tender going?"]  # still about the plan in force
    moment = datetime.now(UTC).isoformat()
    done = await ok(await client.post(f"{plan}/revisions/3/agree", json={}, headers=boss))
    assert still_open(done) == []
    await comment(3, "Flanges next?")
    answered = await ok(await client.post(f"{plan}/comments/{asked}/answer", json={"text": "Won"}, headers=kam))
    assert still_open(answered) == ["Flanges next?"]  # a closed comment can still be answered
    start = {"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": done["plan_id"]}
    successor = await ok(await client.post(f"/v1/accounts/{done['account_id']}/plans", json=start, headers=kam))
    await ok(await client.post(f"/v1/plans/{successor['plan_id']}/revisions", json={}, headers=kam))
    await ok(await client.post(f"/v1/plans/{successor['plan_id']}/revisions/1/agree", json={}, headers=boss))
    assert still_open(await ok(await client.get(plan, headers=kam))) == []
    trail = await ok(await client.get(f"{plan}/revisions", headers=boss))
    assert [[(c["text"], c["answer"], c["closed"]) for c in r["comments"]] for r in trail] == [
        [("Too timid", None, "revised")],
        [("Is the stock funded?", None, "agreed"), ("How is the tender going?", "Won", "agreed")],
        [("Flanges next?", None, "superseded")],
    ]
    then = await ok(await client.get(plan, params={"as_of": moment}, headers=kam))
    assert still_open(then) == ["How is the tender going?"]


async def test_a_comment_on_an_older_agreed_revision_is_not_closed_as_revised_by_a_proposal(
    client: httpx.AsyncClient, auth
) -> None:
    """Found by review: a proposal closed every open comment but those on the plan in force as `revised`, also one
    asked about an older agreed revision, which no proposal revises; it waits for the next agreement, as one about
    the plan in force does."""
    kam, boss, plan, _ = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "34000000"}, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    await ok(await client.post(f"{plan}/revisions/2/agree", json={}, headers=boss))
    asked = {"text": "Why was 30M enough then?"}
    await ok(await client.post(f"{plan}/revisions/1/comments", json=asked, headers=boss))  # an older agreed one
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "36000000"}, headers=kam))
    proposed = await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    assert [c["text"] for c in proposed["open_comments"]] == [asked["text"]]
    await ok(await client.post(f"{plan}/revisions/3/agree", json={}, headers=boss))
    trail = await ok(await client.get(f"{plan}/revisions", headers=boss))
    assert [(c["text"], c["closed"]) for c in trail[0]["comments"]] == [(asked["text"], "agreed")]


async def test_a_draft_equal_to_the_plan_in_force_is_not_proposed_but_a_successors_unchanged_one_is(
    client: httpx.AsyncClient, auth
) -> None:
    """A revision identical to the plan in force would read as a change of plan: 422 nothing-to-propose, nothing
    written. A successor before its first agreement has nothing in force; its draft kept as it started from is
    proposed, with no changes against revision 0, since agreeing it is what takes over from its predecessor."""
    kam, boss, plan, _ = await setup(client, auth)
    agreed = await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "1"}, headers=kam))
    back = await ok(await client.put(f"{plan}/draft/goal/g1", json=GOAL, headers=kam))  # changed, then changed back
    same = await client.post(f"{plan}/revisions", json={}, headers=kam)
    assert (same.status_code, same.json()["type"]) == (422, "/problems/nothing-to-propose"), same.text
    assert (await ok(await client.get(plan, headers=kam)))["version"] == back["version"]
    start = {"title": "2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": agreed["plan_id"]}
    successor = await ok(await client.post(f"/v1/accounts/{agreed['account_id']}/plans", json=start, headers=kam))
    following = f"/v1/plans/{successor['plan_id']}"
    await ok(await client.post(f"{following}/revisions", json={}, headers=kam))
    done = await ok(await client.post(f"{following}/revisions/1/agree", json={}, headers=boss))
    assert (done["in_force"]["revision"], list(done["in_force"]["content"]["goals"])) == (1, ["g1"])
    trail = await ok(await client.get(f"{following}/revisions", headers=boss))
    assert [(r["revision"], r["changes"]["items"]) for r in trail] == [(1, [])]
    assert (await ok(await client.get(plan, headers=kam)))["superseded_by"] == successor["plan_id"]
