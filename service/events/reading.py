"""Stored rows into RecordedEvents (personal fields opened or redacted, payloads upcast), or into Envelopes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

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
    for row, (data, redacted) in zip(rows, opened, strict=True):
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
            )
        )
    return events


E = TypeVar("E", RecordedEvent, Envelope)
RangeReader = Callable[[asyncpg.Connection, int, int, int], Awaitable[list[E]]]
"""(conn, after, upto, limit) → the first `limit` events after position `after`, of those at or below `upto`."""


def read_events(upcasters: Upcasters) -> RangeReader[RecordedEvent]:
    async def read(conn: asyncpg.Connection, after: int, upto: int, limit: int) -> list[RecordedEvent]:
        return await to_events(conn, await conn.fetch(sql.READ_RANGE, after, upto, limit), upcasters)

    return read


async def read_envelopes(conn: asyncpg.Connection, after: int, upto: int, limit: int) -> list[Envelope]:
    return await conn.fetch(sql.READ_RANGE_ENVELOPES, after, upto, limit, record_class=Envelope)  # type: ignore[no-any-return]
