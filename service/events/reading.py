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


def to_envelopes(rows: Sequence[asyncpg.Record]) -> list[RecordedEvent]:
    """Rows of sql.READ_RANGE_ENVELOPES: events whose `data` is empty (nothing to open or upcast) and whose
    `metadata` holds the standard fields (sql.ENVELOPE_METADATA), each as text or None."""
    events = []
    append = events.append
    for row in rows:  # one unpacking and a dict display: slicing rows and zipping cost twice as much
        (position, stream_id, stream_type, stream_version, event_id, event_type, version, _,
         actor, role, team, request, correlation, causation, source, occurred, at) = row  # fmt: skip
        metadata = {
            "actor": actor,
            "actor_role": role,
            "actor_team": team,
            "request_id": request,
            "correlation_id": correlation,
            "causation_id": causation,
            "source": source,
        }
        append(
            RecordedEvent(
                position,
                stream_id,
                stream_type,
                stream_version,
                event_id,
                event_type,
                version,
                {},
                metadata,
                occurred,
                at,
            )
        )
    return events
