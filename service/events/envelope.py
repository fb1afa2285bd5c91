"""An event without its payload, exactly as the server returns it: for readers of the envelope only."""

from __future__ import annotations

from datetime import datetime
from operator import itemgetter
from typing import Any
from uuid import UUID

import asyncpg

# The standard metadata fields the API writes (service/api/deps.py), extracted as text by the server.
ENVELOPE_METADATA = ("actor", "actor_role", "actor_team", "request_id", "correlation_id", "causation_id", "source")
ENVELOPE_FIELDS = (
    "position",
    "event_id",
    "stream_id",
    "stream_type",
    "stream_version",
    "event_type",
    *ENVELOPE_METADATA,
    "occurred_at",
    "recorded_at",
)
_METADATA = slice(ENVELOPE_FIELDS.index(ENVELOPE_METADATA[0]), ENVELOPE_FIELDS.index(ENVELOPE_METADATA[-1]) + 1)


def _item(name: str) -> Any:
    """A read-only attribute for the row's item `name`, at its place in ENVELOPE_FIELDS."""
    return property(itemgetter(ENVELOPE_FIELDS.index(name)))


class Envelope(asyncpg.Record):
    """A row of sql.READ_RANGE_ENVELOPES: its items are ENVELOPE_FIELDS in order, and it has the attributes of
    `RecordedEvent` that an envelope carries.

    It is the row asyncpg decodes, not a copy: a rebuild of the audit log reads a million of these, and the
    audit log writes them out as they are (its columns are ENVELOPE_FIELDS). Building an object per event
    and a tuple per row again cost a quarter of that rebuild's CPU.
    """

    __slots__ = ()

    position: int = _item("position")
    event_id: UUID = _item("event_id")
    stream_id: str = _item("stream_id")
    stream_type: str = _item("stream_type")
    stream_version: int = _item("stream_version")
    event_type: str = _item("event_type")
    occurred_at: datetime = _item("occurred_at")
    recorded_at: datetime = _item("recorded_at")

    @property
    def metadata(self) -> dict[str, str | None]:
        """The standard metadata fields, as text or None (other keys are not read)."""
        return dict(zip(ENVELOPE_METADATA, self[_METADATA], strict=True))
