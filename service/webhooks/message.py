"""The body of one webhook: an event of the log as JSON, the same bytes for every attempt at it, unless a person
it names is forgotten in between (the dispatcher reads such an event again before each attempt)."""

from __future__ import annotations

import orjson

from service.events import RecordedEvent


def body(event: RecordedEvent) -> bytes:
    """`type`, `timestamp` and `data` as the Standard Webhooks spec shapes a payload; personal fields of a
    forgotten subject are null in `payload` and named in `redacted`."""
    return orjson.dumps(
        {
            "type": event.event_type,
            "timestamp": event.recorded_at,
            "data": {
                "event_id": str(event.event_id),
                "position": event.position,
                "stream_id": event.stream_id,
                "stream_type": event.stream_type,
                "stream_version": event.stream_version,
                "schema_version": event.schema_version,
                "occurred_at": event.occurred_at,
                "recorded_at": event.recorded_at,
                "actor": event.metadata.get("actor"),
                "actor_role": event.metadata.get("actor_role"),
                "payload": event.data,
                "redacted": list(event.redacted),
            },
        }
    )
