"""The buying-center map over HTTP: members, assessments citing why, links, risks, as-of, SVG, forgetting a person."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique
from tests.support.problems import assert_refused
from tests.support.rebuilds import rebuilt


async def add(client: httpx.AsyncClient, path: str, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": unique("Person"), "position": "Engineer", "organisation": "Client", **fields}
    response = await client.post(f"{path}/buying-center/members", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def setup(client: httpx.AsyncClient, auth) -> tuple[str, dict[str, str]]:
    kam = auth(unique("kam"), Role.MANAGER, "north")
    account = await open_account(client, kam)
    return f"/v1/accounts/{account['account_id']}", kam


async def test_members_links_and_risks(client: httpx.AsyncClient, auth) -> None:
    path, kam = await setup(client, auth)
    ally = (await add(client, path, kam, roles=["ally", "user", "initiator"], attitude=2))["member"]
    boss = (await add(client, path, kam, roles=["decision_maker"], influence=5))["member"]
    buyer = (await add(client, path, kam, roles=["procurement"], influence=4, attitude=-2))["member"]
    await client.post(
        f"{path}/buying-center/members/{ally['member_id']}/contacts", json={"on": "2026-11-01"}, headers=kam
    )
    linked = await client.post(
        f"{path}/buying-center/relationships",
        json={"source": ally["member_id"], "target": boss["member_id"], "kind": "reports_to"},
        headers=kam,
    )
    assert linked.status_code == 201
    await client.post(
        f"{path}/buying-center/relationships",
        json={"source": buyer["member_id"], "target": boss["member_id"], "kind": "influences", "strength": 3},
        headers=kam,
    )
    view = (await client.get(f"{path}/buying-center", headers=kam)).json()
    assert {n["member_id"] for n in view["nodes"]} == {ally["member_id"], boss["member_id"], buyer["member_id"]}
    assert sorted((e["kind"], e["formal"]) for e in view["edges"]) == [("influences", False), ("reports_to", True)]
    risks = {r["code"]: r for r in view["risks"]}
    assert risks["single-threaded"]["members"] == [ally["member_id"]]
    assert risks["high-influence-opponent"]["members"] == [buyer["member_id"]]
    assert risks["no-decision-maker-contact"]["members"] == [boss["member_id"]]
    assert risks["decision-maker-without-owner"]["members"] == [boss["member_id"]]
    assert all(r["reason"] for r in view["risks"])


async def test_problems_name_the_rule_and_write_nothing(client: httpx.AsyncClient, auth, store) -> None:
    path, kam = await setup(client, auth)
    member = (await add(client, path, kam))["member"]
    stream = f"buying-center-{path.rsplit('/', 1)[1]}"
    before = await store.read_stream(stream)
    unknown_role = await client.post(
        f"{path}/buying-center/members", json={"name": "X", "roles": ["wizard"]}, headers=kam
    )
    assert unknown_role.json()["type"] == "/problems/unknown-role"
    assert unknown_role.json()["unknown"] == ["wizard"]
    stranger = await client.post(
        f"{path}/buying-center/relationships",
        json={"source": member["member_id"], "target": "nobody", "kind": "allied_with"},
        headers=kam,
    )
    assert (stranger.status_code, stranger.json()["type"]) == (404, "/problems/member-not-in-buying-center")
    out_of_range = await client.post(
        f"{path}/buying-center/members/{member['member_id']}/assessment", json={"influence": 9}, headers=kam
    )
    assert out_of_range.json()["type"] == "/problems/validation"
    assert await store.read_stream(stream) == before


async def test_history_shows_why_a_view_changed_and_as_of_shows_the_map_then(client: httpx.AsyncClient, auth) -> None:
    path, kam = await setup(client, auth)
    made = await add(client, path, kam, roles=["user"], attitude=0)
    member_id = made["member"]["member_id"]
    member_path = f"{path}/buying-center/members/{member_id}"
    before = await client.get(f"{path}/buying-center", headers=kam)
    assessed = await client.post(
        f"{member_path}/assessment",
        json={
            "attitude": 2,
            "roles": ["user", "ally"],
            "citation": {"kind": "interaction", "ref": "visit-3", "note": "asked for a trial"},
        },
        headers=kam,
    )
    assert assessed.status_code == 200, assessed.text
    history = (await client.get(member_path, headers=kam)).json()["history"]
    assert [h["event"] for h in history] == ["MemberAdded", "MemberAssessed"]
    assert history[1]["changes"]["attitude"] == [0, 2]
    assert history[1]["citation"] == {"kind": "interaction", "ref": "visit-3", "note": "asked for a trial"}
    audit = await client.get(
        "/v1/audit",
        params={"stream_id": f"buying-center-{path.rsplit('/', 1)[1]}", "min_position": assessed.json()["position"]},
        headers=auth("root", Role.ADMIN),
    )
    first_recorded = min(e["recorded_at"] for e in audit.json()["items"])
    then = await client.get(f"{path}/buying-center", params={"as_of": first_recorded}, headers=kam)
    assert then.json()["nodes"] == before.json()["nodes"]
    assert then.json()["version"] == 1
    now = (await client.get(f"{path}/buying-center", headers=kam)).json()
    assert now["nodes"][0]["attitude"] == 2


async def test_a_member_who_leaves_stays_on_the_map_inactive(client: httpx.AsyncClient, auth) -> None:
    path, kam = await setup(client, auth)
    required = {"initiator", "user", "procurement", "decision_maker", "ally"}
    member_id = (await add(client, path, kam, roles=sorted(required)))["member"]["member_id"]

    async def missing() -> set[str]:
        view = (await client.get(f"{path}/buying-center", headers=kam)).json()
        return {r["role"] for r in view["risks"] if r["code"] == "role-missing"}

    assert await missing() == set()
    left = await client.post(
        f"{path}/buying-center/members/{member_id}/left", json={"on": "2026-10-01", "reason": "retired"}, headers=kam
    )
    assert left.json()["member"]["active"] is False
    view = (await client.get(f"{path}/buying-center", headers=kam)).json()
    assert [(n["member_id"], n["active"]) for n in view["nodes"]] == [(member_id, False)]
    assert await missing() == required  # who left holds no role the map needs


async def test_the_picture_is_valid_svg(client: httpx.AsyncClient, auth) -> None:
    path, kam = await setup(client, auth)
    empty = await client.get(f"{path}/buying-center.svg", headers=kam)
    assert empty.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(empty.text).tag == "{http://www.w3.org/2000/svg}svg"
    await add(client, path, kam, name="Ivan <Orlov> & Co", roles=["ally"])
    one = await client.get(f"{path}/buying-center.svg", headers=kam)
    assert ET.fromstring(one.text).tag == "{http://www.w3.org/2000/svg}svg"
    assert "Ivan &lt;Orlov&gt; &amp; Co" in one.text
    hidden = await client.get(f"{path}/buying-center.svg", headers=auth(unique("kam"), Role.MANAGER, "north"))
    assert hidden.status_code == 404


async def test_forgetting_a_person_erases_them_everywhere_but_keeps_the_node(
    client: httpx.AsyncClient, auth, store, pool
) -> None:
    path, kam = await setup(client, auth)
    account_id = path.rsplit("/", 1)[1]
    name = unique("Vasily Petrovich")
    made = await add(
        client,
        path,
        kam,
        name=name,
        contacts="+7 900 000 00 00",
        notes="fishes on Sundays",
        roles=["informal_heavyweight"],
        influence=5,
    )
    member_id = made["member"]["member_id"]
    other = (await add(client, path, kam))["member"]["member_id"]
    member = f"{path}/buying-center/members/{member_id}"
    seen = {"kind": "observation", "note": f"{name} said so at dinner"}
    written_about = [  # what a manager writes about the person, each to be forgotten with them
        ("POST", f"{member}/assessment", {"attitude": 1, "citation": seen}),
        ("PUT", f"{member}/criteria", {"stated": ["price-trap"], "observed": ["golf-buddy"], "citation": seen}),
        ("PUT", f"{member}/problems", {"problems": [{"problem": "gout-pain", "consequence": "grumpy"}]}),
        ("PUT", f"{member}/contact-owner", {"owner": "kam", "contact_plan": f"call {name} at home"}),
        ("PUT", f"{member}/next-action", {"what": "send-flowers", "due": "2026-12-01"}),
        ("POST", f"{path}/buying-center/relationships", {"source": member_id, "target": other, "kind": "influences",
                                                          "note": "brother-in-law"}),
        ("POST", f"{path}/dossier/answers", {"question_code": _personal_question(), "value": "fishing",
                                             "about": member_id, "source": "his-wife", "learned_on": "2026-11-01"}),
        ("POST", f"{path}/dossier/answers/{_personal_question()}/retract", {"about": member_id, "reason": "wife-lied"}),
        ("POST", f"{member}/left", {"on": "2026-11-02", "reason": "moved-to-rival"}),
    ]  # fmt: skip
    for method, url, body in written_about:
        response = await client.request(method, url, json=body, headers=kam)
        assert response.status_code in (200, 201), (url, response.text)
    secrets = ["dinner", "price-trap", "golf-buddy", "gout-pain", "at home", "send-flowers", "brother-in-law",
               "fishing", "his-wife", "wife-lied", "moved-to-rival"]  # fmt: skip
    moment = datetime.now(UTC).isoformat()
    before = [(await client.get(url, headers=kam)).text for url in (f"{path}/buying-center", member)]
    assert [s for s in secrets[:-4] if not any(s in text for text in before)] == []  # readable until forgotten
    refused = await client.post(f"/v1/people/{member_id}/forget", headers=kam)
    assert refused.status_code == 403
    forgot = await client.post(f"/v1/people/{member_id}/forget", headers=auth("root", Role.ADMIN))
    assert forgot.status_code == 200
    forgotten = (await client.get(member, headers=kam)).json()
    assert (forgotten["name"], forgotten["contacts"], forgotten["notes"]) == (None, None, None)
    assert [h["event"] for h in forgotten["history"]][:2] == ["MemberAdded", "MemberAssessed"]
    assert (forgotten["influence"], forgotten["attitude"], forgotten["roles"]) == (5, 1, ["informal_heavyweight"])
    assert (forgotten["active"], forgotten["left_on"]) == (False, "2026-11-02")  # the node and its facts stay
    history = await client.get(
        f"{path}/dossier/answers/{_personal_question()}/history", params={"about": member_id}, headers=kam
    )
    reads = [
        (await client.get(url, params=params, headers=kam)).text
        for url, params in (
            (member, {}),
            (f"{path}/buying-center", {}),
            (f"{path}/buying-center.svg", {}),
            (f"{path}/dossier", {}),
            (member, {"as_of": moment}),
            (f"{path}/buying-center", {"as_of": moment}),
        )
    ] + [history.text]
    assert history.status_code == 200, history.text
    assert [secret for secret in secrets if any(secret in text for text in reads)] == []
    blanked = await client.patch(member, json={"position": ""}, headers=kam)  # what stays can still be cleared
    assert (blanked.status_code, blanked.json()["member"]["position"]) == (200, ""), blanked.text
    again = await client.patch(member, json={"notes": "new-secret"}, headers=kam)
    assert again.json()["type"] == "/problems/subject-forgotten"  # nothing new is written about them
    svg = (await client.get(f"{path}/buying-center.svg", headers=kam)).text
    assert name not in svg
    await client.get("/v1/portfolio", params={"min_position": forgot.json()["position"]}, headers=kam)
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT name FROM read.buying_center_members WHERE account_id = $1 AND member_id = $2",
            account_id,
            member_id,
        )
        answer = await conn.fetchval("SELECT value FROM read.dossier_answers WHERE about_member_id = $1", member_id)
        dump = await conn.fetchval(
            "SELECT string_agg(data::text, ' ') FROM events WHERE stream_id LIKE $1", f"%{account_id}"
        )
    assert row["name"] is None
    assert answer is None
    assert name not in dump
    assert [secret for secret in secrets if secret in dump] == []


async def test_forgetting_a_person_nobody_recorded_is_a_404_and_writes_nothing(
    client: httpx.AsyncClient, auth, store
) -> None:
    stranger = unique("member")
    head = await store.head_position()
    missing = await client.post(f"/v1/people/{stranger}/forget", headers=auth("root", Role.ADMIN))
    assert missing.status_code == 404
    assert missing.json()["type"] == "/problems/person-not-found"
    assert not await store.knows_subject(stranger)
    assert await store.head_position() == head
    admin = auth("root", Role.ADMIN)
    assert (await client.post(f"/v1/subjects/{stranger}/forget", headers=admin)).status_code == 200  # in advance
    tombstoned = await client.post(f"/v1/people/{stranger}/forget", headers=admin)
    assert (tombstoned.status_code, tombstoned.json()["type"]) == (404, "/problems/person-not-found")


def _personal_question() -> str:
    from service.domain.settings.defaults import default_settings

    return next(
        q.code
        for g in default_settings().template.groups
        for q in g.questions
        if q.personal and q.answer_type.value == "text"
    )


async def test_rebuilt_domain_projections_equal_the_live_ones(
    client: httpx.AsyncClient, auth, settings, database_url, pool
) -> None:
    path, kam = await setup(client, auth)
    a = (await add(client, path, kam, roles=["ally"], attitude=2))["member"]["member_id"]
    b = (await add(client, path, kam, roles=["decision_maker"], influence=5))["member"]["member_id"]
    await client.post(
        f"{path}/buying-center/relationships", json={"source": a, "target": b, "kind": "influences"}, headers=kam
    )
    await client.post(
        f"{path}/buying-center/members/{a}/left", json={"on": "2026-11-01", "reason": "quit"}, headers=kam
    )
    last = await client.post(
        f"{path}/dossier/answers",
        json={"question_code": "headcount", "value": 900, "learned_on": "2026-11-01"},
        headers=kam,
    )
    await client.get("/v1/portfolio", params={"min_position": last.json()["position"]}, headers=kam)
    tables = ["accounts", "buying_center_members", "buying_center_relationships", "dossier_answers"]

    async def contents() -> dict[str, list[tuple]]:
        async with pool.acquire() as conn:
            return {t: sorted(tuple(r) for r in await conn.fetch(f"SELECT * FROM read.{t}")) for t in tables}

    live = await contents()
    assert any(r[1] == a and r[15] is False for r in live["buying_center_members"])  # member_id, active
    for name in ("accounts", "buying_centers", "dossiers"):
        await rebuilt(settings, database_url, pool, name)
    assert await contents() == live


async def test_what_stays_of_a_forgotten_person_can_still_be_worked_with(client: httpx.AsyncClient, auth) -> None:
    """An interaction assessing a forgotten person was refused as a whole (its citation was sealed, note or
    not), and an answer about them, unreadable and impossible to retract, kept the dossier stale for ever."""
    path, kam = await setup(client, auth)
    member_id = (await add(client, path, kam))["member"]["member_id"]
    old = {"question_code": _personal_question(), "value": "chess", "about": member_id, "learned_on": "2020-01-01"}
    assert (await client.post(f"{path}/dossier/answers", json=old, headers=kam)).status_code == 201
    assert (await client.get(f"{path}/dossier", headers=kam)).json()["stale"] == 1
    forgot = await client.post(f"/v1/people/{member_id}/forget", headers=auth("root", Role.ADMIN))
    assert forgot.status_code == 200
    assert (await client.get(f"{path}/dossier", headers=kam)).json()["stale"] == 0  # nothing left to review
    meeting = {
        "kind": "meeting", "occurred_on": "2026-11-02", "our_participants": ["kam"], "summary": "Met",
        "participants": [member_id], "learned": {"assessments": [{"member_id": member_id, "attitude": 2}]},
    }  # fmt: skip
    logged = await client.post(f"{path}/interactions", json=meeting, headers=kam)
    assert logged.status_code == 201, logged.text
    assert (await client.get(f"{path}/buying-center/members/{member_id}", headers=kam)).json()["attitude"] == 2
    noted = {**meeting, "learned": {"assessments": [{"member_id": member_id, "attitude": 1, "note": "he said so"}]}}
    refused = await client.post(f"{path}/interactions", json=noted, headers=kam)
    assert refused.json()["type"] == "/problems/subject-forgotten"  # a note about them is new personal data


async def test_forgetting_a_person_erases_the_ref_of_a_citation_behind_our_view_of_them(
    client: httpx.AsyncClient, auth, pool
) -> None:
    """Found by review: a citation with a ref and no note (the ref is free text up to 500 characters: "Interaction
    id, document id or URL") was stored in clear, so the URL of a private profile outlived the person's forgetting."""
    path, kam = await setup(client, auth)
    account_id = path.rsplit("/", 1)[1]
    secret = f"https://vk.com/{unique('ivan.orlov.private')}"
    made = await add(client, path, kam, citation={"kind": "document", "ref": secret})
    member_id = made["member"]["member_id"]
    member = f"{path}/buying-center/members/{member_id}"
    for kind in ("observation", "interaction"):  # an interaction citation whose ref is no interaction id of ours
        assessed = await client.post(
            f"{member}/assessment",
            json={"attitude": -1 if kind == "observation" else -2, "citation": {"kind": kind, "ref": secret}},
            headers=kam,
        )
        assert assessed.status_code == 200, assessed.text
    assert secret in (await client.get(member, headers=kam)).text  # readable until forgotten
    forgot = await client.post(f"/v1/people/{member_id}/forget", headers=auth("root", Role.ADMIN))
    assert forgot.status_code == 200
    assert secret not in (await client.get(member, headers=kam)).text
    async with pool.acquire() as conn:
        dump = await conn.fetchval(
            "SELECT string_agg(data::text, ' ') FROM events WHERE stream_id = $1", f"buying-center-{account_id}"
        )
    assert secret not in dump
    cited = await client.post(
        f"{member}/assessment", json={"attitude": 0, "citation": {"kind": "document", "ref": "cv.pdf"}}, headers=kam
    )
    assert cited.json()["type"] == "/problems/subject-forgotten"  # a ref about them is new personal data


async def test_a_person_marked_as_left_by_mistake_is_the_clients_again(client: httpx.AsyncClient, auth, store) -> None:
    """Found by review: `…/left` could not be undone, so marking the wrong person as left was for good: no
    contact, assessment or project fact could name them again."""
    path, kam = await setup(client, auth)
    today = datetime.now(UTC).date().isoformat()
    m = (await add(client, path, kam, roles=["ally"]))["member"]["member_id"]
    member = f"{path}/buying-center/members/{m}"
    before = await store.head_position()
    active = await client.post(f"{member}/returned", json={"reason": "never left"}, headers=kam)
    assert (active.status_code, active.json()["type"]) == (409, "/problems/member-active")
    assert await store.head_position() == before
    left = await client.post(f"{member}/left", json={"on": today, "reason": "quit"}, headers=kam)
    assert left.status_code == 200, left.text
    contact = await client.post(f"{member}/contacts", json={"on": today}, headers=kam)
    assert contact.json()["type"] == "/problems/member-has-left"
    back = await client.post(f"{member}/returned", json={"reason": "the wrong Ivanov"}, headers=kam)
    assert back.status_code == 200, back.text
    assert (back.json()["member"]["active"], back.json()["member"]["left_on"]) == (True, None)
    assert (await client.post(f"{member}/contacts", json={"on": today}, headers=kam)).status_code == 200
    history = [h["event"] for h in (await client.get(member, headers=kam)).json()["history"]]
    assert history[-2:] == ["MemberLeft", "MemberReturned"]


async def test_why_a_person_is_back_is_shown_as_why_they_left_until_they_are_forgotten(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Found by review: the reason given with `…/returned` was sealed with the person but shown nowhere: the member
    read as if they had never left, where their leaving shows its reason, on the card and in the history."""
    path, kam = await setup(client, auth)
    today = datetime.now(UTC).date().isoformat()
    m = (await add(client, path, kam, roles=["ally"]))["member"]["member_id"]
    member = f"{path}/buying-center/members/{m}"
    left = await client.post(f"{member}/left", json={"on": today, "reason": "quit-for-rival"}, headers=kam)
    assert (left.status_code, left.json()["member"]["left_reason"]) == (200, "quit-for-rival"), left.text
    back = await client.post(f"{member}/returned", json={"reason": "the-wrong-ivanov"}, headers=kam)
    assert back.status_code == 200, back.text
    card = back.json()["member"]
    assert (card["active"], card["left_reason"], card["returned_reason"]) == (True, "", "the-wrong-ivanov")
    shown = await client.get(member, headers=kam)
    returned = shown.json()["history"][-1]
    assert (returned["event"], returned["changes"]["returned_reason"]) == ("MemberReturned", ["", "the-wrong-ivanov"])
    moment = datetime.now(UTC).isoformat()
    forgot = await client.post(f"/v1/people/{m}/forget", headers=auth("root", Role.ADMIN))
    assert forgot.status_code == 200, forgot.text
    forgotten = (await client.get(member, headers=kam)).json()
    assert (forgotten["name"], forgotten["active"], forgotten["returned_reason"]) == (None, True, "")
    reads = [(await client.get(member, params=params, headers=kam)).text for params in ({}, {"as_of": moment})]
    assert [text for text in reads if "the-wrong-ivanov" in text or "quit-for-rival" in text] == []
    before = await store.head_position()
    again = await client.post(f"{member}/left", json={"on": today, "reason": "gone-again"}, headers=kam)
    assert (again.status_code, again.json()["type"]) == (409, "/problems/subject-forgotten")
    assert await store.head_position() == before


async def test_restating_a_members_criteria_problems_or_next_action_writes_nothing(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Found by review: putting the same criteria, problems or next action again wrote an event each time, which
    moved the map's version (an If-Match taken before it failed) and added a step that changed nothing to the
    member's history, where an assessment or a contact owner that changes nothing writes nothing."""
    path, kam = await setup(client, auth)
    m = (await add(client, path, kam, roles=["user"]))["member"]["member_id"]
    member = f"{path}/buying-center/members/{m}"
    puts = [
        ("criteria", {"stated": ["price"], "observed": ["uptime in winter"]}),
        ("problems", {"problems": [{"problem": "Filters clog in winter", "consequence": "warranty claims"}]}),
        ("next-action", {"what": "Send the winter test report", "due": "2026-12-01"}),
    ]
    for route, body in puts:
        assert (await client.put(f"{member}/{route}", json=body, headers=kam)).status_code == 200
    version, before = (await client.get(member, headers=kam)).headers["ETag"], await store.head_position()
    for route, body in puts:
        again = await client.put(f"{member}/{route}", json=body, headers={**kam, "If-Match": version})
        assert again.status_code == 200, (route, again.text)
    assert await store.head_position() == before
    history = (await client.get(member, headers=kam)).json()["history"]
    assert [h["event"] for h in history] == [
        "MemberAdded",
        "MemberCriteriaRecorded",
        "MemberProblemsRecorded",
        "NextActionSet",
    ]


async def test_a_citations_note_is_kept_trimmed_and_a_blank_one_is_no_note(client: httpx.AsyncClient, auth) -> None:
    """Found by review: every other note of the map was trimmed, a citation's was kept as sent, spaces and all."""
    path, kam = await setup(client, auth)
    made = await add(
        client, path, kam, citation={"kind": "interaction", "ref": "visit-3", "note": "  asked for a trial\n"}
    )
    member = f"{path}/buying-center/members/{made['member']['member_id']}"
    cited = {
        f"{member}/assessment": ("POST", {"attitude": 1}),
        f"{member}/criteria": ("PUT", {"stated": ["price"]}),
        f"{member}/problems": ("PUT", {"problems": [{"problem": "Clogging"}]}),
    }
    for url, (method, body) in cited.items():
        citation = {"kind": "observation", "note": " \t\n "}
        answer = await client.request(method, url, json={**body, "citation": citation}, headers=kam)
        assert answer.status_code == 200, answer.text
    history = (await client.get(member, headers=kam)).json()["history"]
    assert [h["citation"]["note"] for h in history] == ["asked for a trial", "", "", ""]


async def test_criteria_or_problems_listing_one_twice_are_refused_naming_it(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Found by review: a criterion or a problem listed twice was stored twice, and the member's card showed both.
    Entries are compared as stored, trimmed; a problem is the same with the same consequence."""
    path, kam = await setup(client, auth)
    member = f"{path}/buying-center/members/{(await add(client, path, kam))['member']['member_id']}"
    before = await store.head_position()
    clogging = {"problem": "Clogging", "consequence": "Downtime"}
    refusals = [
        ("criteria", {"stated": ["price", "delivery", "price"]}, "duplicate-criterion", "stated.2"),
        ("criteria", {"stated": ["price"], "observed": ["", "golf", " golf "]}, "duplicate-criterion", "observed.2"),
        ("problems", {"problems": [clogging, {**clogging, "problem": " Clogging"}]}, "duplicate-problem", "problems.1"),
    ]
    for route, body, problem, field in refusals:
        assert_refused(await client.put(f"{member}/{route}", json=body, headers=kam), problem, field)
    assert await store.head_position() == before
    taken = {
        "criteria": {"stated": ["price", "Price"], "observed": ["price"]},  # another case, another list: not a repeat
        "problems": {"problems": [clogging, {**clogging, "consequence": "Warranty claims"}]},
    }
    for route, body in taken.items():
        assert (await client.put(f"{member}/{route}", json=body, headers=kam)).status_code == 200
