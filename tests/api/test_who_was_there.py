"""A project's facts rest on who took part in its interactions: a meeting is one with the client only when a
member who was the client's then took part, and a need learnt in an interaction is the word of one of its
participants, on its day, for as long as the corrected entry still has them there."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.api.test_buying_center import add
from tests.api.test_interaction_corrections import correction
from tests.support.opportunities import TODAY, a_client, log, open_project, setup


def held(view: dict[str, Any], code: str) -> bool:
    return next(c["holds"] for c in view["exit_criteria"] if c["code"] == code)


async def ally_project(client: httpx.AsyncClient, auth: Any) -> tuple[str, dict[str, str], str, str, str]:
    """An account in serial supply with an ally, another member and a cross-sell the ally is linked to."""
    path, kam, _, _ = await setup(client, auth)
    ally = (await add(client, path, kam, roles=["ally"]))["member"]["member_id"]
    other = (await add(client, path, kam))["member"]["member_id"]
    await a_client(client, path, kam)
    pid = (await open_project(client, path, kam, kind="cross_sell"))["opportunity_id"]
    linked = await client.post(f"/v1/opportunities/{pid}/allies", json={"member_id": ally}, headers=kam)
    assert linked.status_code == 200, linked.text
    return path, kam, ally, other, pid


async def test_a_correction_that_takes_out_the_member_who_confirmed_a_learnt_need_takes_the_need(
    client: httpx.AsyncClient, auth: Any
) -> None:
    """Found by review: a need learnt from the ally stayed, and met need_confirmed_by_ally, after a correction
    said the ally was not there, or that no one of the client was."""
    path, kam, ally, other, pid = await ally_project(client, auth)
    project = f"/v1/opportunities/{pid}"
    learned = {"needs": [{"opportunity_id": pid, "member_id": ally, "need": "One supplier"}]}
    for participants, with_client in (([other], True), ([], False)):
        logged = await log(client, path, kam, participants=[ally], projects=[pid], learned=learned)
        assert held((await client.get(project, headers=kam)).json(), "need_confirmed_by_ally")
        corrected = await client.post(
            f"/v1/interactions/{logged.json()['interaction_id']}/corrections",
            json=correction(participants=participants, projects=[pid]),
            headers=kam,
        )
        assert corrected.status_code == 200, corrected.text
        view = (await client.get(project, headers=kam)).json()
        assert view["facts"]["needs"] == []
        assert not held(view, "need_confirmed_by_ally")
        assert view["facts"]["interactions"][-1]["with_client"] is with_client


async def test_a_need_recorded_on_the_project_cites_an_interaction_its_member_took_part_in_on_its_day(
    client: httpx.AsyncClient, auth: Any, store: Any
) -> None:
    path, kam, ally, other, pid = await ally_project(client, auth)
    internal = (await log(client, path, kam, projects=[pid])).json()["interaction_id"]  # our people alone
    earlier = (TODAY - timedelta(days=5)).isoformat()
    with_ally = (await log(client, path, kam, participants=[ally, other], projects=[pid], occurred_on=earlier)).json()
    need = {"member_id": ally, "need": "Warm starts", "on": TODAY.isoformat()}
    before = await store.head_position()
    for cited, problem in (
        (internal, "need-without-its-member"),
        (with_ally["interaction_id"], "date-not-the-interactions"),
    ):
        refused = await client.post(
            f"/v1/opportunities/{pid}/needs", json={**need, "interaction_id": cited}, headers=kam
        )
        assert (refused.status_code, refused.json()["type"]) == (422, f"/problems/{problem}"), refused.text
    assert await store.head_position() == before
    cited = {**need, "on": earlier, "interaction_id": with_ally["interaction_id"]}
    assert (await client.post(f"/v1/opportunities/{pid}/needs", json=cited, headers=kam)).status_code == 200
    corrected = await client.post(  # the other member was not there after all: the ally's need stays
        f"/v1/interactions/{with_ally['interaction_id']}/corrections",
        json=correction(participants=[ally], projects=[pid], occurred_on=earlier),
        headers=kam,
    )
    assert corrected.status_code == 200, corrected.text
    needs = (await client.get(f"/v1/opportunities/{pid}", headers=kam)).json()["facts"]["needs"]
    assert [(n["need"], n["on"]) for n in needs] == [("Warm starts", earlier)]


async def test_a_meeting_with_a_member_who_had_left_is_none_with_the_client(
    client: httpx.AsyncClient, auth: Any
) -> None:
    """Found by review: anyone on the map made a meeting one with the client, also a member who had left it."""
    path, kam, _, _ = await setup(client, auth)
    gone = (await add(client, path, kam))["member"]["member_id"]
    left = await client.post(
        f"{path}/buying-center/members/{gone}/left", json={"on": (TODAY - timedelta(days=30)).isoformat()}, headers=kam
    )
    assert left.status_code == 200, left.text
    pid = (await open_project(client, path, kam))["opportunity_id"]
    before = (TODAY - timedelta(days=40)).isoformat()  # while they were still the client's
    for occurred_on, meets in ((TODAY.isoformat(), False), (before, True)):
        assert (
            await log(client, path, kam, participants=[gone], projects=[pid], occurred_on=occurred_on)
        ).status_code == 201
        assert (
            held((await client.get(f"/v1/opportunities/{pid}", headers=kam)).json(), "meeting_or_invitation") is meets
        )


async def test_a_former_client_made_a_prospect_again_gets_no_cross_sell_until_it_buys_again(
    client: httpx.AsyncClient, auth: Any
) -> None:
    """Found by review: `supplied` stays once set, and a lost client set back to prospect could cross-sell, in
    its next first project too."""
    path, kam, _, _ = await setup(client, auth)
    await a_client(client, path, kam)
    body = {"product_line": "Fuel lines", "kind": "cross_sell"}
    for stage, allowed in (("lost", False), ("prospect", False), ("project", False), ("serial_supply", True)):
        moved = await client.post(f"{path}/lifecycle", json={"to_stage": stage, "reason": "x"}, headers=kam)
        assert moved.status_code == 200, moved.text
        opened = await client.post(f"{path}/opportunities", json=body, headers=kam)
        assert opened.status_code == (201 if allowed else 422), (stage, opened.text)


async def test_a_project_our_own_people_alone_talk_about_stalls(client: httpx.AsyncClient, auth: Any) -> None:
    path, kam, _, _ = await setup(client, auth)
    m = (await add(client, path, kam))["member"]["member_id"]
    opened_on = (TODAY - timedelta(days=90)).isoformat()
    body = {"product_line": "Filters", "kind": "new_client", "opened_on": opened_on}
    pid = (await client.post(f"{path}/opportunities", json=body, headers=kam)).json()["opportunity_id"]
    project = f"/v1/opportunities/{pid}"
    assert (await log(client, path, kam, projects=[pid])).status_code == 201  # ours alone
    assert (await client.get(project, headers=kam)).json()["stalled"] is True
    assert (await log(client, path, kam, participants=[m], projects=[pid])).status_code == 201
    assert (await client.get(project, headers=kam)).json()["stalled"] is False


async def test_a_participant_named_twice_is_linked_once_and_a_correction_that_changes_nothing_writes_nothing(
    client: httpx.AsyncClient, auth: Any, store: Any
) -> None:
    """Found by review: the link kept a participant named twice, so a correction naming them once wrote a
    relink to the project (a lost one too) though nothing the project holds changed."""
    path, kam, _, _ = await setup(client, auth)
    m = (await add(client, path, kam))["member"]["member_id"]
    pid = (await open_project(client, path, kam))["opportunity_id"]
    logged = await log(client, path, kam, participants=[m, m], projects=[pid])
    assert logged.status_code == 201, logged.text
    before = await store.read_stream(f"opportunity-{pid}")
    corrected = await client.post(
        f"/v1/interactions/{logged.json()['interaction_id']}/corrections",
        json=correction(participants=[m], projects=[pid], summary="Talked, typo fixed"),
        headers=kam,
    )
    assert corrected.status_code == 200, corrected.text
    assert await store.read_stream(f"opportunity-{pid}") == before
