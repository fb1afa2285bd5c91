"""Stored rows into RecordedEvents (personal fields opened or redacted, payloads upcast), or into Envelopes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import asyncpg

from service.events import sql
from service.events.envelope import Envelope
from service.events.model import RecordedEvent
from service.events.personal import unseal
from service.events.upcasting import Upcasters


async def to_events(
    conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], upcasters: Upcasters
) -> list[RecordedEvent]:
    opened = await unseal(conn, [r["data"] for r in rows])
    latest = upcasters.latest  # usually empty: then no event needs lifting
    events = []
    append = events.append
    # Rows carry sql._COLUMNS in order; unpacking and positional arguments keep this loop cheap, as it
    # runs for every event of a rebuild.
    for row, (data, redacted, personal) in zip(rows, opened, strict=True):
        position, stream_id, stream_type, stream_version, event_id, event_type, version, _, metadata, occurred, at = row
        if latest and version < latest.get(event_type, 1):
            version, data = upcasters.upcast(event_type, version, data)
        append(
            RecordedEvent(
                position,
                stream_id,
                stream_type,
                stream_version,
                event_id,
                event_type,
                version,
                data,
                metadata,
                occurred,
                at,
                redacted,
                personal,
            )
        )
    return events


E = TypeVar("E", RecordedEvent, Envelope)


@dataclass(frozen=True, slots=True)
class Batch(Generic[E]):
    """What one read of a range of the log gave: the events of the types asked for, and `through`, the
    position read up to (every event up to it was read; those of other types were skipped). `full`: the
    read stopped at its limit, so more may follow right away."""

    events: list[E]
    through: int
    full: bool


RangeReader = Callable[[asyncpg.Connection, int, int, int], Awaitable[Batch[E]]]
"""(conn, after, upto, limit) → of the first `limit` rows after position `after` that are at or below `upto`,
the events of the types the reader wants (all, when it names none)."""


def events_of(upcasters: Upcasters, types: Collection[str] | None = None) -> RangeReader[RecordedEvent]:
    """Full events; with `types`, only events of those types are decoded and returned."""
    wanted = None if types is None else frozenset(types)
    parameter = None if wanted is None else sorted(wanted)

    async def read(conn: asyncpg.Connection, after: int, upto: int, limit: int) -> Batch[RecordedEvent]:
        if wanted is None:
            rows = await conn.fetch(sql.READ_RANGE, after, upto, limit)
        else:  # rows of other types come too, to show how far the read got, but without their payloads
            rows = await conn.fetch(sql.READ_RANGE_OF_TYPES, after, upto, limit, parameter)
        through, full = _extent(rows, upto, limit)
        if wanted is not None:
            rows = [r for r in rows if r["event_type"] in wanted]
        return Batch(await to_events(conn, rows, upcasters), through, full)

    return read


def envelopes_of(types: Collection[str] | None = None) -> RangeReader[Envelope]:
    """Envelopes (no payloads); with `types`, only those of events of those types."""
    wanted = None if types is None else frozenset(types)

    async def read(conn: asyncpg.Connection, after: int, upto: int, limit: int) -> Batch[Envelope]:
        envelopes: list[Envelope] = await conn.fetch(
            sql.READ_RANGE_ENVELOPES, after, upto, limit, record_class=Envelope
        )
        through, full = _extent(envelopes, upto, limit)
        if wanted is not None:
            envelopes = [e for e in envelopes if e.event_type in wanted]
        return Batch(envelopes, through, full)

    return read


def _extent(rows: Sequence[asyncpg.Record], upto: int, limit: int) -> tuple[int, bool]:
    """How far a range read got: to its last row when it stopped at its limit, else to `upto`."""
    full = len(rows) == limit
    return (rows[-1]["position"] if full else upto), full
