"""The buying center's part in a sales project over HTTP: allies and leaders, members who left, a map changed
meanwhile, and what a forgotten person confirmed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import httpx

from service.domain.actors import Role
from service.events.aggregate import Repository
from tests.api.test_buying_center import add
from tests.support.opportunities import TODAY, a_client, log, open_project, setup


class AtTheGate(NamedTuple):
    path: str
    kam: dict[str, str]
    ally: str
    project: dict[str, Any]
    op: str
    day: str


async def ally_at_the_gate(client: httpx.AsyncClient, auth: Any) -> AtTheGate:
    """A cross-sell in Finding an ally whose exit criteria all hold: an ally linked, their need, a problem."""
    path, kam, _, _ = await setup(client, auth)
    ally = (await add(client, path, kam, roles=["ally", "user"]))["member"]["member_id"]
    await a_client(client, path, kam)
    project = await open_project(client, path, kam, kind="cross_sell")
    op, day = f"/v1/opportunities/{project['opportunity_id']}", TODAY.isoformat()
    for fact, body in [
        ("allies", {"member_id": ally}),
        ("needs", {"member_id": ally, "need": "No clogging", "on": day}),
        ("problems", {"problem": "Clogging", "affected_member": ally, "criteria": ["cost per truck"]}),
    ]:
        assert (await client.post(f"{op}/{fact}", json=body, headers=kam)).status_code == 200, fact
    return AtTheGate(path, kam, ally, project, op, day)


async def test_a_member_who_has_left_names_no_new_fact_and_their_word_no_longer_opens_a_gate(
    client: httpx.AsyncClient, auth, store
) -> None:
    path, kam, ally, project, op, day = await ally_at_the_gate(client, auth)
    boss = (await add(client, path, kam, roles=["decision_maker"]))["member"]["member_id"]
    while_there = datetime.now(UTC).isoformat()
    for member in (ally, boss):
        gone = await client.post(f"{path}/buying-center/members/{member}/left", json={"on": day}, headers=kam)
        assert gone.status_code == 200, gone.text
    view = (await client.get(op, headers=kam)).json()
    assert view["facts"]["allies"] == [ally]  # what was recorded before they left stays, as history
    assert [c["holds"] for c in view["exit_criteria"]] == [False, False, False]
    then = (await client.get(op, params={"as_of": while_there}, headers=kam)).json()
    assert [c["holds"] for c in then["exit_criteria"]] == [True, True, True]  # the past, as it was
    before = await store.head_position()
    refused = await client.post(f"{op}/stage", json={}, headers=kam)
    assert refused.json()["type"] == "/problems/exit-criteria-not-met"
    assert [u["code"] for u in refused.json()["unmet"]] == [
        "ally_linked",
        "need_confirmed_by_ally",
        "problem_with_member_and_criteria",
    ]
    for fact, body in [
        ("allies", {"member_id": ally}),
        ("needs", {"member_id": ally, "need": "No clogging", "on": day}),
        ("problems", {"problem": "Price", "affected_member": ally, "criteria": ["price"]}),
        ("problems", {"problem": "Price", "need_confirmed_by": ally, "confirmed_on": day}),
        ("volume", {"volume": "40,000 a year", "member_id": boss}),
        ("leader-confirmation", {"member_id": boss, "note": "Go", "on": day}),
        ("confident-use", {"member_id": ally, "note": "Runs fine", "on": day}),
    ]:
        answer = await client.post(f"{op}/{fact}", json=body, headers=kam)
        assert (answer.status_code, answer.json()["type"]) == (409, "/problems/member-has-left"), (fact, answer.text)
        assert answer.json()["member"] in (ally, boss)
    learned = {"needs": [{"opportunity_id": project["opportunity_id"], "member_id": ally, "need": "x"}]}
    taught = await log(client, path, kam, participants=[ally], projects=[project["opportunity_id"]], learned=learned)
    assert (taught.status_code, taught.json()["type"]) == (409, "/problems/member-has-left")
    assert await store.head_position() == before


async def test_a_linked_ally_the_map_reassesses_as_no_ally_opens_no_gate(client: httpx.AsyncClient, auth) -> None:
    """Only leaving the client was honoured: an ally whose ally role the map took away still opened the gate."""
    path, kam, ally, _, op, _ = await ally_at_the_gate(client, auth)
    still_ally = datetime.now(UTC).isoformat()
    member = f"{path}/buying-center/members/{ally}/assessment"
    reassessed = await client.post(member, json={"roles": ["user", "opponent"], "attitude": -1}, headers=kam)
    assert reassessed.status_code == 200, reassessed.text
    view = (await client.get(op, headers=kam)).json()
    assert [(c["code"], c["holds"]) for c in view["exit_criteria"]] == [
        ("ally_linked", False),
        ("need_confirmed_by_ally", False),
        ("problem_with_member_and_criteria", True),
    ]
    then = (await client.get(op, params={"as_of": still_ally}, headers=kam)).json()
    assert [c["holds"] for c in then["exit_criteria"]] == [True, True, True]  # the map then held them as an ally
    refused = await client.post(f"{op}/stage", json={}, headers=kam)
    assert [u["code"] for u in refused.json()["unmet"]] == ["ally_linked", "need_confirmed_by_ally"]


async def test_the_leaders_confirmation_and_confident_use_are_past_facts_and_the_leader_decides_or_signs(
    client: httpx.AsyncClient, auth, store
) -> None:
    path, kam, _, _ = await setup(client, auth)
    user = (await add(client, path, kam, roles=["user"]))["member"]["member_id"]
    signer = (await add(client, path, kam, roles=["signer"]))["member"]["member_id"]
    op = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    later = (TODAY + timedelta(days=2)).isoformat()  # not begun anywhere (tomorrow has, east of UTC)
    before = await store.head_position()
    for fact, member, on, problem in [
        ("leader-confirmation", signer, later, "date-in-future"),
        ("leader-confirmation", signer, "2999-12-31", "date-in-future"),
        ("leader-confirmation", user, TODAY.isoformat(), "member-not-leader"),
        ("confident-use", user, later, "date-in-future"),
    ]:
        answer = await client.post(f"{op}/{fact}", json={"member_id": member, "note": "Go", "on": on}, headers=kam)
        assert (answer.status_code, answer.json()["type"]) == (422, f"/problems/{problem}"), (fact, answer.text)
    assert await store.head_position() == before
    body = {"member_id": signer, "note": "Signed off need and volume", "on": TODAY.isoformat()}
    confirmed = await client.post(f"{op}/leader-confirmation", json=body, headers=kam)
    assert confirmed.json()["facts"]["leader_confirmation"]["member_id"] == signer


async def test_a_decision_resting_on_the_buying_center_is_taken_again_when_it_changes_meanwhile(
    client: httpx.AsyncClient, auth, monkeypatch
) -> None:
    """Linking an ally reads the map without writing it: a role change committed between that read and the
    append used to go unnoticed, and a person no longer an ally became the project's ally."""
    path, kam, _, _ = await setup(client, auth)
    ally = (await add(client, path, kam, roles=["ally", "user"]))["member"]["member_id"]
    project = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    original, armed = Repository.load, [True]

    async def load_then_race(self: Repository, kind: Any, stream_id: str, **options: Any) -> Any:
        loaded = await original(self, kind, stream_id, **options)
        if armed and stream_id.startswith("buying-center-"):
            armed.clear()  # another request commits between this read and the append
            demoted = await client.post(
                f"{path}/buying-center/members/{ally}/assessment", json={"roles": ["user"]}, headers=kam
            )
            assert demoted.status_code == 200, demoted.text
        return loaded

    monkeypatch.setattr(Repository, "load", load_then_race)
    linked = await client.post(f"{project}/allies", json={"member_id": ally}, headers=kam)
    assert not armed  # the race happened
    assert linked.status_code == 422, linked.text
    assert linked.json()["type"] == "/problems/member-not-ally"
    assert (await client.get(project, headers=kam)).json()["facts"]["allies"] == []


async def test_what_a_person_confirmed_for_a_project_is_forgotten_with_them(
    client: httpx.AsyncClient, auth, pool
) -> None:
    path, kam, _, _ = await setup(client, auth)
    person = (await add(client, path, kam, roles=["ally", "decision_maker", "user"]))["member"]["member_id"]
    opportunity_id = (await open_project(client, path, kam))["opportunity_id"]
    project = f"/v1/opportunities/{opportunity_id}"
    said = {
        "need": "relief-for-his-back",
        "leader": "golfs-with-the-owner",
        "use": "loves-the-new-filters",
        "criteria": "whatever-his-brother-in-law-sells",
    }
    for url, body in (
        (f"{project}/allies", {"member_id": person}),
        (f"{project}/problems", {"problem": "Clogging", "affected_member": person, "criteria": [said["criteria"]]}),
        (f"{project}/needs", {"member_id": person, "need": said["need"], "on": TODAY.isoformat()}),
        (f"{project}/leader-confirmation", {"member_id": person, "note": said["leader"], "on": TODAY.isoformat()}),
        (f"{project}/confident-use", {"member_id": person, "note": said["use"], "on": TODAY.isoformat()}),
    ):
        response = await client.post(url, json=body, headers=kam)
        assert response.status_code == 200, (url, response.text)
    before = datetime.now(UTC).isoformat()
    shown = (await client.get(project, headers=kam)).text
    assert [text for text in said.values() if text not in shown] == []

    forgot = await client.post(f"/v1/people/{person}/forget", headers=auth("root", Role.ADMIN))
    assert forgot.status_code == 200, forgot.text
    now, then = [(await client.get(project, params=p, headers=kam)).json() for p in ({}, {"as_of": before})]
    for view in (now, then):
        facts = view["facts"]
        assert [(n["member_id"], n["need"]) for n in facts["needs"]] == [(person, None)]
        assert (facts["leader_confirmation"]["member_id"], facts["leader_confirmation"]["note"]) == (person, None)
        assert facts["confident_use"]["note"] is None
        # the problem is the project's, what the person weighs a decision by is theirs
        assert [(p["problem"], p["affected_member"], p["criteria"]) for p in facts["problems"].values()] == [
            ("Clogging", person, None)
        ]
    async with pool.acquire() as conn:
        stored = await conn.fetchval("SELECT string_agg(data::text, ' ') FROM events WHERE stream_id LIKE $1",
                                     f"%{opportunity_id}")  # fmt: skip
    assert [text for text in said.values() if text in stored] == []


async def test_an_ally_the_map_holds_opposed_to_us_opens_no_gate(client: httpx.AsyncClient, auth) -> None:
    """An ally is someone ready to back our solution (seed 004): one the map reassessed as opposed to us (attitude
    -1 or less, or the opponent role), the ally role left on by oversight, still opened Finding an ally's gate, and
    could be linked as a project's ally."""
    path, kam, ally, _, op, _ = await ally_at_the_gate(client, auth)
    member = f"{path}/buying-center/members/{ally}/assessment"
    turned = await client.post(member, json={"attitude": -2}, headers=kam)
    assert turned.status_code == 200, turned.text
    assert "ally" in turned.json()["member"]["roles"]
    view = (await client.get(op, headers=kam)).json()
    assert [(c["code"], c["holds"]) for c in view["exit_criteria"]] == [
        ("ally_linked", False),
        ("need_confirmed_by_ally", False),
        ("problem_with_member_and_criteria", True),
    ]
    refused = await client.post(f"{op}/stage", json={}, headers=kam)
    assert refused.status_code == 422, refused.text
    assert [u["code"] for u in refused.json()["unmet"]] == ["ally_linked", "need_confirmed_by_ally"]
    both = (await add(client, path, kam, roles=["ally", "opponent"]))["member"]["member_id"]
    linked = await client.post(f"{op}/allies", json={"member_id": both}, headers=kam)
    assert (linked.status_code, linked.json()["type"]) == (422, "/problems/member-not-ally")
    won_back = await client.post(member, json={"attitude": 1}, headers=kam)
    assert won_back.status_code == 200, won_back.text
    assert (await client.post(f"{op}/stage", json={}, headers=kam)).json()["stage"] == "confirmation"
