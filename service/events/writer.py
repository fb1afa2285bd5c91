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
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from service.db.pool import JSONB_VERSION
from service.events import sql
from service.events.errors import (
    ConcurrencyError,
    IdempotencyConflict,
    InvalidAppend,
    WrongExpectedVersion,
)
from service.events.hashing import canonical_json, event_digest, metadata_digest, micros
from service.events.model import ANY, NO_STREAM, AppendResult, Landed, StreamAppend
from service.events.upcasting import Upcasters
from service.metrics import APPEND_BATCH_EVENTS

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
_EARLIEST, _LATEST = micros(datetime.min.replace(tzinfo=UTC)), micros(datetime.max.replace(tzinfo=UTC))


@dataclass(eq=False)
class Unit:
    """One caller's append, encoded once into columns, waiting for a batch."""

    appends: Sequence[StreamAppend]
    streams: list[str]
    stream_types: list[str]
    expected: list[int | None]  # None = any
    metadata: list[bytes]
    sizes: list[int]  # events per stream slot; the events below are in slot order
    ev_id: list[UUID]
    ev_type: list[str]
    ev_version: list[int]
    ev_data: list[bytes]
    ev_occurred: list[int]  # microseconds since the epoch
    ev_digest: list[bytes]
    future: asyncio.Future[AppendResult] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    attempts: int = 0

    @property
    def stream_set(self) -> frozenset[str]:
        return frozenset(self.streams)

    def stream_of_events(self) -> list[str]:
        return [stream for stream, size in zip(self.streams, self.sizes, strict=True) for _ in range(size)]


def encode_unit(appends: Sequence[StreamAppend], metadata: dict[str, Any], upcasters: Upcasters) -> Unit:
    """Validate, encode and hash an append; errors here reach the caller before anything is queued."""
    if not appends:
        raise InvalidAppend("an append needs at least one stream")
    if len({a.stream_id for a in appends}) != len(appends):
        raise InvalidAppend("a stream may appear only once in an append")
    meta = canonical_json(metadata)
    meta_jsonb, meta_digest = JSONB_VERSION + meta, metadata_digest(meta)
    now = datetime.now(UTC)
    unit = Unit(appends, [], [], [], [], [], [], [], [], [], [], [])
    occurred_at, occurred = now, micros(now)  # events of an append mostly share one time: convert it once
    for a in appends:
        if not a.stream_id or not a.stream_type:
            raise InvalidAppend("stream id and stream type must not be empty")
        if not a.events:
            raise InvalidAppend(f"no events for stream {a.stream_id!r}")
        unit.streams.append(a.stream_id)
        unit.stream_types.append(a.stream_type)
        unit.expected.append(_expected(a.expected_version))
        unit.metadata.append(meta_jsonb)
        unit.sizes.append(len(a.events))
        for e in a.events:
            moment = e.occurred_at or now
            if moment is not occurred_at:
                if moment.utcoffset() is None:
                    raise InvalidAppend(f"{e.event_type}: occurred_at must carry a time zone")
                occurred_at, occurred = moment, micros(moment)
                if not _EARLIEST <= occurred <= _LATEST:  # stored, it could never be read back into a datetime
                    raise InvalidAppend(f"{e.event_type}: occurred_at must fall in the years 1 to 9999 in UTC")
            if e.personal:
                raise InvalidAppend(f"{e.event_type}: personal fields must be sealed before writing")
            version = e.schema_version or upcasters.current_version(e.event_type)
            try:
                data = canonical_json(e.data)
            except TypeError as error:
                raise InvalidAppend(f"{e.event_type}: data is not JSON: {error}") from error
            unit.ev_id.append(e.event_id)
            unit.ev_type.append(e.event_type)
            unit.ev_version.append(version)
            unit.ev_data.append(JSONB_VERSION + data)
            unit.ev_occurred.append(occurred)
            unit.ev_digest.append(
                event_digest(a.stream_id, a.stream_type, e.event_id, e.event_type, version, occurred, meta_digest, data)
            )
    return unit


def _expected(expected: object) -> int | None:
    if expected is ANY:
        return None
    if expected is NO_STREAM:
        return 0
    if isinstance(expected, int) and not isinstance(expected, bool) and expected >= 0:
        return expected
    raise InvalidAppend(f"expected version must be ANY, NO_STREAM or a version >= 0, not {expected!r}")


def _parameters(batch: Sequence[Unit]) -> list[list[Any]]:
    """sql.APPEND's parameters: the batch's slots, then its events, in the same order."""
    units: list[int] = []
    streams: list[str] = []
    types: list[str] = []
    expected: list[int | None] = []
    metadata: list[bytes] = []
    first: list[int] = []
    sizes: list[int] = []
    ids: list[UUID] = []
    event_types: list[str] = []
    versions: list[int] = []
    data: list[bytes] = []
    occurred: list[int] = []
    digests: list[bytes] = []
    for number, unit in enumerate(batch, 1):
        units += [number] * len(unit.streams)
        streams += unit.streams
        types += unit.stream_types
        expected += unit.expected
        metadata += unit.metadata
        start = len(ids) + 1
        for size in unit.sizes:
            first.append(start)
            start += size
        sizes += unit.sizes
        ids += unit.ev_id
        event_types += unit.ev_type
        versions += unit.ev_version
        data += unit.ev_data
        occurred += unit.ev_occurred
        digests += unit.ev_digest
    slots = [units, streams, types, expected, metadata, first, sizes]
    return [*slots, ids, event_types, versions, data, occurred, digests]


async def append_on(conn: asyncpg.Connection, unit: Unit) -> AppendResult:
    """Append one unit on the caller's connection (inside the caller's transaction, if any)."""
    results = _results([unit], await conn.fetchrow(sql.APPEND, *_parameters([unit])))
    if unit in results:
        return results[unit]
    raise await _classify(conn, unit) or ConcurrencyError("append lost a race; retry it")


def _results(batch: Sequence[Unit], written: asyncpg.Record) -> dict[Unit, AppendResult]:
    """The result of each unit the statement wrote. A unit is written whole, so its first slot tells; the
    positions come sorted, which is the order its events were sent in (see sql.APPEND)."""
    heads = dict(zip(written["slots"] or (), written["heads"] or (), strict=True))
    positions = written["positions"] or []
    results: dict[Unit, AppendResult] = {}
    slot, event = 1, 0
    for unit in batch:
        if slot in heads:
            size = len(unit.ev_id)
            unit_heads = [heads[slot + k] for k in range(len(unit.streams))]
            results[unit] = _result(unit, unit_heads, positions[event : event + size], written["recorded_at"])
            event += size
        slot += len(unit.streams)
    return results


def _result(unit: Unit, heads: Sequence[int], positions: Sequence[int], recorded_at: datetime) -> AppendResult:
    """The unit's result: `heads` are its streams' versions before the append, `positions` its events' in order."""
    landed: list[Landed] = []
    first = 0
    for stream_id, head, size in zip(unit.streams, heads, unit.sizes, strict=True):
        landed.append(Landed(stream_id, range(head + 1, head + 1 + size), tuple(positions[first : first + size])))
        first += size
    return AppendResult(tuple(unit.ev_id), tuple(landed), recorded_at)


def _replayed(unit: Unit, stored: Sequence[asyncpg.Record]) -> AppendResult:
    """The result of the earlier appends that stored these events, from the rows they wrote (a retry may repeat
    events that different appends stored, so their versions need not be consecutive)."""
    ids: list[UUID] = []
    landed: list[Landed] = []
    for stream_id in unit.streams:
        rows = sorted((r for r in stored if r["stream_id"] == stream_id), key=lambda r: r["stream_version"])
        ids += (r["event_id"] for r in rows)
        landed.append(Landed(stream_id, tuple(r["stream_version"] for r in rows), tuple(r["position"] for r in rows)))
    return AppendResult(tuple(ids), tuple(landed), stored[0]["recorded_at"], replayed=True)


async def _classify(conn: asyncpg.Connection, unit: Unit) -> Exception | AppendResult | None:
    """Why a unit was not written: a replay (its result), a conflict (the error) or None (retry it)."""
    stored = await conn.fetch(sql.EVENTS_BY_ID, unit.ev_id)
    if stored:
        stream_of = dict(zip(unit.ev_id, unit.stream_of_events(), strict=True))
        if len(stored) == len(unit.ev_id) and all(r["stream_id"] == stream_of[r["event_id"]] for r in stored):
            return _replayed(unit, stored)
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
        raced = False
        try:
            async with self._pool.acquire() as conn:
                try:
                    written = await conn.fetchrow(sql.APPEND, *_parameters(batch))
                except asyncpg.UniqueViolationError:
                    raced, written = len(batch) > 1, None
                if not raced:
                    await self._settle(conn, batch, written)
        except Exception as error:  # connection lost, server error: the outcome of the batch is unknown
            for unit in batch:
                _resolve(unit, error)
            return
        if raced:
            for unit in batch:  # isolate the unit that raced; the others go through untouched
                await self._write_batch([unit])

    async def _settle(self, conn: asyncpg.Connection, batch: list[Unit], written: asyncpg.Record | None) -> None:
        """Hand each written unit its result and classify the others."""
        results = _results(batch, written) if written is not None else {}
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


def _resolve(unit: Unit, outcome: AppendResult | Exception) -> None:
    if unit.future.done():
        return
    if isinstance(outcome, Exception):
        unit.future.set_exception(outcome)
    else:
        unit.future.set_result(outcome)
