"""Idempotency-Key beyond the plain retry: racing requests with one key, one key on two resources, and
commands that write more events than one lookup page."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx

from service.commands.idempotency import PAGE
from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique
from tests.api.test_buying_center import add
from tests.support.opportunities import TODAY, open_project, setup


async def test_two_requests_racing_with_one_key_and_different_bodies_store_one_and_refuse_the_other(
    client: httpx.AsyncClient, auth, store
) -> None:
    kam = auth(unique("kam"), Role.MANAGER, "north")
    for _ in range(5):  # the race is decided by the event loop; before the fix most rounds acknowledged both
        account = await open_account(client, kam)
        path = f"/v1/accounts/{account['account_id']}/dossier/answers"
        key = {"Idempotency-Key": unique("key")}
        bodies = [{"question_code": "headcount", "value": value, "learned_on": "2026-11-01"} for value in (1111, 2222)]
        answers = await asyncio.gather(*(client.post(path, json=b, headers={**kam, **key}) for b in bodies))
        assert sorted(a.status_code for a in answers) == [201, 422], [a.text for a in answers]
        [won] = [a for a in answers if a.status_code == 201]
        [refused] = [a for a in answers if a.status_code == 422]
        assert refused.json()["type"] == "/problems/idempotency-key-reused"
        stored = [e.data["value"] for e in await store.read_stream(f"dossier-{account['account_id']}")]
        assert stored == [won.json()["answer"]["value"]]


async def test_two_identical_requests_racing_with_one_key_write_once_and_both_succeed(
    client: httpx.AsyncClient, auth, store
) -> None:
    kam = auth(unique("kam"), Role.MANAGER, "north")
    for _ in range(5):
        account = await open_account(client, kam)
        path = f"/v1/accounts/{account['account_id']}/dossier/answers"
        key = {"Idempotency-Key": unique("key")}
        body = {"question_code": "headcount", "value": 5200, "learned_on": "2026-11-01"}
        answers = await asyncio.gather(*(client.post(path, json=body, headers={**kam, **key}) for _ in range(2)))
        assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
        assert len({a.json()["position"] for a in answers}) == 1
        assert len(await store.read_stream(f"dossier-{account['account_id']}")) == 1


async def test_many_identical_requests_racing_with_one_key_all_get_the_first_answer(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Adding a member: a request that loads the buying center after a racing one stored its member used to
    decide `member-exists` (409) instead of finding the stored answer."""
    kam = auth(unique("kam"), Role.MANAGER, "north")
    account = await open_account(client, kam)
    path = f"/v1/accounts/{account['account_id']}/buying-center/members"
    key = {"Idempotency-Key": unique("key")}
    answers = await asyncio.gather(
        *(client.post(path, json={"name": "Oleg Sazonov"}, headers={**kam, **key}) for _ in range(20))
    )
    assert {a.status_code for a in answers} == {201}, sorted({a.text for a in answers if a.status_code != 201})
    assert len({a.json()["member"]["member_id"] for a in answers}) == 1
    assert len(await store.read_stream(f"buying-center-{account['account_id']}")) == 1
    change = f"/v1/accounts/{account['account_id']}"  # a change the losers find already made: nothing to decide
    for region in ("Kama", "Volga", "Oka", "Ural", "Don"):  # the race is the event loop's: several rounds
        headers = {**kam, "Idempotency-Key": unique("region")}
        changed = await asyncio.gather(
            *(client.patch(change, json={"region": region}, headers=headers) for _ in range(20))
        )
        answers = {(a.status_code, a.json()["position"]) for a in changed}
        assert len(answers) == 1, answers  # some answered position null (not replayed) before the fix
    for segment in ("A", "B", "C", "D", "E", "F", "G", "H"):  # and with If-Match: the twin's write is no 412
        version = (await client.get(change, headers=kam)).json()["version"]
        headers = {**kam, "Idempotency-Key": unique("segment"), "If-Match": f'"{version}"'}
        changed = await asyncio.gather(
            *(client.patch(change, json={"segment": segment}, headers=headers) for _ in range(20))
        )
        [(status, _)] = {(a.status_code, a.json().get("position")) for a in changed}
        assert status == 200


async def test_one_key_on_another_resource_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, auth, store
) -> None:
    kam = auth(unique("kam"), Role.MANAGER, "north")
    first, second = await open_account(client, kam), await open_account(client, kam)
    key = {"Idempotency-Key": unique("key")}
    done = await client.patch(f"/v1/accounts/{first['account_id']}", json={"region": "Kama"}, headers={**kam, **key})
    assert done.status_code == 200, done.text
    before = await store.read_stream(f"account-{second['account_id']}")
    other = await client.patch(f"/v1/accounts/{second['account_id']}", json={"region": "Kama"}, headers={**kam, **key})
    assert other.status_code == 422
    assert other.json()["type"] == "/problems/idempotency-key-reused"
    assert await store.read_stream(f"account-{second['account_id']}") == before


async def test_a_keyed_command_writing_more_events_than_a_lookup_page_is_stored_and_replayed(
    client: httpx.AsyncClient, auth, store
) -> None:
    kam = auth(unique("kam"), Role.MANAGER, "north")
    account = await open_account(client, kam)
    path = f"/v1/accounts/{account['account_id']}"
    members = []
    for i in range(PAGE + 1):  # logging the meeting records a contact with each of them on the buying center
        added = await client.post(f"{path}/buying-center/members", json={"name": f"Engineer {i}"}, headers=kam)
        assert added.status_code == 201, added.text
        members.append(added.json()["member"]["member_id"])
    body = {
        "kind": "meeting",
        "occurred_on": date.today().isoformat(),
        "our_participants": ["kam"],
        "summary": "the whole engineering department",
        "participants": members,
    }
    key = {"Idempotency-Key": unique("key")}
    first = await client.post(f"{path}/interactions", json=body, headers={**kam, **key})
    assert first.status_code == 201, first.text
    stream = f"buying-center-{account['account_id']}"
    written = await store.read_stream(stream)
    assert sum(e.event_type == "ContactRecorded" for e in written) == PAGE + 1
    again = await client.post(f"{path}/interactions", json=body, headers={**kam, **key})
    assert again.status_code == 201, again.text
    assert (again.json()["replayed"], again.json()["position"]) == (True, first.json()["position"])
    assert await store.read_stream(stream) == written


async def test_a_retry_answers_as_the_first_time_and_shows_nothing_newer(client: httpx.AsyncClient, auth) -> None:
    """A keyed retry answered with the account as it is now, also to its former owner after a hand-over: the
    new owner's renames and reasons. It shows the account as the first answer did, right after the command."""
    team = unique("team")
    first, second = unique("kam"), unique("kam")
    kam, successor = auth(first, Role.MANAGER, team), auth(second, Role.MANAGER, team)
    body = {"name": unique("Delta Axle Works"), "industry": "Axles"}
    opened = await client.post("/v1/accounts", json=body, headers={**kam, "Idempotency-Key": "open"})
    assert opened.status_code == 201, opened.text
    path = f"/v1/accounts/{opened.json()['account_id']}"
    patch = {"region": "Tatarstan"}
    patched = await client.patch(path, json=patch, headers={**kam, "Idempotency-Key": "patch"})
    assert patched.status_code == 200, patched.text
    handed = {"to_owner": second, "trigger": "contract_signed", "note": "won"}
    hand_over = await client.post(f"{path}/hand-over", json=handed, headers={**kam, "Idempotency-Key": "hand"})
    assert hand_over.status_code == 200, hand_over.text
    renamed = await client.patch(path, json={"name": "Delta (confidential)"}, headers=successor)
    assert renamed.status_code == 200, renamed.text
    assert (await client.get(path, headers=kam)).status_code == 404  # no longer the former owner's to see
    for first_answer, retry in (
        (opened, lambda: client.post("/v1/accounts", json=body, headers={**kam, "Idempotency-Key": "open"})),
        (patched, lambda: client.patch(path, json=patch, headers={**kam, "Idempotency-Key": "patch"})),
        (hand_over, lambda: client.post(f"{path}/hand-over", json=handed, headers={**kam, "Idempotency-Key": "hand"})),
    ):
        again = await retry()
        assert again.status_code == first_answer.status_code, again.text
        assert again.json() == {**first_answer.json(), "replayed": True}
        assert "confidential" not in again.text


async def test_what_a_keyed_request_stores_cannot_confirm_a_guess_of_its_body(
    client: httpx.AsyncClient, auth, store
) -> None:
    """A plain sha256 of the request was stored with its key: whoever read the events could confirm a guessed
    name, also once the person was forgotten. The hash is keyed with the Idempotency-Key now, which is not stored."""
    kam = auth(unique("kam"), Role.MANAGER, "north")
    account = await open_account(client, kam)
    path = f"/v1/accounts/{account['account_id']}/buying-center/members"
    sent = json.dumps({"name": "Zebulon Quaxworth", "position": "CFO"}).encode()
    key = str(uuid.uuid4())
    headers = {**kam, "Idempotency-Key": key, "Content-Type": "application/json"}
    first = await client.post(path, content=sent, headers=headers)
    assert first.status_code == 201, first.text
    [added] = await store.read_stream(f"buying-center-{account['account_id']}")
    guess = hashlib.sha256(b"\x1f".join((b"POST", path.encode(), sent))).hexdigest()
    assert added.metadata["request_hash"] != guess
    assert key not in json.dumps(added.metadata)
    retry = await client.post(path, content=sent, headers=headers)
    assert (retry.status_code, retry.json()["replayed"]) == (201, True)
    other = await client.post(path, content=sent.replace(b"CFO", b"CEO"), headers=headers)
    assert other.json()["type"] == "/problems/idempotency-key-reused"


async def test_a_retry_on_any_resource_shows_it_as_the_first_answer_did(client: httpx.AsyncClient, auth) -> None:
    """Beyond accounts, a keyed retry answered with the first answer's version but the resource as it is now: an
    interaction corrected since, a dossier answer overtaken, a project reopened, a plan's draft changed again."""
    kam = auth(unique("kam"), Role.MANAGER, unique("team"))
    account = f"/v1/accounts/{(await open_account(client, kam))['account_id']}"
    opened = await client.post(
        f"{account}/opportunities", json={"product_line": "Filters", "kind": "new_client"}, headers=kam
    )
    project = f"/v1/opportunities/{opened.json()['opportunity_id']}"
    started = await client.post(
        f"{account}/plans", json={"title": "P", "horizon_from": 2026, "horizon_to": 2028}, headers=kam
    )
    plan = f"/v1/plans/{started.json()['plan_id']}"
    meeting = {"kind": "meeting", "occurred_on": "2026-11-20", "our_participants": ["kam"], "summary": "First visit"}
    answer = {"question_code": "headcount", "value": 5200, "learned_on": "2026-11-01"}
    goal = {"period": "2027", "kind": "volume", "description": "Purchases", "target": "30000000", "unit": "RUB"}
    Request = tuple[str, str, dict[str, Any]]
    cases: list[tuple[Request, Callable[[dict[str, Any]], Request]]] = [  # a keyed request; a change made after it
        (
            ("POST", f"{account}/interactions", meeting),
            lambda first: (
                "POST",
                f"/v1/interactions/{first['interaction_id']}/corrections",
                {**meeting, "summary": "Second visit, actually", "reason": "typo"},
            ),
        ),
        (
            ("POST", f"{account}/dossier/answers", answer),
            lambda first: ("POST", f"{account}/dossier/answers", {**answer, "value": 7000, "learned_on": "2026-11-02"}),
        ),
        (
            ("POST", f"{project}/lost", {"reason": "went cold"}),
            lambda first: ("POST", f"{project}/reopen", {"reason": "back"}),
        ),
        (
            ("PUT", f"{plan}/draft/goal/g1", goal),
            lambda first: ("PUT", f"{plan}/draft/goal/g1", {**goal, "target": "1"}),
        ),
    ]
    for (method, path, body), change in cases:
        keyed = {**kam, "Idempotency-Key": unique("key")}
        first = await client.request(method, path, json=body, headers=keyed)
        assert first.status_code in (200, 201), first.text
        then_method, then_path, then_body = change(first.json())
        later = await client.request(then_method, then_path, json=then_body, headers=kam)
        assert later.status_code in (200, 201), later.text
        again = await client.request(method, path, json=body, headers=keyed)
        assert again.status_code == first.status_code, again.text
        assert again.json() == {**first.json(), "replayed": True}, path
        assert again.headers["ETag"] == first.headers["ETag"]


async def test_a_former_owners_retry_after_a_hand_over_gets_its_first_answer_on_every_route(
    client: httpx.AsyncClient, auth
) -> None:
    """Routes other than the account's own (and the account's `key`, for the owner whose key accounts it counts) looked
    at the account before the handler, so a retry by the owner who had handed it over since was a 404, though the
    first request had landed: the client could take it for a failure."""
    kam = auth(unique("kam"), Role.MANAGER, unique("team"))
    account = f"/v1/accounts/{(await open_account(client, kam))['account_id']}"
    opened = await client.post(
        f"{account}/opportunities", json={"product_line": "Filters", "kind": "new_client"}, headers=kam
    )
    meeting = {"kind": "meeting", "occurred_on": "2026-11-20", "our_participants": ["kam"], "summary": "First visit"}
    requests = [
        ("POST", f"{account}/interactions", meeting),
        (
            "POST",
            f"{account}/dossier/answers",
            {"question_code": "headcount", "value": 5200, "learned_on": "2026-11-01"},
        ),
        ("POST", f"{account}/buying-center/members", {"name": "Ivan Orlov", "position": "Chief engineer"}),
        ("POST", f"/v1/opportunities/{opened.json()['opportunity_id']}/lost", {"reason": "went cold"}),
        ("POST", f"{account}/plans", {"title": "P", "horizon_from": 2026, "horizon_to": 2028}),
        ("POST", f"{account}/key", {"is_key": True, "reason": "Volume doubled"}),
    ]
    keys = [{**kam, "Idempotency-Key": unique("key")} for _ in requests]
    firsts = [
        await client.request(m, path, json=body, headers=key)
        for (m, path, body), key in zip(requests, keys, strict=True)
    ]
    assert [f.status_code for f in firsts] == [201, 201, 201, 200, 201, 200], [f.text for f in firsts]
    handed = {"to_owner": unique("kam"), "trigger": "contract_signed"}
    assert (await client.post(f"{account}/hand-over", json=handed, headers=kam)).status_code == 200
    assert (await client.get(account, headers=kam)).status_code == 404  # no longer theirs to see
    for (method, path, body), key, first in zip(requests, keys, firsts, strict=True):
        again = await client.request(method, path, json=body, headers=key)
        assert again.status_code == first.status_code, (path, again.text)
        assert again.json() == {**first.json(), "replayed": True}, path
    fresh = await client.post(f"{account}/interactions", json=meeting, headers=kam)  # a new request is refused
    assert (fresh.status_code, fresh.json()["type"]) == (404, "/problems/account-not-found")


async def test_a_retry_of_a_command_that_wrote_only_on_other_streams_answers_the_etag_first_answered(
    client: httpx.AsyncClient, auth, store
) -> None:
    """A correction that leaves the entry as it is but relinks its project (its member's leaving that day, recorded
    since, makes it none with the client as the link records it) writes on the project only. Its retry answered with
    the interaction's version as it is now: after a later correction, ETag "2" and version 2 beside the entry as first
    answered, where the first answer said "1"."""
    path, kam, _, _ = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    pid = (await open_project(client, path, kam))["opportunity_id"]
    entry = {
        "kind": "meeting",
        "occurred_on": TODAY.isoformat(),
        "participants": [member],
        "projects": [pid],
        "summary": "Trial",
    }
    logged = await client.post(f"{path}/interactions", json=entry, headers=kam)
    assert logged.status_code == 201, logged.text
    left = await client.post(f"{path}/buying-center/members/{member}/left", json={"on": TODAY.isoformat()}, headers=kam)
    assert left.status_code == 200, left.text
    corrections = f"/v1/interactions/{logged.json()['interaction_id']}/corrections"
    recheck = {**entry, "reason": "she had left that morning"}
    keyed = {**kam, "Idempotency-Key": unique("key")}
    first = await client.post(corrections, json=recheck, headers=keyed)
    assert first.status_code == 200, first.text
    assert (first.headers["etag"], first.json()["version"]) == ('"1"', 1)  # the entry itself did not change
    relinked = (await store.read_stream(f"opportunity-{pid}"))[-1]  # the project did
    assert (relinked.event_type, relinked.data["with_client"]) == ("InteractionRelinked", False)
    later = await client.post(corrections, json={**entry, "summary": "Trial, week 2", "reason": "more"}, headers=kam)
    assert later.status_code == 200, later.text
    again = await client.post(corrections, json=recheck, headers=keyed)
    assert again.status_code == 200, again.text
    assert again.json() == {**first.json(), "replayed": True}
    assert [again.headers.get(h) for h in ("etag", "x-position")] == [
        first.headers.get(h) for h in ("etag", "x-position")
    ]
