"""An event without its payload, exactly as the server returns it: for readers of the envelope only."""

from __future__ import annotations

from datetime import datetime
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
_METADATA = slice(6, 6 + len(ENVELOPE_METADATA))


class Envelope(asyncpg.Record):
    """A row of sql.READ_RANGE_ENVELOPES: its items are ENVELOPE_FIELDS in order, and it has the attributes of
    `RecordedEvent` that an envelope carries.

    It is the row asyncpg decodes, not a copy: a rebuild of the audit log reads a million of these, and the
    audit log writes them out as they are (its columns are ENVELOPE_FIELDS). Building an object per event
    and a tuple per row again cost a quarter of that rebuild's CPU.
    """

    __slots__ = ()

    @property
    def position(self) -> int:
        return self[0]  # type: ignore[no-any-return]

    @property
    def event_id(self) -> UUID:
        return self[1]  # type: ignore[no-any-return]

    @property
    def stream_id(self) -> str:
        return self[2]  # type: ignore[no-any-return]

    @property
    def stream_type(self) -> str:
        return self[3]  # type: ignore[no-any-return]

    @property
    def stream_version(self) -> int:
        return self[4]  # type: ignore[no-any-return]

    @property
    def event_type(self) -> str:
        return self[5]  # type: ignore[no-any-return]

    @property
    def metadata(self) -> dict[str, str | None]:
        """The standard metadata fields, as text or None (other keys are not read)."""
        return dict(zip(ENVELOPE_METADATA, self[_METADATA], strict=True))

    @property
    def occurred_at(self) -> datetime:
        return self[-2]  # type: ignore[no-any-return]

    @property
    def recorded_at(self) -> datetime:
        return self[-1]  # type: ignore[no-any-return]
