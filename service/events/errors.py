"""Errors of the event store.

EventStoreError
 ├── ConcurrencyError            someone else wrote first; reload and decide again
 │    ├── WrongExpectedVersion   the stream is not at the version the caller expected
 │    └── IdempotencyConflict    some, not all, of the event ids are stored already
 ├── SubjectForgotten            personal data offered for a subject that was forgotten
 └── InvalidAppend               the append itself is malformed (a programming error)
"""

from __future__ import annotations

from uuid import UUID


class EventStoreError(Exception):
    """Base of every error the event store raises on purpose."""


class ConcurrencyError(EventStoreError):
    """The append lost a race; nothing of it was written."""


class WrongExpectedVersion(ConcurrencyError):
    def __init__(self, stream_id: str, expected: int | str, actual: int) -> None:
        super().__init__(f"stream {stream_id!r} is at version {actual}, expected {expected}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class IdempotencyConflict(ConcurrencyError):
    def __init__(self, stored: list[UUID], missing: list[UUID]) -> None:
        super().__init__(
            f"{len(stored)} of the event ids are stored already and {len(missing)} are not: "
            "a retry must repeat the original append exactly"
        )
        self.stored = stored
        self.missing = missing


class SubjectForgotten(EventStoreError):
    def __init__(self, subject_id: str) -> None:
        super().__init__(f"subject {subject_id!r} was forgotten; its personal data cannot be recorded again")
        self.subject_id = subject_id


class InvalidAppend(EventStoreError, ValueError):
    """An append that could never succeed: no events, a stream named twice, a naive datetime …"""
