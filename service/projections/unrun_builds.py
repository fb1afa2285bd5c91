"""A forget reaches the builds of another version that no process runs (an upgrade rolled back): it empties them.

Such a build has no runner: the code that could refold its rows is gone, and they would keep the person in clear for as
long as it stays away. So the runner that applies a forget, of whichever generation of the projection, in order or ahead
of a failing batch (`forgetting`), empties in the same transaction each such build that holds rows of positions before
it, and sets its checkpoint back to zero: should its version run again, it builds the generation from the log, where the
person reads redacted. A build whose lease a process holds is left alone: that process applies the forget itself.

Lock order, after the forget's own checkpoint row (and tables): the build's lease key (tried, for the transaction: a
process of its version that starts meanwhile fails to lease it and tries again a poll later, then reads the checkpoint
reset), its checkpoint row, its tables (tried: a reader of them, a pg_dump say, is not waited for; the rows are deleted
instead).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg

from service.logs import handles_event_data
from service.projections import schema, sql
from service.projections.model import Projection

log = handles_event_data(logging.getLogger(__name__))  # a database error may quote a row's values


async def empty_unrun_builds(conn: asyncpg.Connection, projection: Projection, position: int) -> list[int]:
    """In the transaction applying a forget at `position`: empty every build of another version than this code's
    that holds rows of positions before it and that no process runs, and set its checkpoint to zero; the generations
    emptied. One that cannot be (its tables belong to another role, say) is logged and left as it was, at the price
    of its rows: the forget itself, in the caller's generation, must not wait on it."""
    candidates = await conn.fetch(sql.UNRUN_BEFORE, projection.name, projection.version, position)
    emptied = []
    for generation in (r["generation"] for r in candidates):
        try:
            async with conn.transaction():  # a savepoint: what fails here is undone, and the batch goes on
                let_go = await conn.fetchval(sql.TRY_LEASE_IN_TRANSACTION, projection.name, generation)
                if let_go and await _empty(conn, projection, generation, sql.LOCK_UNRUN, position):
                    emptied.append(generation)  # else a process of its version runs it, and applies the forget itself
        except asyncpg.PostgresError:
            log.exception(
                "projection %s: generation %d, of another version that no process runs, keeps rows from before the "
                "forget at position %d: emptying it failed (the next forget tries again)",
                projection.name, generation, position,
            )  # fmt: skip
    return emptied


def report(projection: Projection, emptied: Sequence[int], position: int) -> None:
    """Log the builds a forget at `position` emptied, once the transaction that emptied them has committed."""
    for generation in emptied:
        log.warning(
            "projection %s: generation %d, of another version that no process runs, held rows from before the "
            "forget at position %d: emptied, it builds again from position 0 if its version runs again",
            projection.name, generation, position,
        )  # fmt: skip


async def _empty(conn: asyncpg.Connection, projection: Projection, generation: int, lock: str, *args: int) -> bool:
    """With the build's lease key held for the transaction: `lock` checks it again under its row lock."""
    row = await conn.fetchrow(lock, projection.name, generation, projection.version, *args)
    if row is None:  # retired (by newer code), or moved on, meanwhile
        return False
    names = row["tables"] if row["tables"] is not None else [t.name for t in projection.tables]  # before 0009
    existing = await conn.fetch(sql.EXISTING_TABLES, [f"{name}_g{generation}" for name in names])
    tables = ", ".join(f"{schema.SCHEMA}.{schema.ident(r['name'])}" for r in existing)
    if tables:
        try:
            async with conn.transaction():  # TRUNCATE drops the files at once; it needs the tables to itself
                await conn.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE NOWAIT")
                await conn.execute(f"TRUNCATE {tables}")
        except asyncpg.LockNotAvailableError:  # read meanwhile: deleted rows wait for vacuum, as a forget's updates do
            for r in existing:
                await conn.execute(f"DELETE FROM {schema.SCHEMA}.{schema.ident(r['name'])}")
    await conn.execute(sql.RESTART, projection.name, generation)
    return True
