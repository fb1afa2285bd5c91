"""An append encoded for the group-commit statement (sql.APPEND), and that statement's answer decoded.

A `Unit` is one caller's append, validated and turned into columns once, before it waits for a batch.
A batch's units become the statement's parameters, slots first and then events, in the same order; the
one row the statement returns is mapped back to the units it wrote.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from service.db.pool import JSONB_VERSION
from service.events.errors import InvalidAppend
from service.events.hashing import NUL_REFUSED, canonical_json, event_digest, holds_nul, metadata_digest, micros
from service.events.model import ANY, NO_STREAM, AppendResult, Landed, StreamAppend
from service.events.upcasting import Upcasters

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
    # NUL is refused here, before the batch statement: the server would fail the whole batch, others included
    if holds_nul(meta):
        raise InvalidAppend(f"metadata {NUL_REFUSED}")
    meta_jsonb, meta_digest = JSONB_VERSION + meta, metadata_digest(meta)
    now = datetime.now(UTC)
    unit = Unit(appends, [], [], [], [], [], [], [], [], [], [], [])
    occurred_at, occurred = now, micros(now)  # events of an append mostly share one time: convert it once
    for a in appends:
        if not a.stream_id or not a.stream_type:
            raise InvalidAppend("stream id and stream type must not be empty")
        if "\x00" in a.stream_id or "\x00" in a.stream_type:
            raise InvalidAppend(f"stream id or type {NUL_REFUSED}")
        if not a.events and a.expected_version is ANY:  # no events: a check of the stream's version, no more
            raise InvalidAppend(f"no events for stream {a.stream_id!r}, and no version to check")
        unit.streams.append(a.stream_id)
        unit.stream_types.append(a.stream_type)
        unit.expected.append(_expected(a.expected_version))
        unit.metadata.append(meta_jsonb)
        unit.sizes.append(len(a.events))
        previous = b""  # the digest of the event before, in this stream's part of the append (hashing.event_digest)
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
            if holds_nul(data) or "\x00" in e.event_type:
                raise InvalidAppend(f"{e.event_type!r}: {NUL_REFUSED}")
            unit.ev_id.append(e.event_id)
            unit.ev_type.append(e.event_type)
            unit.ev_version.append(version)
            unit.ev_data.append(JSONB_VERSION + data)
            unit.ev_occurred.append(occurred)
            previous = event_digest(
                a.stream_id, a.stream_type, e.event_id, e.event_type, version, occurred, meta_digest, data, previous
            )
            unit.ev_digest.append(previous)
    if not unit.ev_id:
        raise InvalidAppend("an append needs at least one event")
    return unit


def _expected(expected: object) -> int | None:
    if expected is ANY:
        return None
    if expected is NO_STREAM:
        return 0
    if isinstance(expected, int) and not isinstance(expected, bool) and expected >= 0:
        return expected
    raise InvalidAppend(f"expected version must be ANY, NO_STREAM or a version >= 0, not {expected!r}")


def batch_parameters(batch: Sequence[Unit]) -> list[list[Any]]:
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


def written_results(batch: Sequence[Unit], written: asyncpg.Record) -> dict[Unit, AppendResult]:
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
        if size:  # a stream only checked landed nothing
            landed.append(Landed(stream_id, range(head + 1, head + 1 + size), tuple(positions[first : first + size])))
        first += size
    return AppendResult(tuple(unit.ev_id), tuple(landed), recorded_at)


def replayed_result(unit: Unit, stored: Sequence[asyncpg.Record]) -> AppendResult:
    """The result of the earlier appends that stored these events, from the rows they wrote (a retry may repeat
    events that different appends stored, so their versions need not be consecutive)."""
    ids: list[UUID] = []
    landed: list[Landed] = []
    for stream_id, size in zip(unit.streams, unit.sizes, strict=True):
        if not size:  # only checked
            continue
        rows = sorted((r for r in stored if r["stream_id"] == stream_id), key=lambda r: r["stream_version"])
        ids += (r["event_id"] for r in rows)
        landed.append(Landed(stream_id, tuple(r["stream_version"] for r in rows), tuple(r["position"] for r in rows)))
    return AppendResult(tuple(ids), tuple(landed), stored[0]["recorded_at"], replayed=True)
