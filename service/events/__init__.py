"""The event store: an append-only, hash-chained log in PostgreSQL with gap-free subscriptions."""

from service.events.envelope import ENVELOPE_FIELDS, Envelope
from service.events.errors import (
    ConcurrencyError,
    EventStoreError,
    IdempotencyConflict,
    InvalidAppend,
    SubjectForgotten,
    WrongExpectedVersion,
)
from service.events.ids import new_event_id
from service.events.model import (
    ANY,
    NO_STREAM,
    AppendedEvent,
    AppendResult,
    ExpectedVersion,
    Landed,
    NewEvent,
    RecordedEvent,
    StreamAppend,
    StreamState,
)
from service.events.reading import Batch, RangeReader, envelopes_of, events_of
from service.events.store import EventStore, Forgotten
from service.events.upcasting import Upcasters
from service.events.verify import BrokenEvent, VerifyReport

__all__ = [
    "ANY",
    "ENVELOPE_FIELDS",
    "NO_STREAM",
    "AppendResult",
    "AppendedEvent",
    "Batch",
    "BrokenEvent",
    "ConcurrencyError",
    "Envelope",
    "EventStore",
    "EventStoreError",
    "ExpectedVersion",
    "Forgotten",
    "IdempotencyConflict",
    "InvalidAppend",
    "Landed",
    "NewEvent",
    "RangeReader",
    "RecordedEvent",
    "StreamAppend",
    "StreamState",
    "SubjectForgotten",
    "Upcasters",
    "VerifyReport",
    "WrongExpectedVersion",
    "envelopes_of",
    "events_of",
    "new_event_id",
]
