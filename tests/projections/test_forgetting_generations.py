"""A forget reaches every generation of a projection.

The forget is an event in the log (`SubjectForgotten`), so each generation takes it when its own runner gets there:
a generation newer code builds during a rolling upgrade as much as the live one. One stuck on a failing batch before
it takes it ahead of its checkpoint, refolding its rows there. A build of another version that no process runs any
more has no runner to take it: the forget empties it instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, ClassVar

import asyncpg
import httpx
import pytest

from service.config import Settings
from service.domain.actors import Role
from service.domain.settings.defaults import default_settings
from service.events import RecordedEvent
from service.projections import forgetting, sql
from service.projections import generations as gens
from service.projections.buying_centers import BuyingCenters
from service.projections.dossiers import Dossiers
from service.projections.model import TableNames
from service.projections.runner import ProjectionRunner
from tests.conftest import IsolatedDb, caught_up
from tests.support.apps import client_without_projections
from tests.support.webhooks import eventually

MARKER = "Alice Secret-4711"


async def _names(db: IsolatedDb, table: str = "buying_center_members") -> list[str | None]:
    async with db.pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT name FROM read.{table} ORDER BY name NULLS FIRST")
    return [r["name"] for r in rows]


async def _generations(db: IsolatedDb, name: str = "buying_centers") -> list[tuple]:
    async with db.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT generation, version, status, position, failure IS NOT NULL AS failing FROM projection_generations"
            " WHERE name = $1 ORDER BY generation",
            name,
        )
    return [tuple(r) for r in rows]


class Failing:
    """Fails on every batch from `fail_from` on until mended: a projection stuck (`failure`) until a fix is deployed.
    Only its `apply` fails: its refold of the rows as of a position, which forgets ahead of the checkpoint, works."""

    fail_from: ClassVar[int | None] = None

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent]) -> None:
        if Failing.fail_from is not None and events[-1].position >= Failing.fail_from:
            raise KeyError("stuck")
        await super().apply(conn, tables, events)  # type: ignore[misc]


class Stuck(Failing, BuyingCenters):
    pass


class StuckDossiers(Failing, Dossiers):
    pass


async def _rows(db: IsolatedDb, name: str, generation: int) -> dict[str, list[str]]:
    """Every row of every table of a generation, as text."""
    async with db.pool.acquire() as conn:
        tables = await conn.fetchval(
            "SELECT tables FROM projection_generations WHERE name = $1 AND generation = $2", name, generation
        )
        return {
            t: sorted(
                await conn.fetchval(f"SELECT coalesce(array_agg(r::text), '{{}}') FROM read.\"{t}_g{generation}\" r")
            )
            for t in tables
        }


async def _failures(db: IsolatedDb, names: list[str]) -> dict[str, int]:
    """Failed attempts of each live generation's batch so far."""
    async with db.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT name, (failure ->> 'attempts')::int AS attempts FROM projection_generations"
            " WHERE status = 'live' AND name = ANY($1::text[])",
            names,
        )
    return {r["name"]: r["attempts"] for r in rows}


def _ahead(caplog: pytest.LogCaptureFixture) -> dict[str, int]:
    """How many times each projection applied forgets ahead of its checkpoint."""
    found = [r.getMessage().split()[1] for r in caplog.records if "to its rows there ahead of it" in r.getMessage()]
    return {name: found.count(name) for name in found}


def _quoting(rows: dict[str, list[str]]) -> dict[str, int]:
    return {table: sum(MARKER in r for r in found) for table, found in rows.items()}


async def test_a_live_generation_stuck_on_a_failing_batch_forgets_at_its_checkpoint_then_catches_up_when_mended(
    isolated: IsolatedDb, settings: Settings, auth, running, caplog: pytest.LogCaptureFixture
) -> None:
    """Its rows are the fold of the log up to its checkpoint as the log reads now, where the person reads redacted:
    refolded there, they forget her without running ahead of the batch that fails."""
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    Failing.fail_from = None
    projections = [Stuck(isolated.store.upcasters), StuckDossiers(isolated.store.upcasters)]
    names = [p.name for p in projections]
    async with client_without_projections(isolated.url, settings) as client:
        account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
        path = f"/v1/accounts/{account['account_id']}"
        members = f"{path}/buying-center/members"
        alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
        bob = (await client.post(members, json={"name": "Bob"}, headers=kam)).json()["member"]["member_id"]
        plan = {"owner": "kam-1", "contact_plan": f"lunch with {MARKER}"}
        assert (await client.put(f"{members}/{alice}/contact-owner", json=plan, headers=kam)).status_code == 200
        link = {"source": alice, "target": bob, "kind": "allied_with", "note": f"{MARKER} trusts Bob"}
        assert (await client.post(f"{path}/buying-center/relationships", json=link, headers=kam)).is_success
        answer = {"question_code": _personal_question(), "value": f"sails with {MARKER}", "about": alice,
                  "source": f"{MARKER}'s sister", "learned_on": "2026-11-01"}  # fmt: skip
        assert (await client.post(f"{path}/dossier/answers", json=answer, headers=kam)).status_code == 201
        runner = running(projections, batch_size=1)
        runner.poll_seconds = 0.02
        stuck_at = await caught_up(isolated, names)
        Failing.fail_from = stuck_at + 1
        # the failing batches are of the very streams that name her
        assert (await client.post(members, json={"name": "Carol"}, headers=kam)).status_code == 201
        later = {**answer, "about": bob, "value": "sails too", "source": "Bob"}
        assert (await client.post(f"{path}/dossier/answers", json=later, headers=kam)).status_code == 201
        failing = {
            name: await eventually(lambda n=name: _generations(isolated, n), lambda g: g[0][-1]) for name in names
        }
        for name in names:
            assert sum(_quoting(await _rows(isolated, name, 1)).values()) > 0
        forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
        assert forgot.status_code == 200, forgot.text
        for name in names:
            await eventually(lambda n=name: _rows(isolated, n, 1), lambda r: not any(_quoting(r).values()), 10)
            assert await _generations(isolated, name) == failing[name]  # still failing, before its batch
        assert [g[0][3] for g in failing.values()] == [stuck_at, stuck_at + 1]  # dossiers passed Carol, not its type
        assert await _names(isolated) == [None, "Bob"]  # Carol comes with the failing batch
        assert len((await _rows(isolated, "dossiers", 1))["dossier_answers"]) == 1  # Bob's comes with it too
        retries = await _failures(isolated, names)
        await eventually(lambda: _failures(isolated, names), lambda f: all(f[n] >= retries[n] + 2 for n in names))
        assert _ahead(caplog) == {name: 1 for name in names}  # once each, not again at every retry
        assert (await client.post(f"/v1/people/{bob}/forget", headers=admin)).status_code == 200  # a later one
        await eventually(lambda: _names(isolated), lambda n: n == [None, None])
        await eventually(lambda: _failures(isolated, names), lambda f: all(f[n] >= retries[n] + 5 for n in names))
        assert _ahead(caplog) == {name: 2 for name in names}
        Failing.fail_from = None  # the fix is deployed
        await caught_up(isolated, names)
    assert await _names(isolated) == [None, None, "Carol"]
    mended = {name: await _rows(isolated, name, 1) for name in names}
    for name in names:
        assert not (await _generations(isolated, name))[0][-1]
        assert not any(_quoting(mended[name]).values())
    async with isolated.pool.acquire() as conn:  # a fresh rebuild, from the log as it reads now
        for projection in projections:
            await gens.start_rebuild(conn, projection)
    for name in names:
        await eventually(lambda n=name: _generations(isolated, n), lambda g: [g[0][2], g[1][2]] == ["retired", "live"])
    await caught_up(isolated, names)
    assert {name: await _rows(isolated, name, 2) for name in names} == mended


def _personal_question() -> str:
    return next(
        q.code
        for g in default_settings().template.groups
        for q in g.questions
        if q.personal and q.answer_type.value == "text"
    )


class NewerCode(BuyingCenters):
    """The next version of the projection."""

    version = BuyingCenters.version + 1


class HeldRunner(ProjectionRunner):
    """Holds every batch past `hold_after` until `go` is set, outside its transaction: the newer code's process
    paused (a rolling upgrade halted, say) with a batch it read in hand."""

    def __init__(self, *args: Any, hold_after: int, **options: Any) -> None:
        super().__init__(*args, **options)
        self.hold_after, self.go = hold_after, asyncio.Event()

    async def _apply_batch(self, projection: Any, generation: Any, lease: Any, names: Any, batch: Any) -> Any:
        if batch.events and batch.events[-1].position > self.hold_after:
            await self.go.wait()
        return await super()._apply_batch(projection, generation, lease, names, batch)


async def test_a_generation_newer_code_builds_forgets_once_it_catches_up_and_goes_live(
    isolated: IsolatedDb, settings: Settings, auth, running
) -> None:
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    async with client_without_projections(isolated.url, settings) as client:
        account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
        members = f"/v1/accounts/{account['account_id']}/buying-center/members"
        alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
        hold_after = await isolated.store.head_position()
        assert (await client.post(members, json={"name": "Bob"}, headers=kam)).status_code == 201
        old = BuyingCenters(isolated.store.upcasters)
        running([old], batch_size=1)
        await caught_up(isolated, ["buying_centers"])  # the older code serves generation 1
        newer = HeldRunner(
            isolated.store, [NewerCode(isolated.store.upcasters)], hold_after=hold_after, poll_seconds=0.1,
            batch_size=1, build_batch_size=1,
        )  # fmt: skip
        newer_task = asyncio.create_task(newer.run())
        try:
            await _forget_while_newer_code_is_held(isolated, client, newer, alice, admin)
        finally:
            newer_task.cancel()
            await asyncio.gather(newer_task, return_exceptions=True)
    assert await _names(isolated) == [None, "Bob"]
    async with isolated.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM read.buying_center_members_g2 WHERE name = $1", MARKER) == 0


async def _forget_while_newer_code_is_held(
    isolated: IsolatedDb, client: httpx.AsyncClient, newer: HeldRunner, alice: str, admin: dict[str, str]
) -> None:
    building = await eventually(lambda: _generations(isolated), lambda g: len(g) == 2)
    assert building[1][:3] == (2, NewerCode.version, "building")
    await eventually(lambda: _names(isolated, "buying_center_members_g2"), lambda n: n == [MARKER])
    forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
    assert forgot.status_code == 200, forgot.text
    await caught_up(isolated, ["buying_centers"])
    assert await _names(isolated) == [None, "Bob"]  # the older code's live generation forgot her
    _, _, status, position, _ = (await _generations(isolated))[1]  # its process holds the lease: not emptied
    assert (status, position > 0) == ("building", True)
    assert await _names(isolated, "buying_center_members_g2") == [MARKER]  # that process applies the forget, below
    newer.go.set()  # the newer process goes on, with Bob's batch read before the forget
    await eventually(lambda: _generations(isolated), lambda g: [s for _, _, s, *_ in g] == ["retired", "live"])
    await caught_up(isolated, ["buying_centers"])


async def _plaintext(db: IsolatedDb, generation: int) -> dict[str, tuple[int, int]]:
    """Per table of the generation: (rows, rows that quote the marker in any column)."""
    async with db.pool.acquire() as conn:
        tables = await conn.fetchval(
            "SELECT tables FROM projection_generations WHERE name = 'buying_centers' AND generation = $1", generation
        )
        found = {}
        for table in tables:
            found[table] = tuple(
                await conn.fetchrow(
                    f'SELECT count(*), count(*) FILTER (WHERE r::text LIKE $1) FROM read."{table}_g{generation}" AS r',
                    f"%{MARKER}%",
                )
            )
    return found


async def _abandon(newer: HeldRunner) -> None:
    """Every process of the newer version goes back to the older code (its batch in hand is never applied)."""
    task = asyncio.create_task(newer.run())
    try:
        await eventually(lambda: _generations(newer.store), lambda g: len(g) == 2 and g[1][3] >= newer.hold_after)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


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
        await _abandon(
            HeldRunner(
                isolated.store, [NewerCode(isolated.store.upcasters)], hold_after=hold_after, batch_size=1,
                build_batch_size=1, poll_seconds=0.1,
            )
        )  # fmt: skip
        assert (await _plaintext(isolated, 2))["buying_center_members"][1] == 1  # Alice, in clear
        assert (await _plaintext(isolated, 2))["buying_center_relationships"][0] == 1
        forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
        assert forgot.status_code == 200, forgot.text
        await caught_up(isolated, ["buying_centers"])
    assert await _names(isolated) == [None, "Bob", "Carol"]
    assert await _generations(isolated) == [
        (1, BuyingCenters.version, "live", forgot.json()["position"], False),
        (2, NewerCode.version, "building", 0, False),  # to be built from the log again, where Alice reads redacted
    ]
    assert await _plaintext(isolated, 2) == {"buying_center_members": (0, 0), "buying_center_relationships": (0, 0)}
    running([NewerCode(isolated.store.upcasters)])  # the newer version is deployed again
    await eventually(lambda: _generations(isolated), lambda g: [s for _, _, s, *_ in g] == ["retired", "live"])
    await caught_up(isolated, ["buying_centers"])
    assert await _names(isolated) == [None, "Bob", "Carol"]
    assert await _plaintext(isolated, 2) == {"buying_center_members": (3, 0), "buying_center_relationships": (1, 0)}


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
    await _abandon(
        HeldRunner(
            isolated.store, [NewerCode(isolated.store.upcasters)], hold_after=forgot, batch_size=1, build_batch_size=1,
            poll_seconds=0.1,
        )
    )  # fmt: skip
    built = (await _generations(isolated))[1]
    assert built[3] >= forgot
    running([BuyingCenters(isolated.store.upcasters)], batch_size=1)
    await caught_up(isolated, ["buying_centers"])  # applies the forget, after the build did
    assert (await _generations(isolated))[1] == built  # kept: it holds nothing from before the forget
    assert await _names(isolated, "buying_center_members_g2") == [None, "Bob"]


async def test_a_build_is_emptied_only_when_no_process_leases_it_and_none_can_until_the_forget_commits(
    isolated: IsolatedDb,
) -> None:
    old, newer = BuyingCenters(isolated.store.upcasters), NewerCode(isolated.store.upcasters)
    async with isolated.pool.acquire() as conn, isolated.pool.acquire() as process, isolated.pool.acquire() as reader:
        await gens.ensure(conn, old)
        await gens.ensure(conn, newer)  # generation 2, a build of the newer version, with a row of Alice's
        await conn.execute(
            "INSERT INTO read.buying_center_members_g2 (account_id, member_id, name, position, department,"
            " organisation, roles, influence, attitude, attitude_to_competitor, contact_plan, active, away)"
            " VALUES ('a', 'alice', $1, '', '', '', '{}', 3, 0, 0, '', true, '{}')",
            MARKER,
        )
        await conn.execute(
            "UPDATE projection_generations SET position = 5 WHERE name = $1 AND generation = 2", old.name
        )

        assert await process.fetchval(sql.TRY_LEASE, old.name, 2)  # a process of the newer version runs it
        async with conn.transaction():
            assert await forgetting.empty_unrun_builds(conn, old, 10) == []
        assert await process.fetchval(sql.RELEASE_LEASE, old.name, 2)
        async with conn.transaction():  # the forget at position 5 or before: the build applied it itself
            assert await forgetting.empty_unrun_builds(conn, old, 5) == []
        assert await _plaintext(isolated, 2) == {"buying_center_members": (1, 1), "buying_center_relationships": (0, 0)}

        reading = reader.transaction()  # a reader of the build's table (a pg_dump, say): no TRUNCATE, not waited for
        await reading.start()
        await reader.fetchval("SELECT count(*) FROM read.buying_center_members_g2")
        emptying = conn.transaction()
        await emptying.start()
        assert await asyncio.wait_for(forgetting.empty_unrun_builds(conn, old, 10), 5) == [2]
        assert not await process.fetchval(sql.TRY_LEASE, old.name, 2)  # a process starting now waits for the commit
        await emptying.commit()
        await reading.rollback()
        assert await process.fetchval(sql.TRY_LEASE, old.name, 2)
        assert tuple(await process.fetchrow(sql.CHECKPOINT, old.name, 2)) == (0, "building")
        await process.fetchval(sql.RELEASE_LEASE, old.name, 2)
    assert await _plaintext(isolated, 2) == {"buying_center_members": (0, 0), "buying_center_relationships": (0, 0)}


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
            assert await forgetting.empty_unrun_builds(conn, old, 10) == []
            assert await conn.fetchval("SELECT 1") == 1  # the batch's transaction goes on
        assert tuple(await conn.fetchrow(sql.CHECKPOINT, old.name, 2)) == (5, "building")  # left as it was
    assert "generation 2, of another version that no process runs, keeps rows" in caplog.text
    assert "InsufficientPrivilegeError" in caplog.text
