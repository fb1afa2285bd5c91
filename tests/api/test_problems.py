"""Errors are RFC 9457 problem documents; every response carries a request id."""

from __future__ import annotations

import re

import httpx

from service.api.pagination import encode_cursor
from service.domain.actors import Role


async def test_invalid_input_is_422_naming_the_field(client: httpx.AsyncClient, auth) -> None:
    response = await client.get(
        "/v1/streams/s-1", params={"limit": 0, "as_of": "yesterday"}, headers=auth("root", Role.ADMIN)
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/validation"
    assert {e["field"] for e in problem["errors"]} == {"query.limit", "query.as_of"}
    assert "query.limit" in problem["detail"]
    assert problem["instance"] == "/v1/streams/s-1"


async def test_a_bad_subject_id_is_refused_and_nothing_is_written(client: httpx.AsyncClient, auth, store) -> None:
    before = await store.head_position()
    response = await client.post("/v1/subjects/has space/forget", headers=auth("root", Role.ADMIN))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "path.subject_id"
    assert await store.head_position() == before


async def test_a_tampered_cursor_is_a_problem_not_a_crash(client: httpx.AsyncClient, auth) -> None:
    admin, kam = auth("root", Role.ADMIN), auth("kam-cursor", Role.MANAGER, "north")
    opened = await client.post("/v1/accounts", json={"name": "Cursors"}, headers=kam)
    timeline = f"/v1/accounts/{opened.json()['account_id']}/timeline"
    cases = [
        ("/v1/streams/s-1", "%%%", admin),
        ("/v1/streams/s-1", {"after_version": "3"}, admin),
        ("/v1/streams/s-1", {"after_version": 2**63}, admin),  # past a bigint: asyncpg refused it, a 500
        ("/v1/streams/s-1", {"after_version": 2**63 - 100}, admin),  # past a bigint once the page was added
        ("/v1/audit", {"before": True}, admin),
        ("/v1/accounts", {"name": "A\x00", "account_id": "x"}, kam),  # NUL reached PostgreSQL: a 500
        (timeline, {"occurred_on": 1, "interaction_id": "x"}, kam),  # date.fromisoformat(1): a 500
        (timeline, {"occurred_on": "2026-02-30", "interaction_id": "x"}, kam),
        (timeline, {"occurred_on": "2026-11-01"}, kam),
    ]
    for path, state, headers in cases:
        cursor = state if isinstance(state, str) else encode_cursor(state)
        response = await client.get(path, params={"cursor": cursor}, headers=headers)
        assert (response.status_code, response.json()["type"]) == (422, "/problems/invalid-cursor"), (path, state)
    fine = encode_cursor({"occurred_on": "2026-11-01", "interaction_id": "x"})
    assert (await client.get(timeline, params={"cursor": fine}, headers=kam)).status_code == 200


async def test_unknown_routes_are_404_problems(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/not-found"


async def test_every_response_carries_a_request_id_and_echoes_a_sane_one(client: httpx.AsyncClient) -> None:
    generated = await client.get("/healthz")
    assert re.fullmatch("[0-9a-f]{32}", generated.headers["x-request-id"])
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    refused = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert re.fullmatch("[0-9a-f]{32}", refused.headers["x-request-id"])  # a fresh one in its place
    problem = await client.get("/v1/me", headers={"X-Request-ID": "abc-456"})
    assert problem.headers["x-request-id"] == "abc-456"
    assert problem.json()["request_id"] == "abc-456"


async def test_stream_pages_follow_the_cursor(client: httpx.AsyncClient, auth, store) -> None:
    from service.events import NO_STREAM, NewEvent

    await store.append("paged-1", "t", NO_STREAM, [NewEvent(event_type="E", data={"n": n}) for n in range(5)])
    seen, cursor = [], None
    while True:
        page = (
            await client.get(
                "/v1/streams/paged-1",
                params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                headers=auth("root", Role.ADMIN),
            )
        ).json()
        seen += [e["data"]["n"] for e in page["events"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == [0, 1, 2, 3, 4]


def test_a_version_conflict_is_a_409_problem_with_both_versions() -> None:
    from service.api.problems import from_exception
    from service.events import WrongExpectedVersion

    problem = from_exception(WrongExpectedVersion("account-1", 3, 4))
    assert problem is not None
    assert (problem.status, problem.type) == (409, "/problems/version-conflict")
    assert problem.extensions == {"stream_id": "account-1", "expected_version": 3, "actual_version": 4}


async def test_the_nul_character_is_a_422_naming_each_field_and_writes_nothing(
    client: httpx.AsyncClient, auth, store
) -> None:
    kam, admin = auth("kam-nul", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    before = await store.head_position()
    body = '{"name": "Bad\\u0000Name", "industry": "ok", "region": "C:\\\\u0000 is fine"}'
    opened = await client.post("/v1/accounts", content=body, headers={**kam, "Content-Type": "application/json"})
    stream = await client.get("/v1/streams/a%00b", params={"cursor": "x\x00"}, headers=admin)
    assert (opened.status_code, stream.status_code) == (422, 422)
    assert [e["field"] for e in opened.json()["errors"]] == ["body.name"]
    assert {e["field"] for e in stream.json()["errors"]} == {"path.stream_id", "query.cursor"}
    assert opened.headers["content-type"] == "application/problem+json"
    assert await store.head_position() == before
    fine = await client.post(
        "/v1/accounts", content=body.replace("\\u0000N", "N"), headers={**kam, "Content-Type": "application/json"}
    )
    assert fine.status_code == 201, fine.text  # a literal backslash-u0000 is text like any other


async def test_moments_out_of_range_or_given_as_numbers_are_422_naming_the_parameter(
    client: httpx.AsyncClient, auth
) -> None:
    kam, admin = auth("kam-moment", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    opened = await client.post("/v1/accounts", json={"name": "Moments"}, headers=kam)
    account = f"/v1/accounts/{opened.json()['account_id']}"
    cases = {
        (account, "as_of"): "9999-12-31T23:59:59-12:00",  # a year past 9999 once in UTC
        (f"{account}/buying-center", "as_of"): "0001-01-01T00:00:00Z",  # the staleness window reaches year 0
        (f"{account}/dossier", "as_of"): "0.5",  # Unix time, which pydantic alone would take
        ("/v1/audit", "since"): "1800-01-01T00:00:00Z",
    }
    for (path, name), value in cases.items():
        response = await client.get(path, params={name: value}, headers=admin if "audit" in path else kam)
        assert response.status_code == 422, (path, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [f"query.{name}"]
    assert (await client.get(account, params={"as_of": "2999-12-31T23:00:00Z"}, headers=kam)).status_code == 200


async def test_days_are_iso_dates_from_1900_to_2999_or_a_422_naming_the_field_and_nothing_is_written(
    client: httpx.AsyncClient, auth, store
) -> None:
    kam = auth("kam-days", Role.MANAGER, "north")
    opened = await client.post("/v1/accounts", json={"name": "Days"}, headers=kam)
    account = f"/v1/accounts/{opened.json()['account_id']}"
    before = await store.head_position()
    # pydantic alone took the first two as Unix time (1970-01-01), the next two as days, the last two as is
    for day in (0, "86400", "2026-11-24T00:00:00", "2026-11-24T10:30:00Z", "20261124", "1899-12-31", "3000-01-01"):
        answer = {"question_code": "headcount", "value": 5200, "learned_on": day}
        response = await client.post(f"{account}/dossier/answers", json=answer, headers=kam)
        assert response.status_code == 422, (day, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["body.learned_on"], day
    timeline = await client.get(f"{account}/timeline", params={"since": "0"}, headers=kam)
    assert [e["field"] for e in timeline.json()["errors"]] == ["query.since"]
    assert await store.head_position() == before
    for day in ("1900-01-01", "2026-11-24"):
        answer = {"question_code": "headcount", "value": 5200, "learned_on": day}
        assert (await client.post(f"{account}/dossier/answers", json=answer, headers=kam)).status_code == 201


async def test_a_wrong_method_is_a_405_whose_allow_header_names_every_method_of_the_path(
    client: httpx.AsyncClient, auth
) -> None:
    kam = auth("kam-allow", Role.MANAGER, "north")
    wrong = await client.delete("/v1/accounts", headers=kam)
    assert (wrong.status_code, wrong.json()["type"]) == (405, "/problems/method-not-allowed")
    assert wrong.headers["allow"] == "GET, POST"
    one = await client.request("OPTIONS", "/v1/accounts/0190c2a4-5f0b-7c1e-9a51-1b2c3d4e5f60", headers=kam)
    assert one.headers["allow"] == "GET, PATCH"
