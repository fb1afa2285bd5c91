"""A date in the future is a 422 naming the field that holds it, as every other refusal of an input does: an
interaction's `occurred_on`, a contact's or a leaving's `on`, an answer's `learned_on` were refused without one."""

from __future__ import annotations

import httpx

from tests.api.test_buying_center import add
from tests.support.opportunities import log, open_project, setup
from tests.support.plans import ACTION, GOAL, in_force
from tests.support.plans import setup as plan_setup
from tests.support.problems import assert_refused

FUTURE = "2999-12-31"


async def test_a_future_date_is_refused_naming_its_field_and_writes_nothing(
    client: httpx.AsyncClient, auth, store
) -> None:
    path, kam, _, _ = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    logged = await log(client, path, kam, participants=[member])
    assert logged.status_code == 201, logged.text
    entry = f"/v1/interactions/{logged.json()['interaction_id']}"
    before = await store.head_position()
    corrected = {"kind": "call", "occurred_on": FUTURE, "participants": [member], "summary": "x", "reason": "typo"}
    refusals = {
        "occurred_on": [
            await log(client, path, kam, participants=[member], occurred_on=FUTURE),
            await client.post(f"{entry}/corrections", json=corrected, headers=kam),
        ],
        "on": [
            await client.post(f"{path}/buying-center/members/{member}/contacts", json={"on": FUTURE}, headers=kam),
            await client.post(f"{path}/buying-center/members/{member}/left", json={"on": FUTURE}, headers=kam),
        ],
        "learned_on": [
            await client.post(
                f"{path}/dossier/answers",
                json={"question_code": "headcount", "value": 10, "learned_on": FUTURE},
                headers=kam,
            )
        ],
    }
    for field, answers in refusals.items():
        for answer in answers:
            assert_refused(answer, "date-in-future", field)
    assert await store.head_position() == before


async def test_a_future_day_of_a_planning_session_or_of_progress_names_its_field_and_writes_nothing(
    client: httpx.AsyncClient, auth, store
) -> None:
    """A planning session's `on` and the `on` of an action's status or a goal's actual were refused without a field."""
    kam, boss, plan, _ = await plan_setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL, "action/a1": ACTION})
    before = await store.head_position()
    refusals = [
        await client.post(
            f"{plan}/sessions", json={"on": FUTURE, "our_participants": ["kam"], "decisions": ["x"]}, headers=kam
        ),
        await client.put(f"{plan}/actions/a1/status", json={"status": "done", "on": FUTURE}, headers=kam),
        await client.put(f"{plan}/goals/g1/actual", json={"value": "1", "on": FUTURE}, headers=kam),
    ]
    for answer in refusals:
        assert_refused(answer, "date-in-future", "on")
    assert await store.head_position() == before


async def test_a_future_day_of_a_sales_project_names_its_field_and_writes_nothing(
    client: httpx.AsyncClient, auth, store
) -> None:
    """A project's `opened_on`, the `on` of a stage change, a need, a price round, the leader's confirmation and
    confident use, and a problem's `confirmed_on` were refused as date-in-future without a field (found by review)."""
    path, kam, _, _ = await setup(client, auth)
    signer = (await add(client, path, kam, roles=["signer"]))["member"]["member_id"]
    op = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    before = await store.head_position()
    confirmation = {"member_id": signer, "note": "Go", "on": FUTURE}
    opening = {"product_line": "Filters", "kind": "new_client", "opened_on": FUTURE}
    need = {"member_id": signer, "need": "Warm starts", "on": FUTURE}
    spin = {"problem": "Clogging", "explicit": True, "need_confirmed_by": signer, "confirmed_on": FUTURE}
    refusals = {
        "opened_on": [await client.post(f"{path}/opportunities", json=opening, headers=kam)],
        "on": [
            await client.post(f"{op}/stage", json={"on": FUTURE}, headers=kam),
            await client.post(f"{op}/needs", json=need, headers=kam),
            await client.post(f"{op}/price-rounds", json={"round": 1, "level": "buyers", "on": FUTURE}, headers=kam),
            await client.post(f"{op}/leader-confirmation", json=confirmation, headers=kam),
            await client.post(f"{op}/confident-use", json=confirmation, headers=kam),
        ],
        "confirmed_on": [await client.post(f"{op}/problems", json=spin, headers=kam)],
    }
    for field, answers in refusals.items():
        for answer in answers:
            assert_refused(answer, "date-in-future", field)
    assert await store.head_position() == before
