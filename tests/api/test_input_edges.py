"""Input that a schemathesis run found accepted although it was wrong: each case is refused and writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx

from service.domain.actors import Role
from tests.api.test_buying_center import add
from tests.api.test_dossier import setup as dossier_setup
from tests.support.opportunities import log, open_project
from tests.support.opportunities import setup as project_setup
from tests.support.plans import ACTION, GOAL, in_force, ok
from tests.support.plans import setup as plan_setup
from tests.support.problems import assert_refused

# not begun anywhere yet: UTC's tomorrow has, east of UTC (tests/api/test_dates_east_of_utc.py)
TOMORROW = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()


async def test_numbers_that_are_not_finite_are_refused_naming_the_field(client: httpx.AsyncClient, auth, store) -> None:
    """Python's JSON reader takes NaN, Infinity and 1e400 (infinity); the event stored them as null."""
    path, kam = await dossier_setup(client, auth)
    before = await store.head_position()
    for number in ("NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 400 + ".5"):
        body = f'{{"question_code": "headcount", "value": {number}, "learned_on": "2026-11-01"}}'
        answer = await client.post(
            f"{path}/dossier/answers", content=body, headers={**kam, "Content-Type": "application/json"}
        )
        assert answer.status_code == 422, (number[:20], answer.text)
        assert [e["field"] for e in answer.json()["errors"]] == ["body.value"], number[:20]
    for value in (10**16, 10**400, {"amount": "1e999999", "currency": "RUB"}, {"amount": "5", "currency": "RUB\n"}):
        code = "headcount" if isinstance(value, int) else "revenue"
        body = {"question_code": code, "value": value, "learned_on": "2026-11-01"}
        assert (await client.post(f"{path}/dossier/answers", json=body, headers=kam)).status_code == 422, value
    assert await store.head_position() == before
    fine = {"question_code": "headcount", "value": 1.5e3, "learned_on": "2026-11-01"}  # an exponent is fine
    assert (await client.post(f"{path}/dossier/answers", json=fine, headers=kam)).status_code == 201


async def test_an_integer_too_long_for_python_to_read_is_refused_naming_the_field(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Python reads no integer of more than 4,300 digits from text (sys.get_int_max_str_digits), so the JSON reader
    failed on the whole body: a 400 bad-request, "There was an error parsing the body", that named nothing."""
    path, kam = await dossier_setup(client, auth)
    before = await store.head_position()
    big = "9" * 4301
    for value, field in (
        (big, "body.value"),
        (f"-{big}", "body.value"),
        (f'{{"amount": {big}, "currency": "RUB"}}', "body.value.amount"),
        (f'["A", {big}]', "body.value.1"),
    ):
        code = "revenue" if "amount" in value else "sites" if "[" in value else "headcount"
        body = f'{{"question_code": "{code}", "value": {value}, "learned_on": "2026-11-01"}}'
        answer = await client.post(
            f"{path}/dossier/answers", content=body, headers={**kam, "Content-Type": "application/json"}
        )
        assert (answer.status_code, answer.json()["type"]) == (422, "/problems/validation"), (field, answer.text[:300])
        assert [(e["field"], e["type"]) for e in answer.json()["errors"]] == [(field, "number_too_long")]
        assert "4300 digits" in answer.json()["detail"]
    broken = f'{{"question_code": "headcount", "value": {big}, "learned_on": }}'  # also malformed: JSON's error
    answer = await client.post(
        f"{path}/dossier/answers", content=broken, headers={**kam, "Content-Type": "application/json"}
    )
    assert [e["type"] for e in answer.json()["errors"]] == ["json_invalid"], answer.text[:300]
    assert await store.head_position() == before
    not_utf8 = b'{"question_code": "\xff", "value": 1, "learned_on": "2026-11-01"}'  # a 400 as before
    answer = await client.post(
        f"{path}/dossier/answers", content=not_utf8, headers={**kam, "Content-Type": "application/json"}
    )
    assert (answer.status_code, answer.json()["type"]) == (400, "/problems/bad-request"), answer.text


async def test_an_integer_too_long_in_a_body_nested_too_deep_to_read_again_is_a_400_not_a_500(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Found by review: the body is read again to name the long integer, and that reading (and the walk of what it
    read) recursed past Python's limit on a body nested deep enough, a RecursionError in the error handler: a 500
    with no problem. Nested so deep, the body answers as one nested so deep without the integer does."""
    path, kam = await dossier_setup(client, auth)
    before = await store.head_position()
    headers = {**kam, "Content-Type": "application/json"}
    for depth, status, kind in ((50, 422, "validation"), (5000, 400, "bad-request")):
        value = "[" + "9" * 4301 + ", " + "[" * depth + "]" * depth + "]"  # the integer first: it fails the reading
        body = f'{{"question_code": "sites", "value": {value}, "learned_on": "2026-11-01"}}'
        answer = await client.post(f"{path}/dossier/answers", content=body, headers=headers)
        assert (answer.status_code, answer.json()["type"]) == (status, f"/problems/{kind}"), answer.text[:300]
    assert await store.head_position() == before


async def test_plan_periods_and_currencies_are_ascii_and_whole(client: httpx.AsyncClient, auth, store) -> None:
    """`$` matched before a final newline and `\\d` any Unicode digit: "2027\\n" and "٢٠٢٧" were periods."""
    kam, _, plan, _ = await plan_setup(client, auth)
    before = await store.head_position()
    for item, field in (({**GOAL, "period": "2027\n"}, "period"), ({**GOAL, "period": "٢٠٢٧"}, "period")):
        refused = await client.put(f"{plan}/draft/goal/g1", json=item, headers=kam)
        assert refused.json()["type"] == "/problems/invalid-period", (field, refused.text)
    refused = await client.put(f"{plan}/draft/action/a1", json={**ACTION, "currency": "RUB\n"}, headers=kam)
    assert refused.json()["type"] == "/problems/invalid-currency"
    assert (await client.get(f"{plan}/periods/٢٠٢٧", headers=kam)).status_code == 422
    assert await store.head_position() == before


async def test_a_plan_item_id_is_one_items_whatever_its_type(client: httpx.AsyncClient, auth, store) -> None:
    """A goal and an action could share an id, and a comment on it went to the goal alone."""
    kam, _, plan, _ = await plan_setup(client, auth)
    assert (await client.put(f"{plan}/draft/goal/x1", json=GOAL, headers=kam)).status_code == 200
    before = await store.head_position()
    refused = await client.put(f"{plan}/draft/action/x1", json=ACTION, headers=kam)
    assert refused.status_code == 409, refused.text
    assert (refused.json()["type"], refused.json()["item_type"]) == ("/problems/item-id-taken", "goal")
    assert await store.head_position() == before


async def test_a_questions_choices_are_short_and_not_blank(client: httpx.AsyncClient, auth, store) -> None:
    """A dossier question's choice of any length, or an empty one, was published."""
    admin = auth("root", Role.ADMIN)
    before = await store.head_position()
    for choice in ("x" * 201, ""):
        question = {"code": "channel", "label": "Channel", "answer_type": "choice", "choices": ["direct", choice]}
        template = {"groups": [{"code": "g", "label": "G", "questions": [question]}]}
        refused = await client.post("/v1/settings/dossier-templates", json=template, headers=admin)
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["body.groups.0.questions.0.choices.1"]
    assert await store.head_position() == before


async def test_starting_a_plan_honours_if_match(client: httpx.AsyncClient, auth, store) -> None:
    kam, _, plan, _ = await plan_setup(client, auth)
    account = (await client.get(plan, headers=kam)).json()["account_id"]
    before = await store.head_position()
    for condition in ('"12345"', "*"):  # a new plan has no version yet
        started = await client.post(
            f"/v1/accounts/{account}/plans",
            json={"title": "Another", "horizon_from": 2026, "horizon_to": 2027},
            headers={**kam, "If-Match": condition},
        )
        assert started.status_code == 412, (condition, started.text)
    assert await store.head_position() == before


async def test_a_successor_takes_over_only_what_fits_its_horizon(client: httpx.AsyncClient, auth) -> None:
    """The draft of a 2030–2031 successor held the predecessor's 2027 items, which then went into force."""
    kam, boss, plan, _ = await plan_setup(client, auth)
    items = {"goal/g1": GOAL, "goal/g2": {**GOAL, "period": "2028-Q3"}, "risk/r1": {"text": "A distributor undercuts"}}
    await in_force(client, plan, kam, boss, items)
    account = (await client.get(plan, headers=kam)).json()["account_id"]
    successor = await ok(
        await client.post(
            f"/v1/accounts/{account}/plans",
            json={"title": "Next", "horizon_from": 2028, "horizon_to": 2030, "supersedes": plan.rsplit("/", 1)[1]},
            headers=kam,
        )
    )
    view = (await client.get(f"/v1/plans/{successor['plan_id']}", headers=kam)).json()
    started = view["started_from"]
    assert (sorted(started["goals"]), sorted(started["risks"]), view["draft_changes"]["items"]) == (["g2"], ["r1"], [])
    old = (await client.get(plan, headers=kam)).json()
    assert set(old["in_force"]["content"]["goals"]) == {"g1", "g2"}  # the old plan keeps all of it


async def test_dates_in_the_future_are_refused_where_the_fact_is_past(client: httpx.AsyncClient, auth, store) -> None:
    path, kam, _, _ = await project_setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    project = await open_project(client, path, kam)
    op = f"/v1/opportunities/{project['opportunity_id']}"
    before = await store.head_position()
    left = await client.post(f"{path}/buying-center/members/{member}/left", json={"on": TOMORROW}, headers=kam)
    confirmed = await client.post(
        f"{op}/problems",
        json={"problem": "Clogging", "need_confirmed_by": member, "confirmed_on": TOMORROW},
        headers=kam,
    )
    assert [left.json()["type"], confirmed.json()["type"]] == ["/problems/date-in-future"] * 2
    unknown = await client.post(f"{op}/problems", json={"problem": "Clogging", "problem_id": "p-none"}, headers=kam)
    assert (unknown.status_code, unknown.json()["type"]) == (404, "/problems/problem-not-found")
    slashed = await client.post(f"{op}/problems", json={"problem": "Clogging", "problem_id": "a/b"}, headers=kam)
    assert [e["field"] for e in slashed.json()["errors"]] == ["body.problem_id"]
    offer = {"round": 1, "level": "procurement", "on": "2026-11-01", "offer": {"amount": "1e999999", "currency": "RUB"}}
    assert (await client.post(f"{op}/price-rounds", json=offer, headers=kam)).json()["type"] == "/problems/out-of-range"
    later = {"round": 1, "level": "procurement", "on": TOMORROW}
    assert (await client.post(f"{op}/price-rounds", json=later, headers=kam)).json()[
        "type"
    ] == "/problems/date-in-future"
    assert await store.head_position() == before


async def test_a_session_item_id_is_one_the_item_routes_can_reach(client: httpx.AsyncClient, auth) -> None:
    kam, _, plan, _ = await plan_setup(client, auth)
    change = {"op": "put", "item_type": "action", "item_id": "a/b c?#", "item": ACTION}
    session = {"on": "2026-11-20", "our_participants": ["kam"], "decisions": ["x"], "changes": [change]}
    refused = await client.post(f"{plan}/sessions", json=session, headers=kam)
    assert [e["field"] for e in refused.json()["errors"]] == ["body.changes.0.item_id"]


async def test_a_position_that_can_never_come_is_refused_not_waited_for(client: httpx.AsyncClient, auth) -> None:
    _, kam = await dossier_setup(client, auth)
    never = await client.get("/v1/accounts", params={"min_position": 2**63}, headers=kam)
    assert [e["field"] for e in never.json()["errors"]] == ["query.min_position"]  # was a 503 "retry shortly"


async def test_amounts_read_back_as_plain_decimals(client: httpx.AsyncClient, auth) -> None:
    path, kam, _, _ = await project_setup(client, auth)
    body = {"product_line": "Filters", "kind": "new_client", "expected_value": {"amount": "1.2e7", "currency": "RUB"}}
    project = await ok(await client.post(f"{path}/opportunities", json=body, headers=kam))
    pipeline = (await client.get("/v1/pipeline", params={"min_position": project["position"]}, headers=kam)).json()
    rows = [p for m in pipeline["managers"] for p in m["projects"] if p["opportunity_id"] == project["opportunity_id"]]
    assert [r["value"]["amount"] for r in rows] == ["12000000"]  # was "1.200E+7"


async def test_plan_amounts_written_with_an_exponent_read_back_as_plain_decimals(
    client: httpx.AsyncClient, auth
) -> None:
    """A target of "3.4e7" and a cost of 4.5e5 read back as "34000000" and "450000", not "3.4E+7"."""
    kam, boss, plan, _ = await plan_setup(client, auth)
    items = {"goal/g1": {**GOAL, "target": "3.4e7"}, "action/a1": {**ACTION, "cost": 4.5e5}}
    agreed = await in_force(client, plan, kam, boss, items)
    content = agreed["in_force"]["content"]
    assert (content["goals"]["g1"]["target"], content["actions"]["a1"]["cost"]) == ("34000000", "450000.0")
    await ok(await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": "3.5E+7"}, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    diff = await ok(await client.get(f"{plan}/diff", params={"from": 1, "to": 2}, headers=kam))
    assert "E+" not in json.dumps(diff), diff
    assert "35000000" in json.dumps(diff), diff


MISREAD = ("1_000", " 3", "3\n", "٣", "+5", ".5", "5.", "0x10", "NaN", "")  # Decimal read all but the last three


async def test_amounts_are_json_numbers_or_that_text_in_a_string(client: httpx.AsyncClient, auth, store) -> None:
    """Pydantic's Decimal took "1_000", " 3", "3\\n" and Arabic-Indic digits, and stored a number nobody wrote."""
    kam, boss, plan, _ = await plan_setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    path, manager, _, _ = await project_setup(client, auth)
    dossier, dossier_kam = await dossier_setup(client, auth)
    before = await store.head_position()
    for text in MISREAD:
        where = [
            (client.put(f"{plan}/draft/goal/g2", json={**GOAL, "target": text}, headers=kam), "body.target"),
            (client.put(f"{plan}/draft/action/a1", json={**ACTION, "cost": text}, headers=kam), "body.cost"),
            (
                client.put(f"{plan}/goals/g1/actual", json={"value": text, "on": "2026-11-01"}, headers=kam),
                "body.value",
            ),
            (
                client.post(
                    f"{path}/opportunities",
                    json={"product_line": "Filters", "kind": "new_client", "expected_value": {"amount": text}},
                    headers=manager,
                ),
                "body.expected_value.amount",
            ),
        ]
        for call, field in where:
            refused = await call
            assert refused.status_code == 422, (text, field, refused.text)
            errors = {e["field"]: e["message"] for e in refused.json()["errors"]}
            assert errors[field] == 'must be a number, or a JSON number in a string ("1250.50")', (text, errors)
        answer = {"question_code": "revenue", "value": {"amount": text, "currency": "RUB"}, "learned_on": "2026-11-01"}
        refused = await client.post(f"{dossier}/dossier/answers", json=answer, headers=dossier_kam)
        assert refused.json()["type"] == "/problems/invalid-answer", (text, refused.text)
    assert await store.head_position() == before
    for text, stored in (("-0", "0"), ("1.2e3", "1200"), ("0.50", "0.50"), (1250, "1250")):
        answer = {"question_code": "revenue", "value": {"amount": text, "currency": "RUB"}, "learned_on": "2026-11-01"}
        written = await ok(await client.post(f"{dossier}/dossier/answers", json=answer, headers=dossier_kam))
        assert written["answer"]["value"]["amount"] == stored, (text, written)


async def test_control_characters_are_refused_naming_the_field_but_tabs_and_newlines_are_text(
    client: httpx.AsyncClient, auth, store
) -> None:
    """ESC, BEL and backspace were stored in names and notes, on their way to terminals, CSV files and BI tools."""
    path, kam = await dossier_setup(client, auth)
    before = await store.head_position()
    for text in ("Ivan\x1b[31m", "bell\x07", "back\x08space", "form\x0cfeed", "del\x7f", "csi\x9b31m"):
        member = {"name": text, "notes": "ok"}
        for raw in (False, True):  # JSON may carry DEL and C1 unescaped
            body = json.dumps(member, ensure_ascii=not raw).encode()
            refused = await client.post(
                f"{path}/buying-center/members", content=body, headers={**kam, "Content-Type": "application/json"}
            )
            assert [e["field"] for e in refused.json()["errors"]] == ["body.name"], (text, raw, refused.text)
    listed = await client.get("/v1/accounts", params={"owner": "kam\x1b"}, headers=kam)
    assert [e["field"] for e in listed.json()["errors"]] == ["query.owner"]
    assert await store.head_position() == before
    fine = {"name": "Ivan Orlov", "notes": "line one\n\tline two\r\n"}
    added = await client.post(f"{path}/buying-center/members", json=fine, headers=kam)
    assert added.status_code == 201, added.text
    assert added.json()["member"]["notes"] == "line one\n\tline two"  # kept, trailing whitespace trimmed as ever


async def test_a_body_past_the_limit_is_a_413_whether_declared_or_streamed(
    client: httpx.AsyncClient, auth, store
) -> None:
    """A body of any size was read whole into memory first, also an unsigned one for the ERP's endpoint."""
    before = await store.head_position()
    name = "x" * (1_048_576 + 10)
    big = json.dumps({"name": name}).encode()

    async def streamed():  # no Content-Length: counted as it arrives
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    for path, headers in (("/v1/accounts", auth()), ("/v1/erp/webhooks", {})):
        for content in (big, streamed()):
            response = await client.post(path, content=content, headers={**headers, "Content-Type": "application/json"})
            assert response.status_code == 413, (path, response.text[:200])
            assert response.json()["type"] == "/problems/body-too-large"
            assert response.headers["x-request-id"]
    assert await store.head_position() == before
    fits = await client.post("/v1/accounts", json={"name": "y" * 200}, headers=auth())
    assert fits.status_code == 201


async def test_integers_and_booleans_are_json_s_own_not_lookalikes(client: httpx.AsyncClient, auth, store) -> None:
    """pydantic's lax mode read `true` as the integer 1 (a ceiling of one key account), "15" as 15, and "yes" or
    "off" as booleans."""
    path, kam = await dossier_setup(client, auth)
    admin = auth("root", Role.ADMIN)
    before = await store.head_position()
    for ceiling in (True, "15", 15.0):
        refused = await client.put("/v1/settings/key-account-ceiling", json={"ceiling": ceiling}, headers=admin)
        assert refused.status_code == 422, (ceiling, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == ["body.ceiling"], ceiling
    for fields in ({"influence": "5"}, {"attitude": True}, {"is_key": "yes"}):
        if "is_key" in fields:
            refused = await client.post("/v1/accounts", json={"name": "X", "industry": "Y", **fields}, headers=kam)
        else:
            body = {"name": "N", "position": "P", "organisation": "O", **fields}
            refused = await client.post(f"{path}/buying-center/members", json=body, headers=kam)
        assert refused.status_code == 422, (fields, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == [f"body.{next(iter(fields))}"], fields
    assert await store.head_position() == before
    member = await add(client, path, kam, influence=5, attitude=-2)
    assert (member["member"]["influence"], member["member"]["attitude"]) == (5, -2)


async def test_a_lone_surrogate_is_refused_naming_the_field_and_a_pair_is_text(
    client: httpx.AsyncClient, auth, store
) -> None:
    """A plan item's text holding "\\ud800" was a 422 `invalid-input` whose detail named an event type
    ("DraftItemPut: data is not JSON…"), not the field: the store found it only when encoding the event."""
    kam, _, plan, _ = await plan_setup(client, auth)
    as_json = {**kam, "Content-Type": "application/json"}
    goal = '{"period": "2027", "kind": "volume", "description": "bad \\ud800", "target": "1", "unit": "RUB"}'
    change = f'{{"op": "put", "item_type": "goal", "item_id": "g2", "item": {goal}}}'
    session = f'{{"on": "2026-11-20", "our_participants": ["k"], "decisions": ["x"], "changes": [{change}]}}'
    before = await store.head_position()
    for method, path, body, field in [
        ("PUT", f"{plan}/draft/goal/g1", goal, "body.description"),
        ("PUT", f"{plan}/draft/goal/g1", goal.replace("\\ud800", "\\udc00 \\ud83d"), "body.description"),
        ("POST", f"{plan}/sessions", session, "body.changes.0.item.description"),
        ("POST", "/v1/accounts", '{"name": "Kama \\udfff"}', "body.name"),
    ]:
        refused = await client.request(method, path, content=body, headers=as_json)
        assert (refused.status_code, refused.json()["type"]) == (422, "/problems/validation"), refused.text
        assert [e["field"] for e in refused.json()["errors"]] == [field], refused.text
        assert "surrogate" in refused.json()["errors"][0]["message"]
    assert await store.head_position() == before
    paired = await client.put(
        f"{plan}/draft/goal/g1", content=goal.replace("\\ud800", "\\ud83d\\ude00"), headers=as_json
    )
    assert paired.status_code == 200, paired.text
    assert paired.json()["draft_changes"]["items"][0]["fields"]["description"][1] == "bad 😀"


async def test_a_need_cites_an_interaction_by_its_id_or_not_at_all(client: httpx.AsyncClient, auth, store) -> None:
    """Any text of any length was stored as the interaction a need was stated in."""
    path, kam, _, _ = await project_setup(client, auth)
    ally = (await add(client, path, kam, roles=["ally"]))["member"]["member_id"]
    project = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    await client.post(f"{project}/allies", json={"member_id": ally}, headers=kam)
    before = await store.head_position()
    need = {"member_id": ally, "need": "Warm starts", "on": "2026-11-01"}
    for cited in ("x" * 5000, "not-an-id"):
        refused = await client.post(f"{project}/needs", json={**need, "interaction_id": cited}, headers=kam)
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["body.interaction_id"]
    assert await store.head_position() == before
    assert (await client.post(f"{project}/needs", json=need, headers=kam)).status_code == 200


async def test_a_problems_criteria_are_each_as_long_as_a_members(client: httpx.AsyncClient, auth, store) -> None:
    """A problem's criterion of any length was stored (300,000 characters answered 200), where a buying-center
    member's criteria are at most 500 characters each."""
    path, kam, _, _ = await project_setup(client, auth)
    project = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    before = await store.head_position()
    refused = await client.post(
        f"{project}/problems", json={"problem": "Clogging", "criteria": ["fine", "x" * 501]}, headers=kam
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["body.criteria.1"]
    assert await store.head_position() == before
    fine = {"problem": "Clogging", "criteria": [" failure-free ", "x" * 500]}
    recorded = await client.post(f"{project}/problems", json=fine, headers=kam)
    assert recorded.status_code == 200, recorded.text
    [problem] = recorded.json()["facts"]["problems"].values()
    assert problem["criteria"] == ["failure-free", "x" * 500]


async def test_a_problems_criteria_listing_one_twice_are_refused_as_a_members_are(
    client: httpx.AsyncClient, auth, store
) -> None:
    """A project's problem took the same decision criterion twice, where a buying-center member's are each once."""
    path, kam, _, _ = await project_setup(client, auth)
    project = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    before = await store.head_position()
    twice = {"problem": "Clogging", "criteria": ["price", "", "uptime", " price"]}
    refused = await client.post(f"{project}/problems", json=twice, headers=kam)
    assert_refused(refused, "duplicate-criterion", "criteria.3")
    assert refused.json()["duplicates"] == ["price"]
    assert await store.head_position() == before
    fine = {"problem": "Clogging", "criteria": ["price", "Price"]}  # case counts, as for a member's
    assert (await client.post(f"{project}/problems", json=fine, headers=kam)).status_code == 200


async def test_an_interaction_needs_someone_who_took_part_after_blanks_are_dropped(
    client: httpx.AsyncClient, auth, store
) -> None:
    """The "who took part?" check ran before blanks were stripped: `our_participants: ["  "]` alone was logged, with
    nobody; and a reference on our side or a document of 300 KB was taken."""
    path, kam, _, _ = await project_setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    before = await store.head_position()
    for ours in (["  "], ["", "\t"], []):
        nobody = await log(client, path, kam, participants=[], our_participants=ours)
        assert nobody.status_code == 422, (ours, nobody.text)
        assert (nobody.json()["type"], nobody.json()["field"]) == ("/problems/missing-value", "participants")
    for field, items in (("our_participants", ["x" * 201]), ("documents", ["d" * 2001]), ("participants", ["m" * 201])):
        huge = await log(client, path, kam, **{"participants": [member], field: items})
        assert huge.status_code == 422, (field, huge.text[:200])
        assert [e["field"] for e in huge.json()["errors"]] == [f"body.{field}.0"]
    assert await store.head_position() == before
    logged = await log(
        client, path, kam, participants=[member], our_participants=[" kam ", "kam", "  "], documents=[" r-1 ", ""]
    )
    assert logged.status_code == 201, logged.text
    entry = (await client.get(f"/v1/interactions/{logged.json()['interaction_id']}", headers=kam)).json()
    assert (entry["details"]["our_participants"], entry["details"]["documents"]) == (["kam"], ["r-1"])


async def test_a_number_whose_exponent_decimal_cannot_hold_is_refused_naming_the_field(
    client: httpx.AsyncClient, auth, store
) -> None:
    """`Decimal("1e99999999999999999999")` raises InvalidOperation, not ValueError: the request answered 500."""
    path, kam = await dossier_setup(client, auth)
    plan_kam, _, plan, _ = await plan_setup(client, auth)
    before = await store.head_position()
    for number in ("1e99999999999999999999", "1e-99999999999999999999", "-0e99999999999999999999"):
        body = {"question_code": "revenue", "value": {"amount": number, "currency": "RUB"}, "learned_on": "2026-11-01"}
        answer = await client.post(f"{path}/dossier/answers", json=body, headers=kam)
        assert (answer.status_code, answer.json()["type"]) == (422, "/problems/invalid-answer"), answer.text
        goal = await client.put(f"{plan}/draft/goal/g1", json={**GOAL, "target": number}, headers=plan_kam)
        assert goal.status_code == 422, goal.text
        assert [e["field"] for e in goal.json()["errors"]] == ["body.target"]
    assert await store.head_position() == before
