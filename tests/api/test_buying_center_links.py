"""Links between members over HTTP: the org chart has no cycles, and a symmetric informal link is one link, which
its opposite rules out (found by review)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from service.domain.actors import Role
from service.events import NewEvent
from tests.api.test_buying_center import add, setup
from tests.support.problems import assert_refused


async def _link(client: httpx.AsyncClient, path: str, kam: dict[str, str], s: str, t: str, kind: str, **kw: Any):
    return await client.post(
        f"{path}/buying-center/relationships", json={"source": s, "target": t, "kind": kind, **kw}, headers=kam
    )


async def test_reports_to_refuses_a_two_member_cycle_and_writes_nothing(client: httpx.AsyncClient, auth, store) -> None:
    path, kam = await setup(client, auth)
    a = (await add(client, path, kam))["member"]["member_id"]
    b = (await add(client, path, kam))["member"]["member_id"]
    assert (await _link(client, path, kam, a, b, "reports_to")).status_code == 201
    stream = f"buying-center-{path.rsplit('/', 1)[1]}"
    before = await store.read_stream(stream)
    back = await _link(client, path, kam, b, a, "reports_to")  # A reports to B and B reports to A
    assert (back.status_code, back.json()["type"]) == (422, "/problems/reports-to-cycle"), back.text
    assert back.json()["members"] == [b, a, b]
    assert await store.read_stream(stream) == before


async def test_reports_to_refuses_a_longer_cycle_naming_its_members(client: httpx.AsyncClient, auth) -> None:
    path, kam = await setup(client, auth)
    a, b, c = [(await add(client, path, kam))["member"]["member_id"] for _ in range(3)]
    assert (await _link(client, path, kam, a, b, "reports_to")).status_code == 201
    assert (await _link(client, path, kam, b, c, "reports_to")).status_code == 201
    closing = await _link(client, path, kam, c, a, "reports_to")  # the director reports to the engineer
    assert (closing.status_code, closing.json()["type"]) == (422, "/problems/reports-to-cycle"), closing.text
    assert closing.json()["members"] == [c, a, b, c]
    assert (await _link(client, path, kam, a, c, "reports_to")).status_code == 201  # two bosses: no cycle
    assert (await _link(client, path, kam, c, a, "influences")).status_code == 201  # informal links may go round


async def test_allied_with_is_symmetric_so_the_reverse_link_is_a_duplicate(
    client: httpx.AsyncClient, auth, store
) -> None:
    path, kam = await setup(client, auth)
    a = (await add(client, path, kam))["member"]["member_id"]
    b = (await add(client, path, kam))["member"]["member_id"]
    first = await _link(client, path, kam, a, b, "allied_with")
    assert first.status_code == 201
    stream = f"buying-center-{path.rsplit('/', 1)[1]}"
    before = await store.read_stream(stream)
    reverse = await _link(client, path, kam, b, a, "allied_with")
    assert (reverse.status_code, reverse.json()["type"]) == (409, "/problems/relationship-exists"), reverse.text
    assert reverse.json()["relationship_id"] == first.json()["relationship_id"]
    assert await store.read_stream(stream) == before
    assert (await _link(client, path, kam, b, a, "influences")).status_code == 201  # influence has a direction


async def test_two_members_are_not_allies_and_rivals_at_once(client: httpx.AsyncClient, auth, store) -> None:
    path, kam = await setup(client, auth)
    a = (await add(client, path, kam))["member"]["member_id"]
    b = (await add(client, path, kam))["member"]["member_id"]
    first = await _link(client, path, kam, a, b, "allied_with")
    assert first.status_code == 201
    allied = first.json()["relationship_id"]
    stream = f"buying-center-{path.rsplit('/', 1)[1]}"
    before = await store.read_stream(stream)
    for source, target in ((b, a), (a, b)):
        rival = await _link(client, path, kam, source, target, "rival_of")
        assert (rival.status_code, rival.json()["type"]) == (409, "/problems/contradictory-relationship"), rival.text
        assert (rival.json()["relationship_id"], rival.json()["kind"]) == (allied, "allied_with")
    assert await store.read_stream(stream) == before
    removed = await client.delete(f"{path}/buying-center/relationships/{allied}", headers=kam)
    assert removed.status_code == 200
    assert (await _link(client, path, kam, b, a, "rival_of")).status_code == 201  # they fell out


async def test_a_links_note_is_forgotten_with_the_person_it_points_to(
    client: httpx.AsyncClient, auth, store, pool
) -> None:
    """A note on a link is about both people: forgetting its target erases it too, not only forgetting its source."""
    path, kam = await setup(client, auth)
    a = (await add(client, path, kam))["member"]["member_id"]
    b = (await add(client, path, kam, name="Boris Orlov"))["member"]["member_id"]
    secret = "Boris owes him a favour since the 2019 tender"
    made = await _link(client, path, kam, a, b, "influences", note=secret)
    assert made.status_code == 201, made.text
    view = f"{path}/buying-center"
    assert secret in (await client.get(view, headers=kam)).text
    moment = datetime.now(UTC).isoformat()  # the map as it stood before the forget
    forgot = await client.post(f"/v1/people/{b}/forget", headers=auth("root", Role.ADMIN))
    assert forgot.status_code == 200, forgot.text

    [edge] = (await client.get(view, headers=kam)).json()["edges"]
    assert (edge["source"], edge["target"], edge["kind"], edge["note"]) == (a, b, "influences", "")  # the link stays
    stream = f"buying-center-{path.rsplit('/', 1)[1]}"
    linked = [e for e in await store.read_stream(stream) if e.event_type == "MembersLinked"]
    assert [(e.data["note"], e.redacted) for e in linked] == [(None, ("note",))]
    then = await client.get(view, params={"as_of": moment}, headers=kam)
    assert [e["note"] for e in then.json()["edges"]] == [""]
    assert secret not in (await client.get(f"{view}.svg", headers=kam)).text
    async with pool.acquire() as conn:
        stored = await conn.fetchval("SELECT string_agg(data::text, ' ') FROM events WHERE stream_id = $1", stream)
    assert "2019 tender" not in stored

    before = await store.read_stream(stream)
    again = await _link(client, path, kam, a, b, "allied_with", note="still close")
    assert (again.status_code, again.json()["type"]) == (409, "/problems/subject-forgotten"), again.text
    assert await store.read_stream(stream) == before  # nothing new is written about them
    assert (await _link(client, path, kam, a, b, "allied_with")).status_code == 201  # a link without a note is no data


async def test_an_unknown_role_or_a_link_to_oneself_names_the_field_at_fault(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Found by review: unknown-role and self-relationship named no field, where every other refusal of an input
    names its own."""
    path, kam = await setup(client, auth)
    m = (await add(client, path, kam))["member"]["member_id"]
    before = await store.head_position()
    refusals = [
        (f"{path}/buying-center/members", {"name": "X", "roles": ["wizard"]}, "unknown-role", "roles"),
        (f"{path}/buying-center/members/{m}/assessment", {"roles": ["wizard"]}, "unknown-role", "roles"),
        (f"{path}/buying-center/relationships", {"source": m, "target": m, "kind": "influences"},
         "self-relationship", "target"),
    ]  # fmt: skip
    for url, body, problem, field in refusals:
        assert_refused(await client.post(url, json=body, headers=kam), problem, field)
    assert await store.head_position() == before


async def test_an_unlink_stores_no_free_text_and_one_stored_with_its_reason_still_folds(
    client: httpx.AsyncClient, auth, store
) -> None:
    """`MembersUnlinked.reason`, free text sealed with nobody that no route sets, was stored (empty) by every unlink:
    a field that, once written, would outlive the people the link was about. New unlinks carry only the link's id;
    one stored with the field still takes the link off the map."""
    path, kam = await setup(client, auth)
    a, b, c = [(await add(client, path, kam))["member"]["member_id"] for _ in range(3)]
    first = (await _link(client, path, kam, a, b, "influences")).json()["relationship_id"]
    second = (await _link(client, path, kam, b, c, "influences")).json()["relationship_id"]
    unlinked = await client.delete(f"{path}/buying-center/relationships/{first}", headers=kam)
    assert unlinked.status_code == 200, unlinked.text
    stream = f"buying-center-{path.rsplit('/', 1)[1]}"
    stored = await store.read_stream(stream)
    [new] = [e for e in stored if e.event_type == "MembersUnlinked"]
    assert (new.schema_version, new.data) == (2, {"relationship_id": first})
    old = NewEvent(event_type="MembersUnlinked", data={"relationship_id": second, "reason": ""}, schema_version=1)
    await store.append(stream, "buying_center", stored[-1].stream_version, [old])
    view = (await client.get(f"{path}/buying-center", headers=kam)).json()
    assert view["edges"] == []
