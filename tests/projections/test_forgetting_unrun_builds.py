"""A forget reaches the builds of another version that no process runs any more (an upgrade rolled back): the code
that is left cannot refold their rows, so the forget empties them, and their version builds them again from the log
should it run again."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from service.config import Settings
from service.domain.actors import Role
from service.projections import generations as gens
from service.projections import sql, unrun_builds
from service.projections.buying_centers import BuyingCenters
from service.projections.runner import ProjectionRunner
from tests.conftest import IsolatedDb, caught_up
from tests.support.apps import client_without_projections
from tests.support.generations import (
    MARKER,
    Failing,
    NewerCode,
    Stuck,
    abandon_newer_build,
    all_rows,
    generations,
    member_names,
    plaintext,
    rebuilt_like,
)
from tests.support.webhooks import eventually


async def test_a_build_no_process_runs_any_more_is_emptied_by_a_forget_and_built_again_when_its_version_runs(
    isolated: IsolatedDb, settings: Settings, auth, running
) -> None:
    """An upgrade rolled back: the newer code built part of generation 2, then every process went back to the older
    code, which cannot refold the newer version's rows. They kept the forgotten person in clear, for good."""
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    async with client_without_projections(isolated.url, settings) as client:
        account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
        members = f"/v1/accounts/{account['account_id']}/buying-center/members"
        alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
        bob = (await client.post(members, json={"name": "Bob"}, headers=kam)).json()["member"]["member_id"]
        plan = {"owner": "kam-1", "contact_plan": f"lunch with {MARKER}"}
        assert (await client.put(f"{members}/{alice}/contact-owner", json=plan, headers=kam)).status_code == 200
        link = {"source": alice, "target": bob, "kind": "allied_with", "note": f"{MARKER} trusts Bob"}
        assert (await client.post(f"{members[: -len('members')]}relationships", json=link, headers=kam)).is_success
        hold_after = await isolated.store.head_position()
        assert (await client.post(members, json={"name": "Carol"}, headers=kam)).status_code == 201
        running([BuyingCenters(isolated.store.upcasters)], batch_size=1)
        await caught_up(isolated, ["buying_centers"])  # the older code serves generation 1
        await abandon_newer_build(isolated, hold_after)
        assert (await plaintext(isolated, 2))["buying_center_members"][1] == 1  # Alice, in clear
        assert (await plaintext(isolated, 2))["buying_center_relationships"][0] == 1
        forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
        assert forgot.status_code == 200, forgot.text
        await caught_up(isolated, ["buying_centers"])
    assert await member_names(isolated) == [None, "Bob", "Carol"]
    assert await generations(isolated) == [
        (1, BuyingCenters.version, "live", forgot.json()["position"], False),
        (2, NewerCode.version, "building", 0, False),  # to be built from the log again, where Alice reads redacted
    ]
    assert await plaintext(isolated, 2) == {"buying_center_members": (0, 0), "buying_center_relationships": (0, 0)}
    running([NewerCode(isolated.store.upcasters)])  # the newer version is deployed again
    await eventually(lambda: generations(isolated), lambda g: [s for _, _, s, *_ in g] == ["retired", "live"])
    await caught_up(isolated, ["buying_centers"])
    assert await member_names(isolated) == [None, "Bob", "Carol"]
    assert await plaintext(isolated, 2) == {"buying_center_members": (3, 0), "buying_center_relationships": (1, 0)}


async def test_a_build_no_process_runs_that_applied_the_forget_itself_is_not_built_again(
    isolated: IsolatedDb, settings: Settings, auth, running
) -> None:
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    async with client_without_projections(isolated.url, settings) as client:
        account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
        members = f"/v1/accounts/{account['account_id']}/buying-center/members"
        alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
        assert (await client.post(members, json={"name": "Bob"}, headers=kam)).status_code == 201
        forgot = (await client.post(f"/v1/people/{alice}/forget", headers=admin)).json()["position"]
        assert (await client.post(members, json={"name": "Carol"}, headers=kam)).status_code == 201
    async with isolated.pool.acquire() as conn:  # the older code's live generation, behind the forget
        await gens.ensure(conn, BuyingCenters(isolated.store.upcasters))
    await abandon_newer_build(isolated, forgot)
    built = (await generations(isolated))[1]
    assert built[3] >= forgot
    running([BuyingCenters(isolated.store.upcasters)], batch_size=1)
    await caught_up(isolated, ["buying_centers"])  # applies the forget, after the build did
    assert (await generations(isolated))[1] == built  # kept: it holds nothing from before the forget
    assert await member_names(isolated, "buying_center_members_g2") == [None, "Bob"]


async def test_a_build_is_emptied_only_when_no_process_leases_it_and_none_can_until_the_forget_commits(
    isolated: IsolatedDb,
) -> None:
    old, newer = BuyingCenters(isolated.store.upcasters), NewerCode(isolated.store.upcasters)
    async with isolated.pool.acquire() as conn, isolated.pool.acquire() as process, isolated.pool.acquire() as reader:
        await gens.ensure(conn, old)
        await gens.ensure(conn, newer)  # generation 2, a build of the newer version, with a row of Alice's
        await conn.execute(
            "INSERT INTO read.buying_center_members_g2 (account_id, member_id, name, position, department,"
            " organisation, roles, influence, attitude, attitude_to_competitor, contact_plan, active, away,"
            " retired_roles) VALUES ('a', 'alice', $1, '', '', '', '{}', 3, 0, 0, '', true, '{}', '{}')",
            MARKER,
        )
        await conn.execute(
            "UPDATE projection_generations SET position = 5 WHERE name = $1 AND generation = 2", old.name
        )

        assert await process.fetchval(sql.TRY_LEASE, old.name, 2)  # a process of the newer version runs it
        async with conn.transaction():
            assert await unrun_builds.empty_unrun_builds(conn, old, 10) == []
        assert await process.fetchval(sql.RELEASE_LEASE, old.name, 2)
        async with conn.transaction():  # the forget at position 5 or before: the build applied it itself
            assert await unrun_builds.empty_unrun_builds(conn, old, 5) == []
        assert await plaintext(isolated, 2) == {"buying_center_members": (1, 1), "buying_center_relationships": (0, 0)}

        reading = reader.transaction()  # a reader of the build's table (a pg_dump, say): no TRUNCATE, not waited for
        await reading.start()
        await reader.fetchval("SELECT count(*) FROM read.buying_center_members_g2")
        emptying = conn.transaction()
        await emptying.start()
        assert await asyncio.wait_for(unrun_builds.empty_unrun_builds(conn, old, 10), 5) == [2]
        assert not await process.fetchval(sql.TRY_LEASE, old.name, 2)  # a process starting now waits for the commit
        await emptying.commit()
        await reading.rollback()
        assert await process.fetchval(sql.TRY_LEASE, old.name, 2)
        assert tuple(await process.fetchrow(sql.CHECKPOINT, old.name, 2)) == (0, "building")
        await process.fetchval(sql.RELEASE_LEASE, old.name, 2)
    assert await plaintext(isolated, 2) == {"buying_center_members": (0, 0), "buying_center_relationships": (0, 0)}


async def test_a_build_that_cannot_be_emptied_holds_up_neither_the_forget_nor_the_batch(
    isolated: IsolatedDb, caplog: pytest.LogCaptureFixture
) -> None:
    old, newer = BuyingCenters(isolated.store.upcasters), NewerCode(isolated.store.upcasters)
    async with isolated.pool.acquire() as conn:
        await gens.ensure(conn, old)
        await gens.ensure(conn, newer)
        await conn.execute(
            "UPDATE projection_generations SET position = 5 WHERE name = $1 AND generation = 2", old.name
        )
        await conn.execute("REVOKE ALL ON read.buying_center_members_g2 FROM kamplan_app")  # another role's, say
        async with conn.transaction():
            assert await unrun_builds.empty_unrun_builds(conn, old, 10) == []
            assert await conn.fetchval("SELECT 1") == 1  # the batch's transaction goes on
        assert tuple(await conn.fetchrow(sql.CHECKPOINT, old.name, 2)) == (5, "building")  # left as it was
        assert await _owed(conn) == 10  # owed: tried again at each pass of the supervision
        generations = await gens.current(conn, old.name)
        assert await unrun_builds.empty_owing_builds(conn, old, generations) == []
        assert await unrun_builds.empty_owing_builds(conn, old, generations) == []
        await conn.execute("GRANT ALL ON read.buying_center_members_g2 TO kamplan_app")  # mended
        assert await unrun_builds.empty_owing_builds(conn, old, generations) == [2]
        assert tuple(await conn.fetchrow(sql.CHECKPOINT, old.name, 2)) == (0, "building")
    assert "generation 2, of another version that no process runs, keeps rows" in caplog.text
    assert "InsufficientPrivilegeError" in caplog.text
    assert caplog.text.count("owes the forget at position 10: emptying it failed") == 1  # not at every pass


async def test_a_build_whose_process_held_it_through_a_forget_then_stopped_for_good_is_emptied_once_it_is_let_go(
    isolated: IsolatedDb, settings: Settings, auth, running
) -> None:
    """The forget could not empty the build, as a process held its lease, and that process stopped before it got to
    the forget itself (the upgrade rolled back at that very moment). The build owes the forget: the older code's
    runner empties it as soon as no process holds its lease, not at some later forget."""
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    holder = await asyncpg.connect(isolated.url)  # a process of the newer version, its lease's connection
    try:
        async with client_without_projections(isolated.url, settings) as client:
            account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
            members = f"/v1/accounts/{account['account_id']}/buying-center/members"
            alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
            bob = (await client.post(members, json={"name": "Bob"}, headers=kam)).json()["member"]["member_id"]
            link = {"source": alice, "target": bob, "kind": "allied_with", "note": f"{MARKER} trusts Bob"}
            assert (await client.post(f"{members[: -len('members')]}relationships", json=link, headers=kam)).is_success
            hold_after = await isolated.store.head_position()
            assert (await client.post(members, json={"name": "Carol"}, headers=kam)).status_code == 201
            running([BuyingCenters(isolated.store.upcasters)], batch_size=1)
            await caught_up(isolated, ["buying_centers"])  # the older code serves generation 1
            await abandon_newer_build(isolated, hold_after)
            assert await holder.fetchval(sql.TRY_LEASE, "buying_centers", 2)  # its process starts on it again
            forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
            assert forgot.status_code == 200, forgot.text
            await caught_up(isolated, ["buying_centers"])
        assert await member_names(isolated) == [None, "Bob", "Carol"]
        held = await generations(isolated)
        assert held[1][2:4] == ("building", hold_after)  # leased: left to the process holding it
        assert await plaintext(isolated, 2) == {"buying_center_members": (2, 1), "buying_center_relationships": (1, 0)}
    finally:
        await holder.close()  # that process stops for good, before getting to the forget
    await eventually(lambda: generations(isolated), lambda g: g[1][3] == 0, 10)
    assert await generations(isolated) == [
        (1, BuyingCenters.version, "live", forgot.json()["position"], False),
        (2, NewerCode.version, "building", 0, False),
    ]
    assert await plaintext(isolated, 2) == {"buying_center_members": (0, 0), "buying_center_relationships": (0, 0)}
    running([NewerCode(isolated.store.upcasters)])  # the newer version is deployed again: it builds from the log
    await eventually(lambda: generations(isolated), lambda g: [s for _, _, s, *_ in g] == ["retired", "live"])
    await caught_up(isolated, ["buying_centers"])
    built = await all_rows(isolated, "buying_centers", 2)
    assert not any(MARKER in row for found in built.values() for row in found)
    await rebuilt_like(isolated, built)  # a fresh rebuild, from the log as it reads now


async def test_a_forget_applied_ahead_of_a_failing_batch_empties_a_build_no_process_runs(
    isolated: IsolatedDb, settings: Settings, auth, running
) -> None:
    """The live generation is stuck on a failing batch, so it takes the forget ahead of its checkpoint: that reaches
    the rolled-back build of the newer version as the forget applied in order does."""
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    Failing.fail_from = None
    try:
        async with client_without_projections(isolated.url, settings) as client:
            account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
            members = f"/v1/accounts/{account['account_id']}/buying-center/members"
            alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
            hold_after = await isolated.store.head_position()
            assert (await client.post(members, json={"name": "Bob"}, headers=kam)).status_code == 201
            running([Stuck(isolated.store.upcasters)], batch_size=1)
            stuck_at = await caught_up(isolated, ["buying_centers"])
            await abandon_newer_build(isolated, hold_after)
            assert (await plaintext(isolated, 2))["buying_center_members"] == (1, 1)
            Failing.fail_from = stuck_at + 1
            assert (await client.post(members, json={"name": "Carol"}, headers=kam)).status_code == 201
            await eventually(lambda: generations(isolated), lambda g: g[0][-1])  # the live generation fails
            forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
            assert forgot.status_code == 200, forgot.text
            await eventually(lambda: member_names(isolated), lambda n: n == [None, "Bob"], 10)  # forgot ahead
            await eventually(lambda: generations(isolated), lambda g: g[1][3] == 0, 10)
            assert await generations(isolated) == [
                (1, BuyingCenters.version, "live", stuck_at, True),
                (2, NewerCode.version, "building", 0, False),
            ]
            assert await plaintext(isolated, 2) == {
                "buying_center_members": (0, 0),
                "buying_center_relationships": (0, 0),
            }
    finally:
        Failing.fail_from = None


async def _built_with_alice(conn: asyncpg.Connection, position: int) -> None:
    """Generation 2, a build of the newer version up to `position`, with a row of Alice's."""
    await conn.execute(
        "INSERT INTO read.buying_center_members_g2 (account_id, member_id, name, position, department, organisation,"
        " roles, influence, attitude, attitude_to_competitor, contact_plan, active, away, retired_roles)"
        " VALUES ('a', 'alice', $1, '', '', '', '{}', 3, 0, 0, '', true, '{}', '{}')",
        MARKER,
    )
    await conn.execute(_MOVE, 2, position)


_MOVE = "UPDATE projection_generations SET position = $2 WHERE name = 'buying_centers' AND generation = $1"


async def _owed(conn: asyncpg.Connection) -> int | None:
    return await unrun_builds.owed(conn, "buying_centers", 2)


async def _forget(conn: asyncpg.Connection, projection: BuyingCenters, position: int) -> list[int]:
    """What a batch of the older code that applies a forget at `position` does to the builds of other versions."""
    async with conn.transaction():
        return await unrun_builds.empty_unrun_builds(conn, projection, position)


async def test_a_leased_build_owes_the_forget_until_it_applies_it_and_is_emptied_once_its_holder_is_gone(
    isolated: IsolatedDb,
) -> None:
    old, newer = BuyingCenters(isolated.store.upcasters), NewerCode(isolated.store.upcasters)
    process = await asyncpg.connect(isolated.url)  # a process of the newer version, its lease's connection
    try:
        async with isolated.pool.acquire() as conn:
            await gens.ensure(conn, old)
            await gens.ensure(conn, newer)
            await _built_with_alice(conn, 5)
            assert await process.fetchval(sql.TRY_LEASE, old.name, 2)

            assert await _forget(conn, old, 20) == []  # the process holds the lease: it owes the forget
            assert await _owed(conn) == 20
            assert await unrun_builds.empty_owing_builds(conn, old, await gens.current(conn, old.name)) == []
            assert (await plaintext(isolated, 2))["buying_center_members"] == (1, 1)  # alive, it applies it itself
            await process.close()  # it stops for good, before the forget
            assert await unrun_builds.empty_owing_builds(conn, old, await gens.current(conn, old.name)) == [2]
            assert (await plaintext(isolated, 2))["buying_center_members"] == (0, 0)
            assert tuple(await conn.fetchrow(sql.CHECKPOINT, old.name, 2)) == (0, "building")
            assert await _owed(conn) is None

            process = await asyncpg.connect(isolated.url)  # the newer version again, which builds it up to 5
            await _built_with_alice(conn, 5)
            assert await process.fetchval(sql.TRY_LEASE, old.name, 2)
            assert await _forget(conn, old, 30) == []
            await conn.execute(_MOVE, 2, 30)  # it applied the forget itself, then stopped
            await process.close()
            assert await unrun_builds.empty_owing_builds(conn, old, await gens.current(conn, old.name)) == []
            assert tuple(await conn.fetchrow(sql.CHECKPOINT, old.name, 2)) == (30, "building")
    finally:
        await process.close()


class FirstBatchInHand(ProjectionRunner):
    """A process of the newer version that has read the first batch of its build, the log as it read then (the person
    in clear), and holds it outside its transaction until `go`; then commits it, and never gets to another."""

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self.holding, self.go, self.committed = asyncio.Event(), asyncio.Event(), False

    async def _apply_batch(self, projection: Any, generation: Any, lease: Any, names: Any, batch: Any) -> Any:
        if self.committed:
            await asyncio.Event().wait()  # stopped for good before its next batch
        self.holding.set()
        await self.go.wait()
        self.committed = True
        return await super()._apply_batch(projection, generation, lease, names, batch)


async def test_a_build_at_position_zero_whose_process_holds_a_batch_read_before_the_forget_owes_it(
    isolated: IsolatedDb, settings: Settings, auth, running
) -> None:
    """The build's process had read its first batch, the person in clear, when the forget was applied: its checkpoint
    was still zero, yet the rows it then committed are from before the forget. It stopped for good before getting to
    the forget: the build is emptied once its lease is let go, as one held at any other position is."""
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    async with client_without_projections(isolated.url, settings) as client:
        account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
        members = f"/v1/accounts/{account['account_id']}/buying-center/members"
        alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
        assert (await client.post(members, json={"name": "Bob"}, headers=kam)).status_code == 201
        running([BuyingCenters(isolated.store.upcasters)], batch_size=1)
        await caught_up(isolated, ["buying_centers"])  # the older code serves generation 1
        newer = FirstBatchInHand(isolated.store, [NewerCode(isolated.store.upcasters)], poll_seconds=0.1)
        process = asyncio.create_task(newer.run())
        try:
            await asyncio.wait_for(newer.holding.wait(), 10)
            assert (await generations(isolated))[1][2:4] == ("building", 0)
            forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
            assert forgot.status_code == 200, forgot.text
            await caught_up(isolated, ["buying_centers"])
            newer.go.set()
            await eventually(lambda: generations(isolated), lambda g: g[1][3] > 0)
            assert (await generations(isolated))[1][3] < forgot.json()["position"]
            assert (await plaintext(isolated, 2))["buying_center_members"] == (2, 1)  # Alice, in clear
        finally:
            process.cancel()  # that process stops for good, before the forget
            await asyncio.gather(process, return_exceptions=True)
    await eventually(lambda: generations(isolated), lambda g: g[1][3] == 0, 10)
    assert await plaintext(isolated, 2) == {"buying_center_members": (0, 0), "buying_center_relationships": (0, 0)}
