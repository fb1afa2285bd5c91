"""The event store's vocabulary: what callers append, what they read back, what an append returns."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from typing import Any, NamedTuple
from uuid import UUID

from service.events.ids import new_event_id


class StreamState(enum.Enum):
    """Expected versions that are not a number."""

    ANY = "any"  # append whatever the stream's version is
    NO_STREAM = "no_stream"  # the stream must not exist yet


ANY = StreamState.ANY
NO_STREAM = StreamState.NO_STREAM

ExpectedVersion = int | StreamState
"""An exact version (the number of the stream's last event; 0 = empty), ANY or NO_STREAM."""


Subjects = str | tuple[str, ...]
"""Whose personal data a field is: one subject id, or the ids of every person it is about."""


@dataclass(slots=True, kw_only=True)
class NewEvent:
    """An event to append. `personal` maps top-level data fields to the subject whose data they are (or to
    every subject, for a field about several people: it is forgotten with any one of them).

    Read-only by convention, not `frozen`: a frozen dataclass costs three times as much to build, and a
    batch append builds one per event (bench/append.py).
    """

    event_type: str
    data: Mapping[str, Any]
    event_id: UUID = field(default_factory=new_event_id)
    occurred_at: datetime | None = None  # business time; None means "when recorded"
    schema_version: int | None = None  # None means the newest version known to the upcasters
    personal: Mapping[str, Subjects] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamAppend:
    """Events for one stream, checked against one expected version. With no events it is the check alone: the
    append lands only while the stream is at that version (a decision made on a stream it reads, not writes)."""

    stream_id: str
    stream_type: str
    expected_version: ExpectedVersion
    events: Sequence[NewEvent]


@dataclass(slots=True)
class RecordedEvent:
    """An event as stored, upcast to its newest shape; `redacted` names personal fields now forgotten, and
    `personal` says whether it carries any personal field at all (opened or redacted as of this read).

    Read-only by convention, not `frozen`: a frozen dataclass costs four times as much to build, and a
    rebuild builds millions of these (bench/rebuild.py).
    """

    position: int
    stream_id: str
    stream_type: str
    stream_version: int
    event_id: UUID
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    redacted: tuple[str, ...] = ()
    personal: bool = False


class AppendedEvent(NamedTuple):
    """Where one event landed."""

    event_id: UUID
    stream_id: str
    stream_version: int
    position: int


class Landed(NamedTuple):
    """Where one stream's events of an append landed, in version order."""

    stream_id: str
    versions: Sequence[int]
    positions: Sequence[int]


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where the events landed. `replayed` is true when they had been stored by an earlier, identical append.

    Kept per stream: what the service needs is each stream's new version and the last position, and a batch
    append would otherwise build an object per event that nobody reads. `events` lists them on demand.
    """

    event_ids: tuple[UUID, ...]  # in the order of `streams`, each stream's in version order
    streams: tuple[Landed, ...]
    recorded_at: datetime
    replayed: bool = False

    @property
    def events(self) -> tuple[AppendedEvent, ...]:
        appended: list[AppendedEvent] = []
        for stream_id, versions, positions in self.streams:
            ids = self.event_ids[len(appended) : len(appended) + len(positions)]
            appended += map(AppendedEvent, ids, repeat(stream_id), versions, positions)
        return tuple(appended)

    @property
    def position(self) -> int:
        """The global position of the last event: what read-your-writes waits for."""
        return max(max(landed.positions) for landed in self.streams)

    def version(self, stream_id: str) -> int:
        """The stream's version after this append (its ETag)."""
        for landed in self.streams:
            if landed.stream_id == stream_id:
                return max(landed.versions)
        raise KeyError(f"{stream_id} was not part of this append")
