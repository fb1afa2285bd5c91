"""Stored rows into RecordedEvents: personal fields opened (or redacted), payloads upcast."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from service.events.model import RecordedEvent
from service.events.personal import unseal
from service.events.upcasting import Upcasters


async def to_events(
    conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], upcasters: Upcasters
) -> list[RecordedEvent]:
    opened = await unseal(conn, [r["data"] for r in rows])
    return _events(rows, opened, upcasters)


def to_envelopes(rows: Sequence[asyncpg.Record]) -> list[RecordedEvent]:
    """Rows read without their payloads: events whose `data` is empty, nothing to open or upcast."""
    return _events(rows, [({}, ())] * len(rows), None)


def _events(
    rows: Sequence[asyncpg.Record], opened: Sequence[tuple[dict, tuple[str, ...]]], upcasters: Upcasters | None
) -> list[RecordedEvent]:
    latest = upcasters.latest if upcasters else None  # usually empty: then no event needs lifting
    events = []
    for row, (data, redacted) in zip(rows, opened, strict=True):
        event_type, version = row["event_type"], row["schema_version"]
        if latest and upcasters and version < latest.get(event_type, 1):
            version, data = upcasters.upcast(event_type, version, data)
        events.append(
            RecordedEvent(
                position=row["position"],
                stream_id=row["stream_id"],
                stream_type=row["stream_type"],
                stream_version=row["stream_version"],
                event_id=row["event_id"],
                event_type=event_type,
                schema_version=version,
                data=data,
                metadata=row["metadata"],
                occurred_at=row["occurred_at"],
                recorded_at=row["recorded_at"],
                redacted=redacted,
            )
        )
    return events
