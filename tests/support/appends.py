"""What the event-store append tests share: a stream id of its own and a new event, in one call each."""

from __future__ import annotations

import uuid

from service.events import NewEvent


def sid(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4()}"


def ev(kind: str = "Happened", **data: object) -> NewEvent:
    return NewEvent(event_type=kind, data=data)
