"""Corrected and retracted interactions over HTTP: history kept, contacts followed, and the projects they are
linked to (their links, meetings and needs) following the correction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.test_buying_center import add
from tests.support.opportunities import TODAY, a_client, log, open_project, setup


async def test_correct_and_retract_keep_history_and_follow_contacts(client: httpx.AsyncClient, auth) -> None:
    path, kam, _, _ = await setup(client, auth)
    a = (await add(client, path, kam))["member"]["member_id"]
    b = (await add(client, path, kam))["member"]["member_id"]
    earlier = (TODAY - timedelta(days=10)).isoformat()
    first = (await log(client, path, kam, participants=[a], occurred_on=earlier)).json()
    iid = first["interaction_id"]
    corrected = await client.post(
        f"/v1/interactions/{iid}/corrections",
        json={
            "kind": "negotiation",
            "occurred_on": earlier,
            "participants": [b],
            "our_participants": ["kam"],
            "summary": "Negotiated delivery terms",
            "reason": "wrong person and kind",
        },
        headers=kam,
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["corrections"][0]["participants"] == [a]
    members = {
        n["member_id"]: n["last_contact"]
        for n in (await client.get(f"{path}/buying-center", headers=kam)).json()["nodes"]
    }
    assert members == {a: None, b: earlier}
    timeline = await client.get(f"{path}/timeline", params={"min_position": corrected.json()["position"]}, headers=kam)
    assert [(e["kind"], e["participants"]) for e in timeline.json()["items"]] == [("negotiation", [b])]
    retracted = await client.post(f"/v1/interactions/{iid}/retract", json={"reason": "logged twice"}, headers=kam)
    assert retracted.json()["retracted"] is True
    after = await client.get(f"{path}/timeline", params={"min_position": retracted.json()["position"]}, headers=kam)
    assert after.json()["items"] == []
    kept = await client.get(f"{path}/timeline", params={"include_retracted": True}, headers=kam)
    assert [e["retracted"] for e in kept.json()["items"]] == [True]
    nodes = (await client.get(f"{path}/buying-center", headers=kam)).json()["nodes"]
    assert {n["last_contact"] for n in nodes} == {None}


async def test_a_correction_racing_a_retraction_leaves_no_contact_or_project_behind(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Both were planned from the entry as it was: a retraction landing second withdrew only the first
    participants and unlinked only the first projects, so the correction's ones stayed (and a project's
    meeting criterion held for a retracted meeting)."""
    path, kam, _, _ = await setup(client, auth)
    a = (await add(client, path, kam))["member"]["member_id"]
    b = (await add(client, path, kam))["member"]["member_id"]
    first, second = [(await open_project(client, path, kam))["opportunity_id"] for _ in range(2)]
    for _ in range(15):  # the interleaving is the event loop's: several rounds
        logged = (await log(client, path, kam, participants=[a], projects=[first])).json()
        iid = logged["interaction_id"]
        correction = {
            "kind": "meeting", "occurred_on": TODAY.isoformat(), "participants": [b], "our_participants": ["kam"],
            "summary": "Met the other one", "projects": [first, second], "reason": "wrong person",
        }  # fmt: skip
        answers = await asyncio.gather(
            client.post(f"/v1/interactions/{iid}/corrections", json=correction, headers=kam),
            client.post(f"/v1/interactions/{iid}/retract", json={"reason": "by mistake"}, headers=kam),
        )
        assert answers[1].status_code == 200, answers[1].text
        assert answers[0].status_code in (200, 409), answers[0].text  # 409: the retraction came first
        bc = await store.read_stream(f"buying-center-{path.rsplit('/', 1)[1]}")
        last = {e.data["member_id"]: e.event_type for e in bc if e.data.get("interaction_id") == iid}
        assert set(last.values()) <= {"ContactWithdrawn"}, last  # every contact it recorded is withdrawn
        for project in (first, second):
            links = [
                e.event_type
                for e in await store.read_stream(f"opportunity-{project}")
                if e.data.get("interaction_id") == iid
            ]
            assert links[-1:] in ([], ["InteractionUnlinked"]), (project, links)


def correction(**fields: Any) -> dict[str, Any]:
    """A correction's body: the entry as `log` writes it, with `fields` changed."""
    body = {"kind": "meeting", "occurred_on": TODAY.isoformat(), "our_participants": ["kam"], "summary": "Talked"}
    return {**body, "reason": "a mistake", **fields}


async def test_correcting_the_summary_of_an_interaction_of_a_lost_project_succeeds(
    client: httpx.AsyncClient, auth, store
) -> None:
    """The correction sent the lost project its link again, and the project refused it: 409 opportunity-lost."""
    path, kam, _, _ = await setup(client, auth)
    m = (await add(client, path, kam))["member"]["member_id"]
    pid = (await open_project(client, path, kam))["opportunity_id"]
    iid = (await log(client, path, kam, participants=[m], projects=[pid])).json()["interaction_id"]
    lost = await client.post(f"/v1/opportunities/{pid}/lost", json={"reason": "price"}, headers=kam)
    assert lost.status_code == 200, lost.text
    corrected = await client.post(
        f"/v1/interactions/{iid}/corrections",
        json=correction(participants=[m], projects=[pid], summary="Talked (typo fixed)"),
        headers=kam,
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["details"]["summary"] == "Talked (typo fixed)"
    events = [e.event_type for e in await store.read_stream(f"opportunity-{pid}")]
    assert events == ["OpportunityOpened", "InteractionLinked", "OpportunityLost"]


async def test_a_meeting_corrected_to_an_old_email_no_longer_opens_the_projects_gate(
    client: httpx.AsyncClient, auth, store
) -> None:
    """The correction sent the link again and the project, linked already, kept the meeting of today: Entry's
    gate opened on a meeting that never happened. A lost project linked to it follows the correction too."""
    path, kam, _, _ = await setup(client, auth)
    m = (await add(client, path, kam))["member"]["member_id"]
    pid, gone = [(await open_project(client, path, kam))["opportunity_id"] for _ in range(2)]
    iid = (await log(client, path, kam, participants=[m], projects=[pid, gone])).json()["interaction_id"]
    assert (await client.post(f"/v1/opportunities/{gone}/lost", json={"reason": "x"}, headers=kam)).status_code == 200
    before = datetime.now(UTC).isoformat()
    old = (TODAY - timedelta(days=60)).isoformat()
    corrected = await client.post(
        f"/v1/interactions/{iid}/corrections",
        json=correction(kind="email", occurred_on=old, participants=[m], projects=[pid, gone]),
        headers=kam,
    )
    assert corrected.status_code == 200, corrected.text
    project = f"/v1/opportunities/{pid}"
    now, then = [(await client.get(project, params=p, headers=kam)).json() for p in ({}, {"as_of": before})]
    assert [(i["kind"], i["on"]) for i in now["facts"]["interactions"]] == [("email", old)]
    assert [(c["code"], c["holds"]) for c in now["exit_criteria"]] == [("meeting_or_invitation", False)]
    assert [(i["kind"], i["on"]) for i in then["facts"]["interactions"]] == [("meeting", TODAY.isoformat())]
    assert [(c["code"], c["holds"]) for c in then["exit_criteria"]] == [("meeting_or_invitation", True)]
    refused = await client.post(f"{project}/stage", json={}, headers=kam)
    assert refused.json()["type"] == "/problems/exit-criteria-not-met", refused.text
    relinked = [e.data for e in await store.read_stream(f"opportunity-{gone}") if e.event_type == "InteractionRelinked"]
    assert relinked == [{"interaction_id": iid, "kind": "email", "on": old, "with_client": True, "participants": [m]}]


async def test_an_internal_meeting_opens_no_gate_until_the_client_is_found_to_have_been_there(
    client: httpx.AsyncClient, auth
) -> None:
    """Entry's exit is a meeting with the client: one of our people alone (no buying-center member among the
    participants) met it, and counted as contact with the client (found by review)."""
    path, kam, _, _ = await setup(client, auth)
    m = (await add(client, path, kam))["member"]["member_id"]
    pid = (await open_project(client, path, kam))["opportunity_id"]
    project = f"/v1/opportunities/{pid}"
    iid = (await log(client, path, kam, projects=[pid])).json()["interaction_id"]  # ours alone: "kam"
    view = (await client.get(project, headers=kam)).json()
    assert [(i["kind"], i["with_client"]) for i in view["facts"]["interactions"]] == [("meeting", False)]
    assert [(c["code"], c["holds"]) for c in view["exit_criteria"]] == [("meeting_or_invitation", False)]
    corrected = await client.post(
        f"/v1/interactions/{iid}/corrections", json=correction(participants=[m], projects=[pid]), headers=kam
    )
    assert corrected.status_code == 200, corrected.text
    view = (await client.get(project, headers=kam)).json()
    assert [(c["code"], c["holds"]) for c in view["exit_criteria"]] == [("meeting_or_invitation", True)]
    assert (await client.post(f"{project}/stage", json={}, headers=kam)).json()["stage"] == "finding_ally"


async def test_a_need_learnt_in_a_retracted_interaction_no_longer_meets_the_gate(
    client: httpx.AsyncClient, auth
) -> None:
    """The project kept the need after the interaction that taught it was retracted, or corrected away from the
    project: need_confirmed_by_ally held on a meeting that never happened. What the interaction taught the map
    and the dossier stays until corrected by hand (README)."""
    path, kam, _, _ = await setup(client, auth)
    ally = (await add(client, path, kam, roles=["ally"], attitude=0))["member"]["member_id"]
    await a_client(client, path, kam)
    pid = (await open_project(client, path, kam, kind="cross_sell"))["opportunity_id"]
    project = f"/v1/opportunities/{pid}"
    assert (await client.post(f"{project}/allies", json={"member_id": ally}, headers=kam)).status_code == 200
    learned = {
        "assessments": [{"member_id": ally, "attitude": 2, "note": "defended us"}],
        "needs": [{"opportunity_id": pid, "member_id": ally, "need": "One supplier"}],
        "answers": [{"question_code": "headcount", "value": 5000}],
    }
    iids = [
        (await log(client, path, kam, participants=[ally], projects=[pid], learned=learned)).json()["interaction_id"]
        for _ in range(2)
    ]

    def need_held(view: dict[str, Any]) -> bool:
        return next(c["holds"] for c in view["exit_criteria"] if c["code"] == "need_confirmed_by_ally")

    retracted = await client.post(f"/v1/interactions/{iids[0]}/retract", json={"reason": "never happened"}, headers=kam)
    assert retracted.status_code == 200, retracted.text
    view = (await client.get(project, headers=kam)).json()
    assert [n["interaction_id"] for n in view["facts"]["needs"]] == [iids[1]]
    before = datetime.now(UTC).isoformat()
    corrected = await client.post(
        f"/v1/interactions/{iids[1]}/corrections", json=correction(participants=[ally], projects=[]), headers=kam
    )
    assert corrected.status_code == 200, corrected.text
    now, then = [(await client.get(project, params=p, headers=kam)).json() for p in ({}, {"as_of": before})]
    assert (now["facts"]["needs"], need_held(now)) == ([], False)
    assert ([n["need"] for n in then["facts"]["needs"]], need_held(then)) == (["One supplier"], True)
    member = (await client.get(f"{path}/buying-center/members/{ally}", headers=kam)).json()
    assert member["attitude"] == 2  # an assessment it taught stays
    dossier = (await client.get(f"{path}/dossier", headers=kam)).json()
    headcount = next(q for g in dossier["groups"] for q in g["questions"] if q["code"] == "headcount")
    assert headcount["answered"]  # and so does an answer


async def test_a_need_cites_only_an_interaction_of_its_project(client: httpx.AsyncClient, auth, store) -> None:
    """Any interaction's id was taken, and the need then outlived that interaction's retraction, since only the
    project's own interactions take their needs with them (found by review)."""
    path, kam, _, _ = await setup(client, auth)
    ally = (await add(client, path, kam, roles=["ally"]))["member"]["member_id"]
    pid = (await open_project(client, path, kam))["opportunity_id"]
    project = f"/v1/opportunities/{pid}"
    assert (await client.post(f"{project}/allies", json={"member_id": ally}, headers=kam)).status_code == 200
    elsewhere = (await log(client, path, kam, participants=[ally])).json()["interaction_id"]
    linked = (await log(client, path, kam, participants=[ally], projects=[pid])).json()["interaction_id"]
    need = {"member_id": ally, "need": "Warm starts", "on": TODAY.isoformat()}
    before = await store.head_position()
    for cited in (elsewhere, "8d0cbd36-9f6e-4a7e-9d3c-3f6f7d1a2b4c"):
        refused = await client.post(f"{project}/needs", json={**need, "interaction_id": cited}, headers=kam)
        assert refused.status_code == 422, refused.text
        assert (refused.json()["type"], refused.json()["field"]) == (
            "/problems/interaction-not-linked", "interaction_id")  # fmt: skip
    assert await store.head_position() == before
    kept = await client.post(f"{project}/needs", json={**need, "interaction_id": linked}, headers=kam)
    assert kept.status_code == 200, kept.text
    await client.post(f"/v1/interactions/{linked}/retract", json={"reason": "never happened"}, headers=kam)
    assert (await client.get(project, headers=kam)).json()["facts"]["needs"] == []
