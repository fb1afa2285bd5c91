"""A forget reaches a live generation of a newer version than any process runs (the newer code went live, then the
deployment rolled back): the code left builds no generation of its own beside a newer one, and cannot refold the newer
rows, yet BI reads them through the views. So it empties them, once no process has held the lease for a while."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from service.config import Settings
from service.domain.actors import Role
from service.projections import generations as gens
from service.projections import sql, unrun_live
from service.projections.buying_centers import BuyingCenters
from service.projections.runner import ProjectionRunner
from tests.conftest import IsolatedDb, caught_up
from tests.support.apps import client_without_projections
from tests.support.generations import MARKER, NewerCode, all_rows, generations, member_names, plaintext, rebuilt_like
from tests.support.webhooks import eventually

_NOTHING = {"buying_center_members": (0, 0), "buying_center_relationships": (0, 0)}


async def test_a_live_generation_of_a_newer_version_no_process_runs_is_emptied_by_a_forget(
    isolated: IsolatedDb, settings: Settings, auth, running, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the older code left it as it was: no runner applied anything to it, and the person stayed readable in
    the live tables, by BI through the views, for as long as the newer code stayed away."""
    monkeypatch.setattr(unrun_live, "UNRUN_AFTER", 0.5)
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    async with client_without_projections(isolated.url, settings) as client:
        account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
        members = f"/v1/accounts/{account['account_id']}/buying-center/members"
        alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
        bob = (await client.post(members, json={"name": "Bob"}, headers=kam)).json()["member"]["member_id"]
        link = {"source": alice, "target": bob, "kind": "allied_with", "note": f"{MARKER} trusts Bob"}
        assert (await client.post(f"{members[: -len('members')]}relationships", json=link, headers=kam)).is_success
        running([BuyingCenters(isolated.store.upcasters)], batch_size=1)
        await caught_up(isolated, ["buying_centers"])  # the older code serves generation 1
        newer = asyncio.create_task(ProjectionRunner(isolated.store, [NewerCode(isolated.store.upcasters)]).run())
        try:  # the newer code is deployed, builds generation 2 and switches it live
            await eventually(lambda: generations(isolated), lambda g: [s for _, _, s, *_ in g] == ["retired", "live"])
            await caught_up(isolated, ["buying_centers"])
        finally:  # then the deployment rolls back: every process runs the older code again
            newer.cancel()
            await asyncio.gather(newer, return_exceptions=True)
        head = await isolated.store.head_position()
        assert await member_names(isolated) == [MARKER, "Bob"]  # what BI reads, through the view
        forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
        assert forgot.status_code == 200, forgot.text
        await eventually(lambda: generations(isolated), lambda g: g[1][3] == 0, 10)
    assert await generations(isolated) == [
        (1, BuyingCenters.version, "retired", head, False),
        (2, NewerCode.version, "live", 0, False),  # no rows: as of position 0
    ]
    assert await plaintext(isolated, 2) == _NOTHING
    assert await member_names(isolated) == []
    running([NewerCode(isolated.store.upcasters)])  # the newer version is deployed again: it fills it from the log
    await caught_up(isolated, ["buying_centers"])
    assert await member_names(isolated) == [None, "Bob"]
    refilled = await all_rows(isolated, "buying_centers", 2)
    assert not any(MARKER in row for found in refilled.values() for row in found)
    await rebuilt_like(isolated, refilled)  # a fresh rebuild, from the log as it reads now


async def test_a_newer_live_generation_is_emptied_only_once_no_process_has_held_its_lease_for_a_while(
    isolated: IsolatedDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process of the newer version may let the lease go a moment (it restarts, or hands it over to another), with a
    forget past the checkpoint that it is about to apply itself: that costs the projection nothing."""
    old, newer = BuyingCenters(isolated.store.upcasters), NewerCode(isolated.store.upcasters)
    process = await asyncpg.connect(isolated.url)  # a process of the newer version, its lease's connection
    try:
        async with isolated.pool.acquire() as conn:
            await gens.ensure(conn, newer)  # generation 1, live, of the newer version
            await conn.execute(_ALICE)
            before = (await isolated.store.forget_subject("someone")).position
            forget = (await isolated.store.forget_subject("alice")).position
            watcher = unrun_live.NewerLive()

            async def reach(position: int) -> bool:
                await conn.execute(_MOVE, position)
                return await watcher.reach(conn, old, await gens.current(conn, old.name))

            monkeypatch.setattr(unrun_live, "UNRUN_AFTER", 0.0)
            assert not await reach(forget)  # its process applied the forget: nothing past the checkpoint
            watcher = unrun_live.NewerLive()
            assert await process.fetchval(sql.TRY_LEASE, old.name, 1)
            assert not await reach(before)  # a process of its version runs it: it applies the forget itself
            monkeypatch.setattr(unrun_live, "UNRUN_AFTER", 0.5)
            assert await process.fetchval(sql.RELEASE_LEASE, old.name, 1)  # let go a moment
            assert not await reach(before)
            assert await process.fetchval(sql.TRY_LEASE, old.name, 1)  # and taken again
            await asyncio.sleep(0.5)
            assert not await reach(before)
            assert await process.fetchval(sql.RELEASE_LEASE, old.name, 1)
            assert not await reach(before)
            assert (await _in_clear(conn)) == 1
            await asyncio.sleep(0.5)  # no process has held it since: its version's processes are gone
            assert await reach(before)
            assert (await _in_clear(conn)) == 0
            assert tuple(await conn.fetchrow(sql.CHECKPOINT, old.name, 1)) == (0, "live")
            assert not await watcher.reach(conn, old, await gens.current(conn, old.name))  # nothing left to empty
    finally:
        await process.close()


_ALICE = (
    "INSERT INTO read.buying_center_members_g1 (account_id, member_id, name, position, department, organisation, roles,"
    " influence, attitude, attitude_to_competitor, contact_plan, active, away, retired_roles)"
    f" VALUES ('a', 'alice', '{MARKER}', '', '', '', '{{}}', 3, 0, 0, '', true, '{{}}', '{{}}')"
)
_MOVE = "UPDATE projection_generations SET position = $1 WHERE name = 'buying_centers' AND generation = 1"


async def _in_clear(conn: asyncpg.Connection) -> int:
    """Rows of generation 1 that name Alice in clear."""
    return await conn.fetchval("SELECT count(*) FROM read.buying_center_members_g1 WHERE name = $1", MARKER)


async def test_a_newer_live_generation_is_not_emptied_after_passes_that_did_not_watch_its_lease(
    isolated: IsolatedDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait counts only while passes watch the lease. Before, it ran from the first pass that found the lease
    free: a process whose supervision stalled past UNRUN_AFTER (its pool busy, say), while the newer version's
    process held the lease all along, emptied the live generation at the first pass after, should that pass meet
    the lease let go a moment (between two attempts of a failing batch, or handed over)."""
    old, newer = BuyingCenters(isolated.store.upcasters), NewerCode(isolated.store.upcasters)
    process = await asyncpg.connect(isolated.url)  # a process of the newer version, its lease's connection
    try:
        async with isolated.pool.acquire() as conn:
            await gens.ensure(conn, newer)  # generation 1, live, of the newer version
            await conn.execute(_ALICE)
            before = (await isolated.store.forget_subject("someone")).position
            await isolated.store.forget_subject("alice")
            await conn.execute(_MOVE, before)
            watcher = unrun_live.NewerLive()
            monkeypatch.setattr(unrun_live, "UNRUN_AFTER", 0.5)
            monkeypatch.setattr(unrun_live, "UNWATCHED_AFTER", 0.3)
            assert not await watcher.reach(conn, old, await gens.current(conn, old.name))  # found free: the wait starts
            assert await process.fetchval(sql.TRY_LEASE, old.name, 1)  # its process runs it, unseen: no pass meanwhile
            await asyncio.sleep(0.6)
            assert await process.fetchval(sql.RELEASE_LEASE, old.name, 1)  # let go a moment
            assert not await watcher.reach(conn, old, await gens.current(conn, old.name))
            assert (await _in_clear(conn)) == 1  # it still holds its rows, its process about to take the lease again
    finally:
        await process.close()
