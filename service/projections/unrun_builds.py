"""A forget reaches the builds of another version that no process runs (an upgrade rolled back): it empties them, at
once, or as soon as the process that held one's lease is gone.

Such a build has no runner: the code that could refold its rows is gone, and they would keep the person in clear for as
long as it stays away. So the runner that applies a forget, of whichever generation of the projection, in order or ahead
of a failing batch (`forgetting`), empties in the same transaction each such build that holds rows of positions before
it, and sets its checkpoint back to zero: should its version run again, it builds the generation from the log, where the
person reads redacted.

A build whose lease a process holds is not emptied: it owes the forget instead (a row of `projection_forget_debts`,
the forget's position, migration 0018). Its holder may be alive, and then applies the forget itself, in order, as its
code knows its rows: once its checkpoint passes the forget it owes nothing, and the debt needs no clearing. Or it stops
for good before it gets there (the upgrade rolled back at that very moment): then PostgreSQL releases the lease with its
session, and every runner that applies forgets to the projection, at each pass of its supervision, empties the builds
of another version that owe a forget and whose lease it can take for the transaction. Waiting for the lease instead
would hold the forget's batch, and the live generation with it, for as long as the holder lives (a rolling upgrade's
hours); breaking it would kill a process about to apply the forget itself. The lease is an advisory lock, so "no
process holds it" is exactly "its holder is gone, or let go of it": which one cannot be told apart, and a build whose
process lets go of its lease while it owes a forget (between two attempts of a failing batch) is emptied then too, and
starts over once. A build that cannot be emptied (its tables another role's, say) owes the forget too, and each pass
tries again.

The debt is an insert in the forget's own transaction, not in a savepoint: it commits with the forget, or neither does
and the batch is tried again, so no forget is ever applied without it. It waits for no lock (no key to check), where
0017's mark, an update of the build's checkpoint row, waited for its holder's batch under way: under a lock_timeout it
failed and was lost, and a holder hung mid-batch held the forget up.

Lock order, after the forget's own checkpoint row (and tables): the build's lease key (tried, for the transaction: a
process of its version that starts meanwhile fails to lease it and tries again a poll later, then reads the checkpoint
reset), its checkpoint row (tried: a retirement under way holds it a moment, and the build owes the forget instead;
read again there, so one retired or moved past the forget meanwhile is left alone), its tables (tried: a reader of
them, a pg_dump say, is not waited for; the rows are deleted instead). The forget's batch waits for no lock of a build.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import asyncpg

from service.logs import handles_event_data
from service.projections import schema, sql
from service.projections.folding import SUBJECT_FORGOTTEN
from service.projections.generations import BUILDING, Generation
from service.projections.model import Projection

log = handles_event_data(logging.getLogger(__name__))  # a database error may quote a row's values
FAILED_LOG_EVERY = 60.0  # seconds between errors logged for an owing build that cannot be emptied
_failed_logged: dict[tuple[str, int], float] = {}


async def empty_unrun_builds(conn: asyncpg.Connection, projection: Projection, position: int) -> list[int]:
    """In the transaction applying a forget at `position`: empty every build of another version than this code's
    that holds rows of positions before it and that no process runs, and set its checkpoint to zero; the generations
    emptied. One whose lease a process holds owes the forget, and so does one that cannot be emptied (its tables
    belong to another role, say: logged, and tried again at each pass of the supervision): the forget itself, in the
    caller's generation, must not wait on it."""
    candidates = await conn.fetch(sql.UNRUN_BEFORE, projection.name, projection.version, position)
    emptied = []
    for generation in (r["generation"] for r in candidates):
        try:
            async with conn.transaction():  # a savepoint: what fails here is undone, and the batch goes on
                if await conn.fetchval(sql.TRY_LEASE_IN_TRANSACTION, projection.name, generation):
                    if await empty(conn, projection, generation, sql.LOCK_UNRUN, position):
                        emptied.append(generation)
                    continue  # else it holds no rows (at zero), or was retired or passed the forget meanwhile
        except asyncpg.LockNotAvailableError:
            pass  # its row is locked a moment (newer code retiring it, say): not waited for, it owes the forget
        except asyncpg.PostgresError:
            log.exception(
                "projection %s: generation %d, of another version that no process runs, keeps rows from before the "
                "forget at position %d: emptying it failed (tried again at each pass of the supervision)",
                projection.name, generation, position,
            )  # fmt: skip
        # not in a savepoint: should the debt fail to commit, so does the forget, and its batch is tried again
        await conn.execute(sql.OWE_FORGET, projection.name, generation, position)
    return emptied


async def owed(conn: asyncpg.Connection, name: str, generation: int) -> int | None:
    """The position of the latest forget the build owes, paid or not (None: none since it was last emptied)."""
    return await conn.fetchval(sql.OWED, name, generation)


async def empty_owing_builds(
    conn: asyncpg.Connection, projection: Projection, generations: Sequence[Generation]
) -> list[int]:
    """Outside a transaction, at each pass of the supervision (`generations` as it read them): empty every build of
    another version that owes a forget and whose lease no process holds; the generations emptied. Costs no query
    unless a build of another version holds rows."""
    if SUBJECT_FORGOTTEN not in (projection.event_types or ()) or not any(
        g.status == BUILDING and g.version != projection.version and g.position > 0 for g in generations
    ):
        return []
    emptied = []
    for row in await conn.fetch(sql.OWING, projection.name, projection.version):
        generation, owed = row["generation"], row["forget_owed"]
        try:
            async with conn.transaction():
                let_go = await conn.fetchval(sql.TRY_LEASE_IN_TRANSACTION, projection.name, generation)
                done = let_go and await empty(conn, projection, generation, sql.LOCK_OWING)  # else its holder lives
        except asyncpg.PostgresError:
            now = time.monotonic()
            if now - _failed_logged.get((projection.name, generation), 0.0) >= FAILED_LOG_EVERY:
                _failed_logged[(projection.name, generation)] = now
                log.exception(
                    "projection %s: generation %d, of another version that no process runs, owes the forget at "
                    "position %d: emptying it failed (tried again at each pass)",
                    projection.name, generation, owed,
                )  # fmt: skip
            continue
        if done:
            emptied.append(generation)
            report(projection, [generation], owed)
    return emptied


def report(projection: Projection, emptied: Sequence[int], position: int) -> None:
    """Log the builds a forget at `position` emptied, once the transaction that emptied them has committed."""
    for generation in emptied:
        log.warning(
            "projection %s: generation %d, of another version that no process runs, held rows from before the "
            "forget at position %d: emptied, it builds again from position 0 if its version runs again",
            projection.name, generation, position,
        )  # fmt: skip


async def empty(conn: asyncpg.Connection, projection: Projection, generation: int, lock: str, *args: int) -> bool:
    """Empty a generation of another version and set its checkpoint to zero, with its lease key held for the
    transaction: `lock` checks it again under its row lock (whether it was emptied). A build, or a newer live one."""
    row = await conn.fetchrow(lock, projection.name, generation, projection.version, *args)
    if row is None:  # retired (by newer code), moved on, or emptied, meanwhile
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
    await conn.execute(sql.SETTLE_DEBTS, projection.name, generation)
    return True
