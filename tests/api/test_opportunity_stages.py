"""Sales projects through their stages over HTTP: opening, the gates with every unmet criterion, the supervisor's
override in the audit log, criteria pinned until an audited migration, cross-selling only to a client."""

from __future__ import annotations

from datetime import timedelta

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import unique
from tests.api.test_buying_center import add
from tests.support.opportunities import TODAY, log, open_project, setup


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


async def test_open_projects_keep_their_criteria_until_an_audited_migration(client: httpx.AsyncClient, auth) -> None:
    admin = auth("root", Role.ADMIN)
    path, kam, team, _ = await setup(client, auth)
    before = await open_project(client, path, kam)
    stages = ("entry", "finding_ally", "confirmation", "approval", "implementation")  # each listed: [] for none
    defined = await client.put("/v1/settings/exit-criteria", json={"exits": {s: [] for s in stages}}, headers=admin)
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


async def test_exit_criteria_listing_a_criterion_twice_are_refused_and_write_nothing(
    client: httpx.AsyncClient, auth
) -> None:
    """Found by review: they were taken, and a criterion unmet then showed twice in every refused stage change."""
    admin = auth("root", Role.ADMIN)
    before = (await client.get("/v1/settings", headers=admin)).json()["stage_criteria"]
    exits = {"entry": ["meeting_or_invitation"], "approval": ["leader_confirmation", "leader_confirmation"]}
    refused = await client.put("/v1/settings/exit-criteria", json={"exits": exits}, headers=admin)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert (problem["type"], problem["field"], problem["duplicates"]) == (
        "/problems/duplicate-criterion",
        "exits.approval",
        ["leader_confirmation"],
    )
    assert (await client.get("/v1/settings", headers=admin)).json()["stage_criteria"] == before


async def test_serial_supply_recorded_late_carries_its_day_and_no_cross_sell_is_back_dated_before_it(
    client: httpx.AsyncClient, auth, store
) -> None:
    """A cross-sell opened a year back on an account in serial supply since last month was accepted: the account
    knew no day it became a client. Serial supply now carries the day it began (`on`, default today)."""
    path, kam, _, _ = await setup(client, auth)
    today = TODAY
    moved = await client.post(f"{path}/lifecycle", json={"to_stage": "project", "reason": "first"}, headers=kam)
    assert (moved.json()["lifecycle_since"], moved.json()["client_since"]) == (today.isoformat(), None)
    supply = {"to_stage": "serial_supply", "reason": "won"}
    for on, problem in (
        (today + timedelta(days=2), "date-in-future"),
        (today - timedelta(days=1), "date-before-last-change"),
    ):
        before = await store.head_position()
        refused = await client.post(f"{path}/lifecycle", json={**supply, "on": on.isoformat()}, headers=kam)
        assert (refused.status_code, refused.json()["type"], refused.json()["field"]) == (
            422,
            f"/problems/{problem}",
            "on",
        )
        assert await store.head_position() == before
    moved = await client.post(f"{path}/lifecycle", json={**supply, "on": today.isoformat()}, headers=kam)
    assert moved.json()["client_since"] == today.isoformat(), moved.text
    cross_sell = {"product_line": "Fuel lines", "kind": "cross_sell"}
    before = await store.head_position()
    back = {**cross_sell, "opened_on": (today - timedelta(days=365)).isoformat()}
    refused = await client.post(f"{path}/opportunities", json=back, headers=kam)
    assert (refused.status_code, refused.json()["type"], refused.json()["field"]) == (
        422,
        "/problems/opened-before-client",
        "opened_on",
    ), refused.text
    assert refused.json()["client_since"] == today.isoformat()
    assert await store.head_position() == before
    opened = await client.post(
        f"{path}/opportunities", json={**cross_sell, "opened_on": today.isoformat()}, headers=kam
    )
    assert opened.status_code == 201, opened.text


async def test_cross_selling_needs_a_client_not_a_prospect(client: httpx.AsyncClient, auth, store) -> None:
    """Cross-selling skips Entry because the client buys from us already (DOMAIN §4, seed 004: "then serial supply.
    Cross-selling to an existing client"); a prospect, also one in its first project, starts at Entry."""
    path, kam, _, _ = await setup(client, auth)
    body = {"product_line": "Fuel lines", "kind": "cross_sell"}

    async def refused() -> None:
        before = await store.head_position()
        answer = await client.post(f"{path}/opportunities", json=body, headers=kam)
        assert answer.status_code == 422, answer.text
        assert (answer.json()["type"], answer.json()["field"]) == ("/problems/not-a-client", "kind")
        assert await store.head_position() == before

    await refused()
    moved = await client.post(f"{path}/lifecycle", json={"to_stage": "project", "reason": "first"}, headers=kam)
    assert moved.status_code == 200, moved.text
    await refused()  # a first project buys nothing yet
    moved = await client.post(f"{path}/lifecycle", json={"to_stage": "serial_supply", "reason": "won"}, headers=kam)
    assert moved.status_code == 200, moved.text
    assert (await open_project(client, path, kam, kind="cross_sell"))["stage"] == "finding_ally"
    moved = await client.post(f"{path}/lifecycle", json={"to_stage": "project", "reason": "next"}, headers=kam)
    assert moved.status_code == 200, moved.text
    assert (await open_project(client, path, kam, kind="cross_sell"))["stage"] == "finding_ally"  # a client still


async def test_a_reason_or_a_note_as_long_as_the_api_takes_is_kept(client: httpx.AsyncClient, auth) -> None:
    """The API takes 2000 characters for the reason of a loss or a reopening and the note of the leader's confirmation
    or of confident use, as for an override's reason, but the rules refused any past 1000 as value-too-long, a 422
    for a request its schema allows (found by review)."""
    path, kam, _, _ = await setup(client, auth)
    signer = (await add(client, path, kam, roles=["signer"]))["member"]["member_id"]
    op = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    long = "x" * 2000
    confirmation = {"member_id": signer, "note": long, "on": TODAY.isoformat()}
    for fact, body in (
        ("leader-confirmation", confirmation),
        ("confident-use", confirmation),
        ("lost", {"reason": long}),
        ("reopen", {"reason": long}),
    ):
        answer = await client.post(f"{op}/{fact}", json=body, headers=kam)
        assert answer.status_code == 200, (fact, answer.text)
    facts = answer.json()["facts"]
    assert (facts["leader_confirmation"]["note"], facts["confident_use"]["note"]) == (long, long)


async def test_a_problems_confirmation_day_needs_who_confirmed_the_need(client: httpx.AsyncClient, auth, store) -> None:
    """A `confirmed_on` without `need_confirmed_by` was stored: a need confirmed on a day by nobody, which no criterion
    reads; as a confirmer without a day is refused, a day without a confirmer is a 422 naming the missing field."""
    path, kam, _, _ = await setup(client, auth)
    ally = (await add(client, path, kam, roles=["ally"]))["member"]["member_id"]
    op = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    before = await store.head_position()
    day = TODAY.isoformat()
    for body, field in (
        ({"problem": "Clogging", "explicit": True, "confirmed_on": day}, "need_confirmed_by"),
        ({"problem": "Clogging", "explicit": True, "need_confirmed_by": ally}, "confirmed_on"),
    ):
        refused = await client.post(f"{op}/problems", json=body, headers=kam)
        assert (refused.status_code, refused.json().get("field")) == (422, field), refused.text
    assert await store.head_position() == before
    both = {"problem": "Clogging", "explicit": True, "need_confirmed_by": ally, "confirmed_on": day}
    assert (await client.post(f"{op}/problems", json=both, headers=kam)).status_code == 200
