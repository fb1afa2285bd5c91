"""A forget that meets a build of another version whose lease a process holds records what the build owes, whatever
locks that build's process holds and whatever timeouts the operator set: the debt is never lost, and the forget's
batch waits for none of it."""

from __future__ import annotations

import asyncio

import asyncpg

from service.config import Settings
from service.domain.actors import Role
from service.projections import generations as gens
from service.projections import sql, unrun_builds
from service.projections.buying_centers import BuyingCenters
from tests.conftest import IsolatedDb, caught_up
from tests.support.apps import client_without_projections
from tests.support.generations import (
    MARKER,
    HeldRunner,
    NewerCode,
    abandon_newer_build,
    generations,
    member_names,
    plaintext,
)
from tests.support.webhooks import eventually

_LOCK_TIMEOUT = (
    "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET lock_timeout = ''100ms''', current_database()); END $$"
)


async def test_a_leased_build_owes_the_forget_though_its_process_holds_its_row_past_the_lock_timeout_then_stops(
    isolated: IsolatedDb, settings: Settings, auth
) -> None:
    """kamplan's sessions run with a lock_timeout (an operator's database or role setting), and the build's process
    holds its checkpoint row longer (a batch under way) when the forget meets it; then that process stops for good,
    its batch never committed. Before, recording the debt waited for the row, failed on the timeout, was only
    logged, and the build kept the person in clear until some later forget found it let go."""
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    owner = await asyncpg.connect(isolated.url)
    try:
        await owner.execute(_LOCK_TIMEOUT)  # every session from now on
    finally:
        await owner.close()
    await isolated.pool.expire_connections()
    old = HeldRunner(  # the older code, serving generation 1: it is to hold the forget's batch in hand a moment
        isolated.store, [BuyingCenters(isolated.store.upcasters)], hold_after=2**62, batch_size=1, poll_seconds=0.1
    )
    older = asyncio.create_task(old.run())
    try:
        holder = await asyncpg.connect(isolated.url)  # a process of the newer version, its lease's connection
        try:
            assert await holder.fetchval("SHOW lock_timeout") == "100ms"
            async with client_without_projections(isolated.url, settings) as client:
                account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
                members = f"/v1/accounts/{account['account_id']}/buying-center/members"
                alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
                hold_after = await isolated.store.head_position()
                assert (await client.post(members, json={"name": "Bob"}, headers=kam)).status_code == 201
                old.hold_after = await caught_up(isolated, ["buying_centers"])
                await abandon_newer_build(isolated, hold_after)
                assert await holder.fetchval(sql.TRY_LEASE, "buying_centers", 2)  # its process starts on it again
                forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
                assert forgot.status_code == 200, forgot.text
                await asyncio.wait_for(old.holding.wait(), 10)  # the older code has read the forget
                batch = holder.transaction()  # the build's next batch is under way: it holds its checkpoint row
                await batch.start()
                await holder.fetchrow(sql.LOCK_CHECKPOINT, "buying_centers", 2)
                old.go.set()  # the older code applies the forget meanwhile
                await caught_up(isolated, ["buying_centers"])
                assert await member_names(isolated) == [None, "Bob"]
                assert (await generations(isolated))[1][2:4] == ("building", hold_after)  # left to its process
                assert (await plaintext(isolated, 2))["buying_center_members"] == (1, 1)
        finally:
            await holder.close()  # that process stops for good, before the forget, its batch rolled back
        await eventually(lambda: generations(isolated), lambda g: g[1][3] == 0, 10)
    finally:
        older.cancel()
        await asyncio.gather(older, return_exceptions=True)
    assert await generations(isolated) == [
        (1, BuyingCenters.version, "live", forgot.json()["position"], False),
        (2, NewerCode.version, "building", 0, False),
    ]
    assert await plaintext(isolated, 2) == {"buying_center_members": (0, 0), "buying_center_relationships": (0, 0)}


async def test_a_forget_waits_for_no_lock_of_a_leased_build_and_its_debt_commits_with_it(isolated: IsolatedDb) -> None:
    """The build's process holds its checkpoint row for as long as it likes (a batch under way, a session hung on a
    network gone): the forget's batch, and the live generation with it, does not wait for it. Before, it waited."""
    old, newer = BuyingCenters(isolated.store.upcasters), NewerCode(isolated.store.upcasters)
    process = await asyncpg.connect(isolated.url)
    try:
        async with isolated.pool.acquire() as conn:
            await gens.ensure(conn, old)
            await gens.ensure(conn, newer)
            await conn.execute(
                "UPDATE projection_generations SET position = 5 WHERE name = $1 AND generation = 2", old.name
            )
            assert await process.fetchval(sql.TRY_LEASE, old.name, 2)
            batch = process.transaction()
            await batch.start()
            await process.fetchrow(sql.LOCK_CHECKPOINT, old.name, 2)

            forgetting = conn.transaction()  # the batch that applies the forget at position 10
            await forgetting.start()
            assert await asyncio.wait_for(unrun_builds.empty_unrun_builds(conn, old, 10), 5) == []
            await forgetting.rollback()  # the batch failed after all: no debt either
            assert await unrun_builds.owed(conn, old.name, 2) is None
            async with conn.transaction():
                assert await asyncio.wait_for(unrun_builds.empty_unrun_builds(conn, old, 10), 5) == []
            assert await unrun_builds.owed(conn, old.name, 2) == 10

            await process.execute(
                "UPDATE projection_generations SET position = 12 WHERE name = $1 AND generation = 2", old.name
            )
            await batch.commit()  # its batch passed the forget: it owes nothing
            assert await unrun_builds.empty_owing_builds(conn, old, await gens.current(conn, old.name)) == []
            await process.close()
            assert await unrun_builds.empty_owing_builds(conn, old, await gens.current(conn, old.name)) == []
            assert tuple(await conn.fetchrow(sql.CHECKPOINT, old.name, 2)) == (12, "building")
    finally:
        await process.close()


async def test_a_forget_a_process_of_the_version_before_marked_on_the_build_is_owed_too(isolated: IsolatedDb) -> None:
    """Processes of the version before this one mark the debt on the build's checkpoint row (`forget_owed`, migration
    0017): they run beside this one during its rolling upgrade, and what they marked is paid as this one's debts are."""
    old, newer = BuyingCenters(isolated.store.upcasters), NewerCode(isolated.store.upcasters)
    async with isolated.pool.acquire() as conn:
        await gens.ensure(conn, old)
        await gens.ensure(conn, newer)
        await conn.execute(_MARKED, 5, 10)  # as that version's OWE_FORGET left it
        assert await unrun_builds.owed(conn, old.name, 2) == 10
        async with conn.transaction():  # and a later forget of this version's, while a process held the lease
            await conn.execute(sql.OWE_FORGET, old.name, 2, 8)
        assert await unrun_builds.owed(conn, old.name, 2) == 10
        assert await unrun_builds.empty_owing_builds(conn, old, await gens.current(conn, old.name)) == [2]
        assert tuple(await conn.fetchrow(sql.CHECKPOINT, old.name, 2)) == (0, "building")
        assert await unrun_builds.owed(conn, old.name, 2) is None


_MARKED = (
    "UPDATE projection_generations SET position = $1, forget_owed = $2 WHERE name = 'buying_centers' AND generation = 2"
)
