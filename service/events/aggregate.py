"""Loading an aggregate: now, as of a moment, or as of a position, with snapshots that keep long streams fast.

Snapshots hold the folded state at every SNAPSHOT_EVERY-th version a fold passes, so an as-of load at any
moment starts at most that many events before it. They are disposable: deleting them only costs time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson

from service.domain.decider import Decider
from service.events import sql
from service.events.codec import dumps
from service.events.model import RecordedEvent
from service.events.store import EventStore
from service.logs import handles_event_data

log = handles_event_data(logging.getLogger(__name__))  # errors here may quote event data

SNAPSHOT_EVERY = 200

S = TypeVar("S")
E = TypeVar("E")


@dataclass(frozen=True)
class AggregateType(Generic[S, E]):
    """How to rebuild one kind of aggregate from its stream: the domain's decider plus codecs."""

    stream_type: str
    decider: Decider[Any, E, S]
    decode: Callable[[RecordedEvent], E]  # stored event → domain event
    state_to_json: Callable[[S], dict[str, Any]]
    state_from_json: Callable[[dict[str, Any]], S]
    snapshot_version: int = 1  # bump when the state's shape changes: old snapshots are then ignored
    timed: bool = False  # evolve(state, event, occurred_at): the domain keeps when things happened

    def apply(self, state: S, event: RecordedEvent) -> S:
        """One step of the fold: the domain's own evolve on the decoded event."""
        if self.timed:
            return self.decider.evolve(state, self.decode(event), event.occurred_at)  # type: ignore[call-arg]
        return self.decider.evolve(state, self.decode(event))

    @property
    def snapshot_type(self) -> str:
        return f"{self.stream_type}@{self.snapshot_version}"


@dataclass(frozen=True, slots=True)
class Loaded(Generic[S]):
    state: S
    version: int  # stream version folded up to (the ETag); 0 for a stream that did not exist yet
    position: int  # global position of that event; 0 if none
    recorded_at: datetime | None
    events_folded: int  # after the snapshot the load started from


class Repository:
    """Folds streams with the domain's own evolve(); writes snapshots as folds pass their versions."""

    def __init__(self, store: EventStore, snapshot_every: int = SNAPSHOT_EVERY) -> None:
        self.store = store
        self.snapshot_every = snapshot_every

    async def load(
        self,
        kind: AggregateType[S, E],
        stream_id: str,
        *,
        as_of: datetime | None = None,
        position: int | None = None,
    ) -> Loaded[S]:
        """The state after the stream's last event recorded at or before `as_of` and at or below `position`."""
        async with self.store.pool.acquire() as conn:
            row = await conn.fetchrow(sql.LATEST_SNAPSHOT, stream_id, kind.snapshot_type, as_of, position)
        snap = row if row["state"] is not None else None
        # json, not jsonb: the text keeps the order in which the fold inserted each map's keys (migration 0005)
        state = kind.state_from_json(orjson.loads(snap["state"])) if snap else kind.decider.initial_state()
        version, at, recorded = (
            (snap["stream_version"], snap["position"], snap["recorded_at"]) if snap else (0, 0, None)
        )
        events = await self.store.read_stream(stream_id, from_version=version, as_of=as_of, max_position=position)
        fresh: list[tuple[int, int, datetime, dict[str, Any]]] = []
        for event in events:
            state = kind.apply(state, event)
            if event.stream_version % self.snapshot_every == 0:
                fresh.append((event.stream_version, event.position, event.recorded_at, kind.state_to_json(state)))
        if events:
            version, at, recorded = events[-1].stream_version, events[-1].position, events[-1].recorded_at
        if fresh:
            await self._save(stream_id, kind.snapshot_type, fresh, seen=row["seen"])
        return Loaded(state, version, at, recorded, len(events))

    async def _save(
        self, stream_id: str, snapshot_type: str, fresh: list[tuple[int, int, datetime, dict]], *, seen: str
    ) -> None:
        """`seen`: the transactions the load began with, so that a forget it did not see keeps its state unsaved."""
        versions, positions, times, states = zip(*fresh, strict=True)
        try:
            async with self.store.pool.acquire() as conn, conn.transaction():
                await conn.execute(sql.SNAPSHOT_LOCK_SHARED)
                await conn.execute(
                    sql.SAVE_SNAPSHOTS,
                    stream_id,
                    snapshot_type,
                    list(versions),
                    list(positions),
                    list(times),
                    [dumps(s).decode() for s in states],
                    seen,
                )
        except Exception:  # a snapshot is an optimisation: never fail a read for it
            log.warning("could not save snapshots", exc_info=True, extra={"stream_id": stream_id})
