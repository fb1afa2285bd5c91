"""Generations of `buying_centers` for the forgetting tests: a newer version's build, paused or abandoned, a live
one stuck on a failing batch, and what their rows hold."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, ClassVar

import asyncpg

from service.events import RecordedEvent
from service.projections import generations as gens
from service.projections.buying_centers import BuyingCenters
from service.projections.model import TableNames
from service.projections.runner import ProjectionRunner
from tests.conftest import IsolatedDb, caught_up
from tests.support.webhooks import eventually

MARKER = "Alice Secret-4711"


async def member_names(db: IsolatedDb, table: str = "buying_center_members") -> list[str | None]:
    async with db.pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT name FROM read.{table} ORDER BY name NULLS FIRST")
    return [r["name"] for r in rows]


async def generations(db: IsolatedDb, name: str = "buying_centers") -> list[tuple]:
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


async def all_rows(db: IsolatedDb, name: str, generation: int) -> dict[str, list[str]]:
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


class NewerCode(BuyingCenters):
    """The next version of the projection."""

    version = BuyingCenters.version + 1


class HeldRunner(ProjectionRunner):
    """Holds every batch past `hold_after` until `go` is set, outside its transaction (`holding` is set meanwhile): the
    newer code's process paused (a rolling upgrade halted, say) with a batch it read in hand."""

    def __init__(self, *args: Any, hold_after: int, **options: Any) -> None:
        super().__init__(*args, **options)
        self.hold_after, self.go, self.holding = hold_after, asyncio.Event(), asyncio.Event()

    async def _apply_batch(self, projection: Any, generation: Any, lease: Any, names: Any, batch: Any) -> Any:
        if batch.events and batch.events[-1].position > self.hold_after:
            self.holding.set()
            await self.go.wait()
        return await super()._apply_batch(projection, generation, lease, names, batch)


async def plaintext(db: IsolatedDb, generation: int) -> dict[str, tuple[int, int]]:
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


async def abandon(newer: HeldRunner) -> None:
    """Every process of the newer version goes back to the older code (its batch in hand is never applied)."""
    task = asyncio.create_task(newer.run())
    try:
        await eventually(lambda: generations(newer.store), lambda g: len(g) == 2 and g[1][3] >= newer.hold_after)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def abandon_newer_build(db: IsolatedDb, hold_after: int) -> None:
    """The newer version builds its generation one event a batch up to `hold_after`, then every process of it goes back
    to the older code (`abandon`)."""
    await abandon(
        HeldRunner(
            db.store, [NewerCode(db.store.upcasters)], hold_after=hold_after, batch_size=1, build_batch_size=1,
            poll_seconds=0.1,
        )
    )  # fmt: skip


async def rebuilt_like(db: IsolatedDb, rows: dict[str, list[str]]) -> None:
    """A fresh rebuild of the newer version, from the log as it reads now, gives `rows`, the live generation's."""
    async with db.pool.acquire() as conn:
        await gens.start_rebuild(conn, NewerCode(db.store.upcasters))
    await eventually(lambda: generations(db), lambda g: [s for _, _, s, *_ in g] == ["retired"] * 2 + ["live"])
    await caught_up(db, ["buying_centers"])
    assert await all_rows(db, "buying_centers", 3) == rows
