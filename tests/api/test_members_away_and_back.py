"""A member who left the client and came back was not the client's while away: an interaction dated inside the
absence is none with the client (no contact, no Entry meeting, no need in their word), one after the return is.
Found by review: once active again, a member counted as at the client on every day, also the days they were away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique
from tests.api.test_buying_center import add
from tests.api.test_portfolio_lost_accounts import _signal
from tests.api.test_who_was_there import held
from tests.support.opportunities import TODAY, log, open_project, setup

LEFT_ON = TODAY - timedelta(days=30)
AWAY = (TODAY - timedelta(days=20)).isoformat()


async def away_and_back(client: httpx.AsyncClient, path: str, kam: dict[str, str], **returned: Any) -> str:
    """A member who left the client 30 days ago and is back (today, unless `on` says when)."""
    member = (await add(client, path, kam))["member"]["member_id"]
    left = await client.post(
        f"{path}/buying-center/members/{member}/left", json={"on": LEFT_ON.isoformat(), "reason": "x"}, headers=kam
    )
    assert left.status_code == 200, left.text
    back = await client.post(
        f"{path}/buying-center/members/{member}/returned", json={"reason": "Back", **returned}, headers=kam
    )
    assert back.status_code == 200, back.text
    return member


async def test_an_interaction_while_the_member_was_away_is_none_with_the_client(
    client: httpx.AsyncClient, auth: Any
) -> None:
    path, kam, _, _ = await setup(client, auth)
    member = await away_and_back(client, path, kam)
    pid = (await open_project(client, path, kam))["opportunity_id"]
    project, card = f"/v1/opportunities/{pid}", f"{path}/buying-center/members/{member}"
    assert (await log(client, path, kam, participants=[member], projects=[pid], occurred_on=AWAY)).status_code == 201
    view = (await client.get(project, headers=kam)).json()
    assert [i["with_client"] for i in view["facts"]["interactions"]] == [False]
    assert not held(view, "meeting_or_invitation")
    assert (await client.get(card, headers=kam)).json()["last_contact"] is None
    between = datetime.now(UTC).isoformat()

    assert (await log(client, path, kam, participants=[member], projects=[pid])).status_code == 201  # back: today
    view = (await client.get(project, headers=kam)).json()
    assert [i["with_client"] for i in view["facts"]["interactions"]] == [False, True]
    assert held(view, "meeting_or_invitation")
    member_now = (await client.get(card, headers=kam)).json()
    assert member_now["last_contact"] == TODAY.isoformat()
    assert member_now["away"] == [{"left_on": LEFT_ON.isoformat(), "returned_on": TODAY.isoformat()}]

    then = (await client.get(project, params={"as_of": between}, headers=kam)).json()
    assert [i["with_client"] for i in then["facts"]["interactions"]] == [False]
    assert not held(then, "meeting_or_invitation")
    assert (await client.get(card, params={"as_of": between}, headers=kam)).json()["away"] == member_now["away"]


async def test_a_contact_or_a_need_dated_while_away_is_refused(client: httpx.AsyncClient, auth: Any) -> None:
    path, kam, _, _ = await setup(client, auth)
    member = await away_and_back(client, path, kam)
    contact = await client.post(f"{path}/buying-center/members/{member}/contacts", json={"on": AWAY}, headers=kam)
    assert (contact.status_code, contact.json()["type"]) == (409, "/problems/member-has-left"), contact.text
    pid = (await open_project(client, path, kam))["opportunity_id"]
    learned = {"needs": [{"opportunity_id": pid, "member_id": member, "need": "One supplier"}]}
    logged = await log(client, path, kam, participants=[member], projects=[pid], occurred_on=AWAY, learned=learned)
    assert (logged.status_code, logged.json()["type"]) == (409, "/problems/member-has-left"), logged.text


async def test_the_day_of_return_may_be_given_and_a_leaving_by_mistake_leaves_no_absence(
    client: httpx.AsyncClient, auth: Any
) -> None:
    path, kam, _, _ = await setup(client, auth)
    back_on = TODAY - timedelta(days=10)
    member = await away_and_back(client, path, kam, on=back_on.isoformat())
    card = (await client.get(f"{path}/buying-center/members/{member}", headers=kam)).json()
    assert card["away"] == [{"left_on": LEFT_ON.isoformat(), "returned_on": back_on.isoformat()}]
    pid = (await open_project(client, path, kam))["opportunity_id"]
    after = (TODAY - timedelta(days=5)).isoformat()
    assert (await log(client, path, kam, participants=[member], projects=[pid], occurred_on=after)).status_code == 201
    assert held((await client.get(f"/v1/opportunities/{pid}", headers=kam)).json(), "meeting_or_invitation")

    mistaken = await away_and_back(client, path, kam, on=LEFT_ON.isoformat())  # never away after all
    assert (await client.get(f"{path}/buying-center/members/{mistaken}", headers=kam)).json()["away"] == []
    contact = await client.post(f"{path}/buying-center/members/{mistaken}/contacts", json={"on": AWAY}, headers=kam)
    assert contact.status_code == 200, contact.text


async def test_a_day_of_return_before_the_leaving_or_in_the_future_is_refused(
    client: httpx.AsyncClient, auth: Any, store: Any
) -> None:
    path, kam, _, _ = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    left = await client.post(
        f"{path}/buying-center/members/{member}/left", json={"on": LEFT_ON.isoformat()}, headers=kam
    )
    assert left.status_code == 200, left.text
    before = await store.head_position()
    for on, problem in (
        (LEFT_ON - timedelta(days=1), "date-before-leaving"),
        (TODAY + timedelta(days=2), "date-in-future"),
    ):
        refused = await client.post(
            f"{path}/buying-center/members/{member}/returned", json={"on": on.isoformat()}, headers=kam
        )
        assert (refused.status_code, refused.json()["type"]) == (422, f"/problems/{problem}"), refused.text
        assert refused.json()["field"] == "on"
    assert await store.head_position() == before


async def test_the_portfolio_counts_no_negotiation_with_a_member_while_away(
    client: httpx.AsyncClient, auth: Any
) -> None:
    """The portfolio judges contacts on the read model's map: its periods away must be there too."""
    team = unique("team")
    kam, boss = auth(unique("kam"), Role.MANAGER, team), auth(unique("sup"), Role.SUPERVISOR, team)
    account = await open_account(client, kam)
    path, account_id = f"/v1/accounts/{account['account_id']}", account["account_id"]
    away = (await add(client, path, kam))["member"]["member_id"]
    there = (await add(client, path, kam))["member"]["member_id"]
    left = await client.post(
        f"{path}/buying-center/members/{away}/left",
        json={"on": (TODAY - timedelta(days=160)).isoformat()},
        headers=kam,
    )
    assert left.status_code == 200, left.text
    assert (await client.post(f"{path}/buying-center/members/{away}/returned", json={}, headers=kam)).status_code == 200
    contacts = [(150, "negotiation", away), (140, "negotiation", away), (100, "meeting", there)]
    contacts += [(60, "meeting", there), (40, "call", there), (5, "meeting", there)]
    for days_ago, kind, who in contacts:  # negotiations only with someone away: none with the client
        day = (TODAY - timedelta(days=days_ago)).isoformat()
        logged = await log(client, path, kam, participants=[who], occurred_on=day, kind=kind)
        assert logged.status_code == 201, logged.text
    signal = await _signal(client, boss, account_id, logged.json()["position"])
    assert signal["negotiations_falling"] is False
