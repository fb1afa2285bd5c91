"""Projections of aggregates: rows derived from the state the domain's own evolve() folds.

For each stream a batch touches, the stream is folded up to the batch's last position and the rows
of that aggregate are rewritten. The read tables then equal the aggregate exactly, now and after any
rebuild, and forgetting a person needs no special case: a refold reads their fields back redacted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from service.events import RecordedEvent
from service.events.aggregate import AggregateType
from service.events.reading import to_events
from service.events.sql import _COLUMNS
from service.events.upcasting import Upcasters

READ_STREAMS = f"""
SELECT {_COLUMNS} FROM events
WHERE stream_id = ANY($1::text[]) AND position <= $2
ORDER BY stream_id, stream_version
"""

SUBJECT_FORGOTTEN = "SubjectForgotten"


async def fold_streams(
    conn: asyncpg.Connection, kind: AggregateType[Any, Any], stream_ids: Iterable[str], up_to: int
) -> dict[str, Any]:
    """Each stream's state after its last event at or below global position `up_to`."""
    ids = sorted(set(stream_ids))
    rows = await conn.fetch(READ_STREAMS, ids, up_to)
    states = {stream_id: kind.decider.initial_state() for stream_id in ids}
    for event in await to_events(conn, rows, Upcasters()):
        states[event.stream_id] = kind.apply(states[event.stream_id], event)
    return states


def touched(events: Sequence[RecordedEvent], stream_type: str) -> set[str]:
    return {e.stream_id for e in events if e.stream_type == stream_type}


def forgotten_subjects(events: Sequence[RecordedEvent]) -> list[str]:
    return [e.data["subject_id"] for e in events if e.event_type == SUBJECT_FORGOTTEN]
