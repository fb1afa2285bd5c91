"""Who took part in a joint planning session, as an interaction has it: the client's people by their buying-center
member ids, ours by name. Free-text names were stored in clear, so a client person's name written there outlived their
forgetting (found by the privacy review)."""

from __future__ import annotations

import httpx
import jwt

from service.commands.aggregates import plan_stream
from service.domain.actors import Role
from service.events import NewEvent
from tests.api.test_accounts import unique
from tests.api.test_buying_center import add
from tests.support.plans import GOAL, in_force, ok, setup


def _session(**who: list[str]) -> dict[str, object]:
    return {"on": "2026-11-20", "decisions": ["Agreed at the table"], **who}


async def _account(client: httpx.AsyncClient, plan: str, kam: dict[str, str]) -> str:
    return f"/v1/accounts/{(await ok(await client.get(plan, headers=kam)))['account_id']}"


async def test_a_session_names_the_clients_people_by_member_id_and_refuses_anyone_else(
    client: httpx.AsyncClient, auth, store
) -> None:
    kam, _, plan, _ = await setup(client, auth)
    member = (await add(client, await _account(client, plan, kam), kam))["member"]["member_id"]
    head = await store.head_position()
    stranger = await client.post(f"{plan}/sessions", json=_session(participants=["Petrov (OEM North)"]), headers=kam)
    assert (stranger.status_code, stranger.json()["type"], stranger.json()["members"]) == (
        404, "/problems/member-not-in-buying-center", ["Petrov (OEM North)"])  # fmt: skip
    nobody = await client.post(f"{plan}/sessions", json=_session(our_participants=["  "]), headers=kam)
    assert (nobody.status_code, nobody.json()["type"], nobody.json()["field"]) == (
        422, "/problems/missing-value", "participants")  # fmt: skip
    assert await store.head_position() == head  # nothing written
    body = _session(participants=[member, member], our_participants=[" kam ", "kam", ""])
    await ok(await client.post(f"{plan}/sessions", json=body, headers=kam))
    [session] = await ok(await client.get(f"{plan}/sessions", headers=kam))
    assert (session["participants"], session["our_participants"], session["named_participants"]) == (
        [member], ["kam"], [])  # fmt: skip


async def test_forgetting_a_person_leaves_nothing_of_them_in_a_session_they_took_part_in(
    client: httpx.AsyncClient, auth, pool
) -> None:
    kam, boss, plan, _ = await setup(client, auth)
    account = await _account(client, plan, kam)
    name = unique("Vasily Petrovich")
    member = (await add(client, account, kam, name=name))["member"]["member_id"]
    written = await client.post(f"{plan}/sessions", json=_session(participants=[name]), headers=kam)
    assert written.status_code == 404, written.text  # a name is no member id: not stored, in clear, for ever
    recorded = await ok(
        await client.post(
            f"{plan}/sessions", json=_session(participants=[member], our_participants=["kam"]), headers=kam
        )
    )
    await ok(await client.post(f"{plan}/sessions/{recorded['session_id']}/confirm", headers=boss))
    forgot = await client.post(f"/v1/people/{member}/forget", headers=auth("root", Role.ADMIN))
    assert forgot.status_code == 200, forgot.text
    [session] = await ok(await client.get(f"{plan}/sessions", headers=kam))
    assert session["participants"] == [member]  # who took part stays, as a reference to the anonymous node
    assert (await ok(await client.get(f"{account}/buying-center/members/{member}", headers=kam)))["name"] is None
    async with pool.acquire() as conn:
        dump = await conn.fetchval(
            "SELECT string_agg(data::text, ' ') FROM events WHERE stream_id LIKE $1 OR stream_id LIKE $2",
            f"%{account.rsplit('/', 1)[1]}",
            f"%{plan.rsplit('/', 1)[1]}",
        )
    assert member in dump
    assert name not in dump


async def test_a_session_recorded_with_free_text_names_still_reads_and_confirms(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Before, `participants` were free text: such an event still folds, its names shown as `named_participants` (in
    clear, as written: the log is immutable), and the session is confirmed as any other."""
    kam, boss, plan, team = await setup(client, auth)
    await in_force(client, plan, kam, boss, {"goal/g1": GOAL})
    version = (await ok(await client.get(plan, headers=kam)))["version"]
    by = jwt.decode(kam["Authorization"].split()[1], options={"verify_signature": False})["sub"]
    old = {
        "session_id": "s-old",
        "on": "2026-11-20",
        "participants": ["Ivanova (KAM)", "Petrov (head of OEM North)"],
        "decisions": ["Keep the plan"],
        "changes": [],
        "by": by,
        "role": "manager",
        "team": team,
    }
    event = NewEvent(event_type="PlanningSessionRecorded", data=old, schema_version=1)
    await store.append(plan_stream(plan.rsplit("/", 1)[1]), "plan", version, [event])
    [session] = await ok(await client.get(f"{plan}/sessions", headers=boss))
    assert (session["participants"], session["our_participants"], session["named_participants"]) == (
        [], [], ["Ivanova (KAM)", "Petrov (head of OEM North)"])  # fmt: skip
    await ok(await client.post(f"{plan}/sessions/s-old/confirm", headers=boss))
    [confirmed] = await ok(await client.get(f"{plan}/sessions", headers=kam))
    assert (confirmed["status"], confirmed["named_participants"]) == ("confirmed", old["participants"])
