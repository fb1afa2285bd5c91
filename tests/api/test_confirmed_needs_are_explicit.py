"""A problem on the SPIN list whose need a member confirmed is an explicit need: recorded as implied (`explicit`
left out, its default false), it was stored and then met no `need_confirmed_by_ally`, so the gate said a need the
manager had just recorded was missing."""

from __future__ import annotations

import httpx

from tests.api.test_buying_center import add
from tests.support.opportunities import TODAY, a_client, open_project, setup


def held(view: dict, code: str) -> bool:
    return next(c["holds"] for c in view["exit_criteria"] if c["code"] == code)


async def test_a_need_confirmed_on_the_problem_list_but_not_marked_explicit_is_refused_naming_explicit(
    client: httpx.AsyncClient, auth, store
) -> None:
    path, kam, _, _ = await setup(client, auth)
    await a_client(client, path, kam)
    ally = (await add(client, path, kam, roles=["ally", "user"], attitude=2))["member"]["member_id"]
    op = f"/v1/opportunities/{(await open_project(client, path, kam, kind='cross_sell'))['opportunity_id']}"
    assert (await client.post(f"{op}/allies", json={"member_id": ally}, headers=kam)).status_code == 200
    confirmed = {"problem": "Clogging", "affected_member": ally, "criteria": ["cost per truck"],
                 "need_confirmed_by": ally, "confirmed_on": TODAY.isoformat()}  # fmt: skip
    before = await store.head_position()
    for implied in ({}, {"explicit": False}):
        refused = await client.post(f"{op}/problems", json={**confirmed, **implied}, headers=kam)
        assert refused.status_code == 422, refused.text
        assert (refused.json()["type"], refused.json()["field"]) == ("/problems/need-not-explicit", "explicit")
    assert await store.head_position() == before
    recorded = await client.post(f"{op}/problems", json={**confirmed, "explicit": True}, headers=kam)
    assert recorded.status_code == 200, recorded.text
    assert held(recorded.json(), "need_confirmed_by_ally")
    assert (await client.post(f"{op}/stage", json={}, headers=kam)).json()["stage"] == "confirmation"


async def test_an_implied_need_without_a_confirmation_is_still_recorded(client: httpx.AsyncClient, auth) -> None:
    path, kam, _, _ = await setup(client, auth)
    member = (await add(client, path, kam, roles=["user"]))["member"]["member_id"]
    op = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    implied = await client.post(f"{op}/problems", json={"problem": "Clogging", "affected_member": member}, headers=kam)
    assert implied.status_code == 200, implied.text
    [problem] = implied.json()["facts"]["problems"].values()
    assert (problem["explicit"], problem["need_confirmed_by"]) == (False, None)
