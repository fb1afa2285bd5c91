"""Group commit: appends waiting at the same moment share one statement and one commit.

Each append ("unit", see encoding.py) stays all-or-nothing: the statement inserts a unit only when every
one of its streams is at the expected version, and reports nothing for the others, which are then
classified (stale version, idempotent replay, half-matching retry). A server error on a batch of
several units splits it, so that no unit pays for another's error: a unique violation (the sign of a race
with another process or of a replay under ANY) is then classified, any other error fails its unit alone.
Two units touching the same stream never share a batch, so a stream gets at most one append per
transaction, which is what delimits an append in the hash chain.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

import asyncpg

from service.events import sql
from service.events.encoding import Unit, batch_parameters, replayed_result, written_results
from service.events.errors import ConcurrencyError, IdempotencyConflict, WrongExpectedVersion
from service.events.model import NO_STREAM, AppendResult
from service.metrics import APPEND_BATCH_EVENTS

MAX_ATTEMPTS = 8


async def append_on(conn: asyncpg.Connection, unit: Unit) -> AppendResult:
    """Append one unit on the caller's connection (inside the caller's transaction, if any)."""
    results = written_results([unit], await _append(conn, [unit]))
    if unit in results:
        return results[unit]
    raise await _classify(conn, unit) or ConcurrencyError("append lost a race; retry it")


async def _classify(conn: asyncpg.Connection, unit: Unit) -> Exception | AppendResult | None:
    """Why a unit was not written: a replay (its result), a conflict (the error) or None (retry it)."""
    stored = await conn.fetch(sql.EVENTS_BY_ID, unit.ev_id)
    if stored:
        stream_of = dict(zip(unit.ev_id, unit.stream_of_events(), strict=True))
        if len(stored) == len(unit.ev_id) and all(r["stream_id"] == stream_of[r["event_id"]] for r in stored):
            return replayed_result(unit, stored)
        found = {r["event_id"] for r in stored}
        return IdempotencyConflict([i for i in unit.ev_id if i in found], [i for i in unit.ev_id if i not in found])
    heads = {r["stream_id"]: r["version"] for r in await conn.fetch(sql.STREAM_HEADS, unit.streams)}
    for append, stream_id, expected in zip(unit.appends, unit.streams, unit.expected, strict=True):
        if expected is not None and heads[stream_id] != expected:
            label = "no_stream" if append.expected_version is NO_STREAM else expected
            return WrongExpectedVersion(stream_id, label, heads[stream_id])
    return None


class GroupCommitWriter:
    """Queues appends and writes them in batches, at most `max_inflight` statements at a time."""

    def __init__(self, pool: asyncpg.Pool, *, max_inflight: int = 4, max_batch_events: int = 500) -> None:
        self._pool = pool
        self._max_inflight = max_inflight
        self._max_batch_events = max_batch_events
        self._pending: deque[Unit] = deque()
        self._busy_streams: set[str] = set()
        self._drainers: set[asyncio.Task[None]] = set()

    async def write(self, unit: Unit) -> AppendResult:
        # a caller cancelled while waiting must not leave an unretrieved exception behind
        unit.future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._pending.append(unit)
        self._kick()
        return await asyncio.shield(unit.future)

    def _kick(self) -> None:
        while len(self._drainers) < self._max_inflight and self._pending:
            task = asyncio.get_running_loop().create_task(self._drain())
            self._drainers.add(task)
            task.add_done_callback(self._drained)

    def _drained(self, task: asyncio.Task[None]) -> None:
        self._drainers.discard(task)
        if self._pending and not self._drainers:
            self._kick()  # units left behind because their streams were busy

    async def _drain(self) -> None:
        while batch := self._take_batch():
            try:
                await self._write_batch(batch)
            finally:
                for unit in batch:
                    self._busy_streams -= unit.stream_set

    def _take_batch(self) -> list[Unit]:
        batch: list[Unit] = []
        size, claimed, skipped = 0, set(self._busy_streams), deque[Unit]()
        while self._pending and size < self._max_batch_events:
            unit = self._pending.popleft()
            if unit.future.done():
                continue
            if unit.stream_set & claimed or (batch and size + len(unit.ev_id) > self._max_batch_events):
                skipped.append(unit)
                continue
            batch.append(unit)
            claimed |= unit.stream_set
            size += len(unit.ev_id)
        self._pending.extendleft(reversed(skipped))
        self._busy_streams |= {s for u in batch for s in u.streams}
        return batch

    async def _write_batch(self, batch: list[Unit]) -> None:
        split = False
        try:
            async with self._pool.acquire() as conn:
                try:
                    written = await _append(conn, batch)
                except asyncpg.PostgresError as error:  # the statement failed and wrote nothing
                    if len(batch) == 1 and not isinstance(error, asyncpg.UniqueViolationError):
                        raise
                    split, written = len(batch) > 1, None
                if not split:
                    await self._settle(conn, batch, written)
        except Exception as error:  # the unit's own server error, or a lost connection: outcome unknown
            for unit in batch:
                _resolve(unit, error)
            return
        if split:
            for unit in batch:  # isolate the unit at fault; the others go through untouched
                await self._write_batch([unit])

    async def _settle(self, conn: asyncpg.Connection, batch: list[Unit], written: asyncpg.Record | None) -> None:
        """Hand each written unit its result and classify the others."""
        results = written_results(batch, written) if written is not None else {}
        APPEND_BATCH_EVENTS.observe(sum(len(r.event_ids) for r in results.values()))
        for unit in batch:
            if unit in results:
                _resolve(unit, results[unit])
            else:
                await self._settle_failed(conn, unit)

    async def _settle_failed(self, conn: asyncpg.Connection, unit: Unit) -> None:
        outcome = await _classify(conn, unit)
        if outcome is not None:
            _resolve(unit, outcome)
            return
        unit.attempts += 1
        if unit.attempts >= MAX_ATTEMPTS:
            _resolve(unit, ConcurrencyError(f"append lost {MAX_ATTEMPTS} races in a row"))
            return
        self._pending.appendleft(unit)  # the stream moved under an ANY append: simply go again


async def _append(conn: asyncpg.Connection, batch: list[Unit]) -> asyncpg.Record:
    """sql.APPEND for the batch; one with checks first locks its streams (sql.py says why), in the caller's
    transaction or in one of its own, so that the locks last until the commit and APPEND's snapshot, read
    committed, is taken after the wait."""
    parameters = batch_parameters(batch)
    if 0 not in parameters[6]:  # no slot without events: no check
        return await conn.fetchrow(sql.APPEND, *parameters)
    own = contextlib.nullcontext() if conn.is_in_transaction() else conn.transaction(isolation="read_committed")
    async with own:
        await conn.execute(sql.LOCK_FOR_CHECKS, parameters[1], parameters[6])
        return await conn.fetchrow(sql.APPEND, *parameters)


def _resolve(unit: Unit, outcome: AppendResult | Exception) -> None:
    if unit.future.done():
        return
    if isinstance(outcome, Exception):
        unit.future.set_exception(outcome)
    else:
        unit.future.set_result(outcome)
