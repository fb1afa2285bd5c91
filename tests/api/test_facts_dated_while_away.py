"""A project fact with a day of its own (a need, a leader's or confident-use confirmation, a problem's confirmed need)
names a member at the client on that day: one away then, back since, was not the client's (409 `member-has-left`
naming the day), as for an interaction. And a leaving is never dated before the member's last return: absences do
not overlap (422 `date-before-return`). Found by review: both were accepted, only "left now" was refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.api.test_buying_center import add
from tests.api.test_members_away_and_back import AWAY, LEFT_ON
from tests.support.opportunities import TODAY, open_project, setup

BACK_ON = TODAY - timedelta(days=10)
AFTER = (TODAY - timedelta(days=5)).isoformat()


async def away_and_back(client: httpx.AsyncClient, path: str, kam: dict[str, str]) -> str:
    """A decision maker who left the client 30 days ago and was back 10 days ago."""
    member = (await add(client, path, kam, roles=["decision_maker"]))["member"]["member_id"]
    card = f"{path}/buying-center/members/{member}"
    left = await client.post(f"{card}/left", json={"on": LEFT_ON.isoformat()}, headers=kam)
    assert left.status_code == 200, left.text
    back = await client.post(f"{card}/returned", json={"on": BACK_ON.isoformat()}, headers=kam)
    assert back.status_code == 200, back.text
    return member


def facts(member: str, day: str) -> dict[str, dict[str, Any]]:
    """Each dated fact naming `member` on `day`, by the path it is posted to."""
    return {
        "needs": {"member_id": member, "need": "One supplier", "on": day},
        "leader-confirmation": {"member_id": member, "note": "Go", "on": day},
        "confident-use": {"member_id": member, "note": "Runs", "on": day},
        "problems": {
            "problem": "Filters clog",
            "explicit": True,
            "need_confirmed_by": member,
            "confirmed_on": day,
        },
    }


async def test_a_fact_dated_while_the_member_was_away_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, auth: Any, store: Any
) -> None:
    path, kam, _, _ = await setup(client, auth)
    member = await away_and_back(client, path, kam)
    project = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    before = await store.head_position()
    for where, body in facts(member, AWAY).items():
        refused = await client.post(f"{project}/{where}", json=body, headers=kam)
        assert (refused.status_code, refused.json()["type"]) == (409, "/problems/member-has-left"), where
        assert refused.json()["member"] == member
        assert AWAY in refused.json()["detail"], refused.json()["detail"]
    assert await store.head_position() == before

    for where, body in facts(member, AFTER).items():  # back by then: the client's again
        taken = await client.post(f"{project}/{where}", json=body, headers=kam)
        assert taken.status_code == 200, (where, taken.text)
    facts_now = (await client.get(project, headers=kam)).json()["facts"]
    assert [n["on"] for n in facts_now["needs"]] == [AFTER]


async def test_a_fact_dated_before_the_member_left_is_taken(client: httpx.AsyncClient, auth: Any) -> None:
    """Only the days away count: before the leaving, the member was the client's."""
    path, kam, _, _ = await setup(client, auth)
    member = await away_and_back(client, path, kam)
    project = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    earlier = (LEFT_ON - timedelta(days=3)).isoformat()
    taken = await client.post(f"{project}/needs", json=facts(member, earlier)["needs"], headers=kam)
    assert taken.status_code == 200, taken.text


async def test_a_leaving_before_the_last_return_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, auth: Any, store: Any
) -> None:
    path, kam, _, _ = await setup(client, auth)
    member = await away_and_back(client, path, kam)
    card = f"{path}/buying-center/members/{member}"
    before = await store.head_position()
    for on in (AWAY, (BACK_ON - timedelta(days=1)).isoformat(), (LEFT_ON - timedelta(days=5)).isoformat()):
        refused = await client.post(f"{card}/left", json={"on": on}, headers=kam)
        assert (refused.status_code, refused.json()["type"]) == (422, "/problems/date-before-return"), refused.text
        assert (refused.json()["field"], refused.json()["returned_on"]) == ("on", BACK_ON.isoformat())
        assert BACK_ON.isoformat() in refused.json()["detail"]
    assert await store.head_position() == before
    again = await client.post(f"{card}/left", json={"on": BACK_ON.isoformat()}, headers=kam)
    assert again.status_code == 200, again.text
