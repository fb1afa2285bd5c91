"""Group commit: appends waiting at the same moment share one statement and one commit.

Each append ("unit") stays all-or-nothing: the statement inserts a unit only when every one of its
streams is at the expected version, and reports nothing for the others, which are then classified
(stale version, idempotent replay, half-matching retry). A unique violation, the sign of a race with
another process or of a replay under ANY, splits the batch so that no unit pays for another's error.
Two units touching the same stream never share a batch, so a stream gets at most one append per
transaction, which is what delimits an append in the hash chain.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from service.events import sql
from service.events.codec import jsonb
from service.events.errors import (
    ConcurrencyError,
    IdempotencyConflict,
    InvalidAppend,
    WrongExpectedVersion,
)
from service.events.model import ANY, NO_STREAM, AppendedEvent, AppendResult, StreamAppend
from service.events.upcasting import Upcasters
from service.metrics import APPEND_BATCH_EVENTS

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


@dataclass(eq=False)
class Unit:
    """One caller's append, encoded once, waiting for a batch."""

    appends: Sequence[StreamAppend]
    slots: list[tuple[str, str, int | None, bytes]]  # stream id, type, expected (None = any), metadata
    events: list[tuple[int, Any, str, int, bytes, datetime | None]]  # offset, id, type, version, data, occurred
    streams: frozenset[str]
    future: asyncio.Future[AppendResult] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    attempts: int = 0


def encode_unit(appends: Sequence[StreamAppend], metadata: dict[str, Any], upcasters: Upcasters) -> Unit:
    """Validate and encode an append; errors here reach the caller before anything is queued."""
    if not appends:
        raise InvalidAppend("an append needs at least one stream")
    streams = [a.stream_id for a in appends]
    if len(set(streams)) != len(streams):
        raise InvalidAppend("a stream may appear only once in an append")
    meta = jsonb(metadata)
    slots, events = [], []
    for a in appends:
        if not a.stream_id or not a.stream_type:
            raise InvalidAppend("stream id and stream type must not be empty")
        if not a.events:
            raise InvalidAppend(f"no events for stream {a.stream_id!r}")
        slots.append((a.stream_id, a.stream_type, _expected(a.expected_version), meta))
        for offset, e in enumerate(a.events, 1):
            if e.occurred_at is not None and e.occurred_at.utcoffset() is None:
                raise InvalidAppend(f"{e.event_type}: occurred_at must carry a time zone")
            if e.personal:
                raise InvalidAppend(f"{e.event_type}: personal fields must be sealed before writing")
            version = e.schema_version or upcasters.current_version(e.event_type)
            events.append((offset, e.event_id, e.event_type, version, jsonb(e.data), e.occurred_at))
    return Unit(appends=appends, slots=slots, events=events, streams=frozenset(streams))


def _expected(expected: object) -> int | None:
    if expected is ANY:
        return None
    if expected is NO_STREAM:
        return 0
    if isinstance(expected, int) and not isinstance(expected, bool) and expected >= 0:
        return expected
    raise InvalidAppend(f"expected version must be ANY, NO_STREAM or a version >= 0, not {expected!r}")


def _parameters(batch: Sequence[Unit]) -> list[list[Any]]:
    slot_cols: list[list[Any]] = [[], [], [], [], []]
    event_cols: list[list[Any]] = [[], [], [], [], [], [], []]
    for unit_no, unit in enumerate(batch, 1):
        first_slot = len(slot_cols[0]) + 1
        for stream_id, stream_type, expected, meta in unit.slots:
            for col, value in zip(slot_cols, (unit_no, stream_id, stream_type, expected, meta), strict=True):
                col.append(value)
        slot = first_slot - 1
        for offset, event_id, event_type, version, data, occurred_at in unit.events:
            slot += offset == 1
            row = (slot, offset, event_id, event_type, version, data, occurred_at)
            for col, value in zip(event_cols, row, strict=True):
                col.append(value)
    return slot_cols + event_cols


async def append_on(conn: asyncpg.Connection, unit: Unit) -> AppendResult:
    """Append one unit on the caller's connection (inside the caller's transaction, if any)."""
    rows = await conn.fetch(sql.APPEND, *_parameters([unit]))
    if len(rows) == len(unit.events):
        return _result(unit, rows)
    raise await _classify(conn, unit) or ConcurrencyError("append lost a race; retry it")


def _result(unit: Unit, rows: Sequence[asyncpg.Record], replayed: bool = False) -> AppendResult:
    by_id = {r["event_id"]: r for r in rows}
    appended = tuple(
        AppendedEvent(e[1], by_id[e[1]]["stream_id"], by_id[e[1]]["stream_version"], by_id[e[1]]["position"])
        for e in unit.events
    )
    return AppendResult(appended, rows[0]["recorded_at"], replayed)


async def _classify(conn: asyncpg.Connection, unit: Unit) -> Exception | AppendResult | None:
    """Why a unit was not written: a replay (its result), a conflict (the error) or None (retry it)."""
    ids = [e[1] for e in unit.events]
    stored = await conn.fetch(sql.EVENTS_BY_ID, ids)
    if stored:
        expected_stream = {e[1]: s[0] for s, e in _events_with_slots(unit)}
        if len(stored) == len(ids) and all(r["stream_id"] == expected_stream[r["event_id"]] for r in stored):
            return _result(unit, stored, replayed=True)
        found = {r["event_id"] for r in stored}
        return IdempotencyConflict([i for i in ids if i in found], [i for i in ids if i not in found])
    heads = {r["stream_id"]: r["version"] for r in await conn.fetch(sql.STREAM_HEADS, list(unit.streams))}
    for append, (stream_id, _, expected, _) in zip(unit.appends, unit.slots, strict=True):
        if expected is not None and heads[stream_id] != expected:
            label = "no_stream" if append.expected_version is NO_STREAM else expected
            return WrongExpectedVersion(stream_id, label, heads[stream_id])
    return None


def _events_with_slots(unit: Unit) -> list[tuple[tuple[str, str, int | None, bytes], tuple[Any, ...]]]:
    out, slot = [], -1
    for e in unit.events:
        slot += e[0] == 1
        out.append((unit.slots[slot], e))
    return out


class GroupCommitWriter:
    """Queues appends and writes them in batches, at most `max_inflight` statements at a time."""

    def __init__(self, pool: asyncpg.Pool, *, max_inflight: int = 2, max_batch_events: int = 10_000) -> None:
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
                    self._busy_streams -= unit.streams

    def _take_batch(self) -> list[Unit]:
        batch: list[Unit] = []
        size, claimed, skipped = 0, set(self._busy_streams), deque[Unit]()
        while self._pending and size < self._max_batch_events:
            unit = self._pending.popleft()
            if unit.future.done():
                continue
            if unit.streams & claimed or (batch and size + len(unit.events) > self._max_batch_events):
                skipped.append(unit)
                continue
            batch.append(unit)
            claimed |= unit.streams
            size += len(unit.events)
        self._pending.extendleft(reversed(skipped))
        self._busy_streams |= {s for u in batch for s in u.streams}
        return batch

    async def _write_batch(self, batch: list[Unit]) -> None:
        raced = False
        try:
            async with self._pool.acquire() as conn:
                try:
                    rows = await conn.fetch(sql.APPEND, *_parameters(batch))
                except asyncpg.UniqueViolationError:
                    raced, rows = len(batch) > 1, []
                if not raced:
                    await self._settle(conn, batch, rows)
        except Exception as error:  # connection lost, server error: the outcome of the batch is unknown
            for unit in batch:
                _resolve(unit, error)
            return
        if raced:
            for unit in batch:  # isolate the unit that raced; the others go through untouched
                await self._write_batch([unit])

    async def _settle(self, conn: asyncpg.Connection, batch: list[Unit], rows: list[asyncpg.Record]) -> None:
        APPEND_BATCH_EVENTS.observe(len(rows))
        by_id = {r["event_id"]: r for r in rows}
        for unit in batch:
            mine = [by_id[e[1]] for e in unit.events if e[1] in by_id]
            if len(mine) == len(unit.events):
                _resolve(unit, _result(unit, mine))
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


def _resolve(unit: Unit, outcome: AppendResult | Exception) -> None:
    if unit.future.done():
        return
    if isinstance(outcome, Exception):
        unit.future.set_exception(outcome)
    else:
        unit.future.set_result(outcome)
