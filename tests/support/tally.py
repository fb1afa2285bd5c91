"""A tiny aggregate for testing the machinery: named counters that can be bumped and reset."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.domain.decider import Decider
from service.events import RecordedEvent
from service.events.aggregate import AggregateType


@dataclass(frozen=True, slots=True)
class Bumped:
    key: str
    by: int
    note: str | None = None  # personal in some tests


@dataclass(frozen=True, slots=True)
class Reset:
    key: str


@dataclass(frozen=True, slots=True)
class Tally:
    counts: dict[str, int] = field(default_factory=dict)
    last_note: str | None = None


def evolve(state: Tally, event: Bumped | Reset) -> Tally:
    match event:
        case Bumped(key=key, by=by, note=note):
            return Tally({**state.counts, key: state.counts.get(key, 0) + by}, note or state.last_note)
        case Reset(key=key):
            return Tally({k: v for k, v in state.counts.items() if k != key}, state.last_note)
    return state


def decode(event: RecordedEvent) -> Bumped | Reset:
    return Bumped(**event.data) if event.event_type == "Bumped" else Reset(**event.data)


TALLY = AggregateType(
    stream_type="tally",
    decider=Decider(initial_state=Tally, decide=lambda state, command: [], evolve=evolve),
    decode=decode,
    state_to_json=lambda state: {"counts": state.counts, "last_note": state.last_note},
    state_from_json=lambda data: Tally(dict(data["counts"]), data["last_note"]),
)


def bumped(key: str, by: int = 1) -> dict[str, Any]:
    return {"key": key, "by": by}
