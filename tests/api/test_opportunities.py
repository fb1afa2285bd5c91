"""Sales projects and interactions over HTTP: the gates with every unmet criterion, the override in the audit log,
pinned criteria, interactions that teach the map in one commit, corrections and retractions, the timeline,
the pipeline, conversion and the negotiation balance."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from service.api.routes import pipeline as pipeline_route
from service.domain.actors import Role
from service.events.aggregate import Repository
from tests.api.test_accounts import open_account, unique
from tests.api.test_buying_center import add

TODAY = datetime.now(UTC).date()


async def setup(client: httpx.AsyncClient, auth) -> tuple[str, dict[str, str], str, dict[str, str]]:
    team = unique("team")
    kam = auth(unique("kam"), Role.MANAGER, team)
    account = await open_account(client, kam)
    return f"/v1/accounts/{account['account_id']}", kam, team, account


async def open_project(
    client: httpx.AsyncClient, path: str, kam: dict[str, str], kind: str = "new_client"
) -> dict[str, Any]:
    response = await client.post(
        f"{path}/opportunities",
        json={"product_line": "Fuel filters", "kind": kind, "expected_value": {"amount": "1000000", "currency": "RUB"}},
        headers=kam,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def a_client(client: httpx.AsyncClient, path: str, kam: dict[str, str]) -> None:
    """Move a prospect on to a sales project, so that it is no longer a prospect: cross-selling needs a client."""
    moved = await client.post(f"{path}/lifecycle", json={"to_stage": "project", "reason": "first order"}, headers=kam)
    assert moved.status_code == 200, moved.text


async def log(client: httpx.AsyncClient, path: str, kam: dict[str, str], **fields: Any) -> httpx.Response:
    body = {
        "kind": "meeting",
        "occurred_on": TODAY.isoformat(),
        "our_participants": ["kam"],
        "summary": "Talked",
        **fields,
    }
    return await client.post(f"{path}/interactions", json=body, headers=kam)


async def test_a_project_goes_through_every_gate_to_serial_supply(client: httpx.AsyncClient, auth) -> None:
    path, kam, _, _ = await setup(client, auth)
    ally = (await add(client, path, kam, roles=["ally", "user"], attitude=2))["member"]["member_id"]
    boss = (await add(client, path, kam, roles=["decision_maker"], influence=5))["member"]["member_id"]
    project = await open_project(client, path, kam)
    op = f"/v1/opportunities/{project['opportunity_id']}"
    assert project["stage"] == "entry"

    async def advance() -> httpx.Response:
        return await client.post(f"{op}/stage", json={}, headers=kam)

    refused = await advance()
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/exit-criteria-not-met"
    assert [u["code"] for u in refused.json()["unmet"]] == ["meeting_or_invitation"]
    met = await log(client, path, kam, participants=[ally], projects=[project["opportunity_id"]])
    assert met.status_code == 201, met.text
    assert (await advance()).json()["stage"] == "finding_ally"
    unmet = (await advance()).json()["unmet"]
    assert [u["code"] for u in unmet] == ["ally_linked", "need_confirmed_by_ally", "problem_with_member_and_criteria"]
    await client.post(f"{op}/allies", json={"member_id": ally}, headers=kam)
    await client.post(
        f"{op}/needs", json={"member_id": ally, "need": "No clogging at −40 °C", "on": TODAY.isoformat()}, headers=kam
    )
    await client.post(
        f"{op}/problems",
        json={
            "problem": "Clogging",
            "consequence": "Idle trucks",
            "affected_member": ally,
            "explicit": True,
            "criteria": ["cost per truck"],
        },
        headers=kam,
    )
    assert (await advance()).json()["stage"] == "confirmation"
    await client.post(f"{op}/evidence", json={"kind": "test_report", "title": "Winter trial"}, headers=kam)
    await client.post(f"{op}/volume", json={"volume": "40,000 a year", "member_id": boss}, headers=kam)
    await client.post(
        f"{op}/price-rounds", json={"round": 1, "level": "engineers", "on": TODAY.isoformat()}, headers=kam
    )
    assert (await advance()).json()["stage"] == "approval"
    await client.post(
        f"{op}/leader-confirmation", json={"member_id": boss, "note": "Go", "on": TODAY.isoformat()}, headers=kam
    )
    due = (TODAY + timedelta(days=30)).isoformat()
    plan = await client.put(
        f"{op}/launch-plan",
        json={
            "actions": [
                {"side": "supplier", "what": "Engineer on site", "owner": "eng", "due": due},
                {"side": "client", "what": "Change drawing", "owner": "design", "due": due},
            ]
        },
        headers=kam,
    )
    assert plan.status_code == 200, plan.text
    assert (await advance()).json()["stage"] == "implementation"
    await client.post(
        f"{op}/confident-use", json={"member_id": ally, "note": "Runs fine", "on": TODAY.isoformat()}, headers=kam
    )
    done = (await advance()).json()
    assert done["stage"] == "serial_supply"
    assert [h["to_stage"] for h in done["stage_history"]] == [
        "entry",
        "finding_ally",
        "confirmation",
        "approval",
        "implementation",
        "serial_supply",
    ]
    assert all(h["override_reason"] is None for h in done["stage_history"])
    assert done["stage_history"][1]["held"] == ["meeting_or_invitation"]


async def test_a_supervisor_overrides_with_a_reason_and_the_audit_log_shows_it(client: httpx.AsyncClient, auth) -> None:
    path, kam, team, _ = await setup(client, auth)
    project = await open_project(client, path, kam)
    op = f"/v1/opportunities/{project['opportunity_id']}"
    by_manager = await client.post(f"{op}/stage", json={"override_reason": "trust me"}, headers=kam)
    assert (by_manager.status_code, by_manager.json()["type"]) == (403, "/problems/override-not-allowed")
    other_boss = await client.post(
        f"{op}/stage", json={"override_reason": "x"}, headers=auth(unique("sup"), Role.SUPERVISOR, "other")
    )
    assert other_boss.status_code == 404
    boss_name = unique("sup")
    boss = auth(boss_name, Role.SUPERVISOR, team)
    forced = await client.post(f"{op}/stage", json={"override_reason": "Met their board at the fair"}, headers=boss)
    assert forced.status_code == 200, forced.text
    change = forced.json()["stage_history"][-1]
    assert (change["override_reason"], change["unmet"]) == ("Met their board at the fair", ["meeting_or_invitation"])
    assert change["by"] == boss_name
    audit = await client.get(
        "/v1/audit",
        params={"stream_id": f"opportunity-{project['opportunity_id']}", "min_position": forced.json()["position"]},
        headers=auth("root", Role.ADMIN),
    )
    assert audit.json()["items"][0]["event_type"] == "StageAdvanced"
    assert audit.json()["items"][0]["actor_role"] == "supervisor"


async def test_a_member_who_has_left_names_no_new_fact_and_their_word_no_longer_opens_a_gate(
    client: httpx.AsyncClient, auth, store
) -> None:
    path, kam, _, _ = await setup(client, auth)
    ally = (await add(client, path, kam, roles=["ally", "user"]))["member"]["member_id"]
    boss = (await add(client, path, kam, roles=["decision_maker"]))["member"]["member_id"]
    await a_client(client, path, kam)
    project = await open_project(client, path, kam, kind="cross_sell")
    op, day = f"/v1/opportunities/{project['opportunity_id']}", TODAY.isoformat()
    for fact, body in [
        ("allies", {"member_id": ally}),
        ("needs", {"member_id": ally, "need": "No clogging", "on": day}),
        ("problems", {"problem": "Clogging", "affected_member": ally, "criteria": ["cost per truck"]}),
    ]:
        assert (await client.post(f"{op}/{fact}", json=body, headers=kam)).status_code == 200, fact
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
    taught = await log(client, path, kam, projects=[project["opportunity_id"]], learned=learned)
    assert (taught.status_code, taught.json()["type"]) == (409, "/problems/member-has-left")
    assert await store.head_position() == before


async def test_the_leaders_confirmation_and_confident_use_are_past_facts_and_the_leader_decides_or_signs(
    client: httpx.AsyncClient, auth, store
) -> None:
    path, kam, _, _ = await setup(client, auth)
    user = (await add(client, path, kam, roles=["user"]))["member"]["member_id"]
    signer = (await add(client, path, kam, roles=["signer"]))["member"]["member_id"]
    op = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    later = (TODAY + timedelta(days=1)).isoformat()
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


async def test_open_projects_keep_their_criteria_until_an_audited_migration(client: httpx.AsyncClient, auth) -> None:
    admin = auth("root", Role.ADMIN)
    path, kam, team, _ = await setup(client, auth)
    before = await open_project(client, path, kam)
    defined = await client.put("/v1/settings/exit-criteria", json={"exits": {"entry": []}}, headers=admin)
    assert defined.status_code == 200, defined.text
    try:
        after = await open_project(client, path, kam)
        assert after["criteria_version"] == before["criteria_version"] + 1
        assert (
            await client.post(f"/v1/opportunities/{after['opportunity_id']}/stage", json={}, headers=kam)
        ).status_code == 200
        old = f"/v1/opportunities/{before['opportunity_id']}"
        assert (await client.post(f"{old}/stage", json={}, headers=kam)).status_code == 422
        refused = await client.post(f"{old}/criteria-migration", json={"reason": "new rules"}, headers=kam)
        assert refused.status_code == 403
        migrated = await client.post(
            f"{old}/criteria-migration",
            json={"reason": "new rules"},
            headers=auth(unique("sup"), Role.SUPERVISOR, team),
        )
        assert migrated.json()["criteria_version"] == after["criteria_version"]
        assert (await client.post(f"{old}/stage", json={}, headers=kam)).status_code == 200
    finally:
        settings = (await client.get("/v1/settings", headers=admin)).json()
        restore = {stage: codes for stage, codes in settings["stage_criteria"][0]["exits"].items()}
        await client.put("/v1/settings/exit-criteria", json={"exits": restore}, headers=admin)


async def test_an_interaction_teaches_the_map_the_project_and_the_dossier_in_one_commit(
    client: httpx.AsyncClient, auth, store
) -> None:
    path, kam, _, account = await setup(client, auth)
    ally = (await add(client, path, kam, roles=["ally"], attitude=1))["member"]["member_id"]
    await a_client(client, path, kam)
    project = await open_project(client, path, kam, kind="cross_sell")
    logged = await log(
        client,
        path,
        kam,
        participants=[ally],
        projects=[project["opportunity_id"]],
        learned={
            "assessments": [{"member_id": ally, "attitude": 2, "note": "defended us"}],
            "needs": [
                {
                    "opportunity_id": project["opportunity_id"],
                    "member_id": ally,
                    "need": "One supplier for the fuel line",
                }
            ],
            "answers": [{"question_code": "headcount", "value": 5000}],
        },
    )
    assert logged.status_code == 201, logged.text
    interaction_id = logged.json()["interaction_id"]
    position = logged.json()["position"]
    streams = {
        f"interaction-{interaction_id}": ["InteractionLogged"],
        f"buying-center-{account['account_id']}": ["MemberAdded", "ContactRecorded", "MemberAssessed"],
        f"opportunity-{project['opportunity_id']}": ["OpportunityOpened", "InteractionLinked", "NeedConfirmed"],
        f"dossier-{account['account_id']}": ["AnswerRecorded"],
    }
    for stream, types in streams.items():
        events = await store.read_stream(stream)
        assert [e.event_type for e in events] == types
        assert events[-1].position <= position
    member = (await client.get(f"{path}/buying-center/members/{ally}", headers=kam)).json()
    assert member["last_contact"] == TODAY.isoformat()
    assert member["history"][-1]["citation"] == {"kind": "interaction", "ref": interaction_id, "note": "defended us"}
    dossier = (await client.get(f"{path}/dossier", headers=kam)).json()
    headcount = next(q for g in dossier["groups"] for q in g["questions"] if q["code"] == "headcount")
    assert interaction_id in headcount["answers"][0]["source"]


async def test_a_broken_learning_writes_nothing_at_all(client: httpx.AsyncClient, auth, store) -> None:
    path, kam, _, _ = await setup(client, auth)
    ally = (await add(client, path, kam, roles=["ally"]))["member"]["member_id"]
    before = await store.head_position()
    broken = await log(
        client, path, kam, participants=[ally], learned={"answers": [{"question_code": "headcount", "value": "many"}]}
    )
    assert broken.json()["type"] == "/problems/invalid-answer"
    stranger = await log(client, path, kam, participants=["ghost"])
    assert stranger.json()["type"] == "/problems/member-not-in-buying-center"
    assert await store.head_position() == before  # no interaction, contact or answer, on any stream


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


async def test_timeline_filters_and_pages_per_member(client: httpx.AsyncClient, auth) -> None:
    path, kam, _, _ = await setup(client, auth)
    a = (await add(client, path, kam))["member"]["member_id"]
    b = (await add(client, path, kam))["member"]["member_id"]
    last = None
    for i in range(5):
        day = (TODAY - timedelta(days=i)).isoformat()
        last = (
            await log(client, path, kam, participants=[a] if i % 2 else [a, b], occurred_on=day, kind="call")
        ).json()
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "min_position": last["position"], **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{path}/buying-center/members/{b}/timeline", params=params, headers=kam)).json()
        seen += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    assert [e["occurred_on"] for e in seen] == [(TODAY - timedelta(days=i)).isoformat() for i in (0, 2, 4)]
    calls = (await client.get(f"{path}/timeline", params={"kind": "call"}, headers=kam)).json()
    assert [e["occurred_on"] for e in calls["items"]] == [(TODAY - timedelta(days=i)).isoformat() for i in range(5)]
    meetings = (await client.get(f"{path}/timeline", params={"kind": "meeting"}, headers=kam)).json()
    assert meetings["items"] == []


async def test_pipeline_stalled_projects_and_conversion(client: httpx.AsyncClient, auth, monkeypatch) -> None:
    path, kam, team, _ = await setup(client, auth)
    started = datetime.now(UTC)
    moving = await open_project(client, path, kam)
    await client.post(f"/v1/opportunities/{moving['opportunity_id']}/invitation", json={"note": "tender"}, headers=kam)
    moved = (await client.post(f"/v1/opportunities/{moving['opportunity_id']}/stage", json={}, headers=kam)).json()
    idle = await open_project(client, path, kam)
    boss = auth(unique("sup"), Role.SUPERVISOR, team)
    pipeline = (
        await client.get(
            "/v1/pipeline", params={"min_position": max(moved["position"], idle["position"])}, headers=boss
        )
    ).json()
    [manager] = pipeline["managers"]
    stages = {s["stage"]: s for s in manager["stages"]}
    assert (stages["entry"]["projects"], stages["finding_ally"]["projects"]) == (1, 1)
    assert stages["entry"]["value"] == {"RUB": "1000000"}
    assert manager["stalled"] == 0
    conversion = (
        await client.get("/v1/pipeline/conversion", params={"since": started.isoformat()}, headers=boss)
    ).json()
    entry = next(s for s in conversion["stages"] if s["stage"] == "entry")
    assert (entry["entered"], entry["advanced"], entry["rate"]) == (2, 1, 0.5)
    admin = auth("root", Role.ADMIN)
    rules = await client.put(
        "/v1/settings/pipeline-rules", json={"stalled_days": 1, "negotiation_window_days": 90}, headers=admin
    )
    assert rules.status_code == 200, rules.text
    try:
        stalled = []
        for days_on in (0, 1, 2):  # a project stalls once more than stalled_days passed without a move or a contact
            monkeypatch.setattr(pipeline_route, "today", lambda d=days_on: started.date() + timedelta(days=d))
            later = (await client.get("/v1/pipeline", headers=boss)).json()
            assert later["stalled_days"] == 1
            stalled.append(later["managers"][0]["stalled"])
        assert stalled == [0, 0, 2]
    finally:
        await client.put(
            "/v1/settings/pipeline-rules", json={"stalled_days": 30, "negotiation_window_days": 90}, headers=admin
        )
    period_end = datetime.now(UTC)
    lost = await client.post(f"/v1/opportunities/{idle['opportunity_id']}/lost", json={"reason": "no budget"},
                             headers=kam)  # fmt: skip
    assert lost.status_code == 200, lost.text
    for until, count in ((period_end, 0), (datetime.now(UTC), 1)):  # lost after a period is open in its report
        params = {"since": started.isoformat(), "until": until.isoformat(), "min_position": lost.json()["position"]}
        report = (await client.get("/v1/pipeline/conversion", params=params, headers=boss)).json()
        assert next(s for s in report["stages"] if s["stage"] == "entry")["lost"] == count, until


async def test_the_portfolio_flags_meetings_that_replaced_negotiations(client: httpx.AsyncClient, auth) -> None:
    path, kam, team, _ = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    last = None
    for days_ago, kind in [
        (150, "negotiation"),
        (140, "negotiation"),
        (120, "meeting"),
        (100, "negotiation"),
        (60, "meeting"),
        (40, "meeting"),
        (20, "call"),
        (5, "meeting"),
    ]:
        day = (TODAY - timedelta(days=days_ago)).isoformat()
        last = (await log(client, path, kam, participants=[member], occurred_on=day, kind=kind)).json()
    portfolio = (
        await client.get(
            "/v1/portfolio",
            params={"min_position": last["position"]},
            headers=auth(unique("sup"), Role.SUPERVISOR, team),
        )
    ).json()
    [manager] = portfolio["managers"]
    [account] = manager["accounts"]
    assert (account["negotiation_share"], account["negotiation_share_before"]) == (0.0, 0.75)
    assert account["negotiations_falling"] is True
    assert manager["negotiations_falling"] is True
    assert account["account_id"] in manager["at_risk"]


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
    said = {"need": "relief-for-his-back", "leader": "golfs-with-the-owner", "use": "loves-the-new-filters"}
    for url, body in (
        (f"{project}/allies", {"member_id": person}),
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
    async with pool.acquire() as conn:
        stored = await conn.fetchval("SELECT string_agg(data::text, ' ') FROM events WHERE stream_id LIKE $1",
                                     f"%{opportunity_id}")  # fmt: skip
    assert [text for text in said.values() if text in stored] == []


async def test_cross_selling_needs_a_client_not_a_prospect(client: httpx.AsyncClient, auth, store) -> None:
    """Cross-selling skips Entry because the client buys from us already (DOMAIN §4); a prospect starts at Entry."""
    path, kam, _, _ = await setup(client, auth)
    before = await store.head_position()
    body = {"product_line": "Fuel lines", "kind": "cross_sell"}
    refused = await client.post(f"{path}/opportunities", json=body, headers=kam)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["type"], refused.json()["field"]) == ("/problems/not-a-client", "kind")
    assert await store.head_position() == before
    await a_client(client, path, kam)
    assert (await open_project(client, path, kam, kind="cross_sell"))["stage"] == "finding_ally"


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
    assert relinked == [{"interaction_id": iid, "kind": "email", "on": old}]


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
