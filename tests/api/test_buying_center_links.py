"""Links between members over HTTP: the org chart has no cycles, and a symmetric informal link is one link, which
its opposite rules out (found by review)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_buying_center import add, setup


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
