"""A projection's generations: the live one readers see, and at most one being built beside it.

Lock order of batches: the checkpoint row first (`LOCK_CHECKPOINT ... FOR UPDATE`), then the generation's tables.
A switch locks the views first (and with them the live tables they read), then the checkpoint rows: against a batch
under way that is the other order, but the switch waits at most `sql.SWITCH_LOCK_TIMEOUT` for a lock, well below the
server's deadlock_timeout (1 s by default), so it gives up and is tried again before any deadlock is declared.
A batch that applies a forget goes on to the builds of other versions that no process runs (`unrun_builds`): the
lease's key, the build's checkpoint row, then its tables: each tried, never waited for.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import asyncpg

from service.projections import schema, sql
from service.projections.model import PhysicalTable, Projection

log = logging.getLogger(__name__)

LIVE, BUILDING, RETIRED = "live", "building", "retired"
POSTPONED_LOG_EVERY = 10.0  # seconds between warnings that a switch keeps waiting for readers
_postponed_logged: dict[str, float] = {}


class NewerVersion(Exception):
    """A generation of the projection is of a newer version than this code's: this code must not build it, nor
    replace it with a build of its own (processes running the newer version would stop applying the projection)."""

    def __init__(self, projection: Projection, newer: Generation) -> None:
        super().__init__(
            f"{projection.name} generation {newer.generation} ({newer.status}) is version {newer.version}, newer than "
            f"this code's version {projection.version}: run the rebuild with the kamplan that runs version "
            f"{newer.version}"
        )
        self.newer = newer


@dataclass(frozen=True, slots=True)
class Generation:
    name: str
    generation: int
    version: int
    status: str
    position: int
    events_applied: int

    def at(self, position: int, status: str | None = None) -> Generation:
        return replace(self, position=position, status=status or self.status)


def table_names(projection: Projection, generation: int) -> dict[str, PhysicalTable]:
    return {t.name: PhysicalTable(schema.SCHEMA, f"{t.name}_g{generation}") for t in projection.tables}


async def current(conn: asyncpg.Connection, name: str) -> list[Generation]:
    rows = await conn.fetch(sql.GENERATIONS, name)
    return [Generation(*(r[k] for k in Generation.__slots__)) for r in rows]


def _pick(generations: list[Generation], status: str) -> Generation | None:
    return next((g for g in generations if g.status == status), None)


async def ensure(conn: asyncpg.Connection, projection: Projection) -> list[Generation]:
    """Create the first (live) generation, or a building one when this code's version is newer than the live one."""
    async with conn.transaction():
        await conn.execute(sql.LOCK_PROJECTION, projection.name)
        generations = await current(conn, projection.name)
        live, building = _pick(generations, LIVE), _pick(generations, BUILDING)
        if building is not None and building.version < projection.version:  # a build of older code
            # its tables were never published: a view of one's name may serve the live generation
            made_with = await _retire(conn, projection, building.generation)
            await conn.execute(schema.drop_generation(made_with, building.generation, published=made_with))
            building = None
        if live is None and building is None:
            await _create(conn, projection, LIVE)
        elif live is not None and live.version < projection.version and building is None:
            await _create(conn, projection, BUILDING)
        return await current(conn, projection.name)


async def start_rebuild(conn: asyncpg.Connection, projection: Projection) -> Generation:
    """A building generation of this version: the one under way, or a new one beside the live generation.

    NewerVersion when a generation is of a newer version: built and switched live, this code's generation would
    replace it under the processes that run the newer version, which apply only their own version's generations."""
    await ensure(conn, projection)
    async with conn.transaction():
        await conn.execute(sql.LOCK_PROJECTION, projection.name)
        generations = await current(conn, projection.name)
        if newer := [g for g in generations if g.version > projection.version]:
            raise NewerVersion(projection, newer[-1])
        building = _pick(generations, BUILDING)
        if building is None:
            await _create(conn, projection, BUILDING)
            building = _pick(await current(conn, projection.name), BUILDING)
    assert building is not None
    return building


async def _create(conn: asyncpg.Connection, projection: Projection, status: str) -> None:
    generation = await conn.fetchval(sql.NEXT_GENERATION, projection.name)
    tables = [t.name for t in projection.tables]
    await conn.execute(sql.INSERT_GENERATION, projection.name, generation, projection.version, status, tables)
    for table in projection.tables:
        await conn.execute(schema.create_tables(table, generation))
        if status == LIVE:
            if indexes := schema.create_indexes(table, generation):
                await conn.execute(indexes)
            await conn.execute(schema.publish(table, generation))


async def _retire(conn: asyncpg.Connection, projection: Projection, generation: int) -> list[str]:
    """Retire a generation; the tables it was made with, which may include some this code's version does without."""
    made_with = await conn.fetchval(sql.RETIRE, projection.name, generation)
    await conn.execute(sql.SETTLE_DEBTS, projection.name, generation)
    return [t.name for t in projection.tables] if made_with is None else made_with


async def index(conn: asyncpg.Connection, projection: Projection, generation: Generation) -> None:
    """Create a built generation's secondary indexes (idempotent), before it can go live."""
    async with conn.transaction():
        await conn.execute(sql.INDEX_MEMORY)
        for table in projection.tables:
            if statements := schema.create_indexes(table, generation.generation):
                await conn.execute(statements)


async def switch(conn: asyncpg.Connection, projection: Projection, building: Generation) -> bool:
    """Make `building` live if it has caught up with the live generation; drop the old one's tables.

    One transaction: the views move to the new tables and the old tables go, so a reader sees either
    generation complete, never a mix or nothing.

    The views are locked first, before anything gives the transaction an id, and no lock is waited for longer than
    `sql.SWITCH_LOCK_TIMEOUT`: a reader of a view (a long BI query, a BI transaction left open) postpones the switch to
    a later call instead of queueing every other read of the view behind it, and of holding back every reader of the
    log (a transaction id still running stops them all) for as long as it lasts.
    """
    try:
        return await _switch(conn, projection, building)
    except asyncpg.LockNotAvailableError:
        now = time.monotonic()
        if now - _postponed_logged.get(projection.name, 0.0) >= POSTPONED_LOG_EVERY:
            _postponed_logged[projection.name] = now
            log.warning(
                "projection %s: generation %d has caught up, but its switch waits for readers of the views "
                "(a long query or an open transaction on %s); trying again",
                projection.name,
                building.generation,
                ", ".join(f"{schema.SCHEMA}.{t.name}" for t in projection.tables),
            )
        return False


async def _switch(conn: asyncpg.Connection, projection: Projection, building: Generation) -> bool:
    async with conn.transaction():
        await conn.execute(sql.SWITCH_LOCK_TIMEOUT)
        await conn.execute(sql.LOCK_PROJECTION, projection.name)
        live_tables = await conn.fetch(sql.LIVE_TABLES, projection.name)
        names = {t.name for t in projection.tables}.union(*(r["tables"] or () for r in live_tables))
        for view in await conn.fetch(sql.EXISTING_VIEWS, sorted(names)):
            await conn.execute(f"LOCK TABLE {schema.SCHEMA}.{schema.ident(view['name'])} IN ACCESS EXCLUSIVE MODE")
        rows = {}
        for generation in sorted(g.generation for g in await current(conn, projection.name)):
            row = await conn.fetchrow(sql.LOCK_CHECKPOINT, projection.name, generation)
            rows[generation] = row
        mine = rows.get(building.generation)
        if mine is None or mine["status"] != BUILDING:
            return False
        live = [g for g, row in rows.items() if row["status"] == LIVE]
        if live and mine["position"] < rows[live[0]]["position"]:
            return False  # not caught up yet: readers must never step back in time
        retired = {old: await _retire(conn, projection, old) for old in live}
        await conn.execute(sql.GO_LIVE, projection.name, building.generation)
        await conn.execute(sql.SETTLE_DEBTS, projection.name, building.generation)  # caught up: past every forget
        for table in projection.tables:
            await conn.execute(schema.publish(table, building.generation))
        published = [t.name for t in projection.tables]
        for old, made_with in retired.items():  # the views of tables this version does without go too
            await conn.execute(schema.drop_generation(made_with, old, published))
        return True
