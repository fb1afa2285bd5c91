"""Projections of aggregates: rows derived from the state the domain's own evolve() folds.

For each stream a batch touches, the stream is folded up to the batch's last position and the rows
of that aggregate are rewritten. The read tables then equal the aggregate exactly, now and after any
rebuild, and forgetting a person needs little: a refold reads their fields back redacted.

Folding does not read from the store what it already holds: the batch carries every event of the
streams it touches in its range (a folding projection handles all of its aggregate's event types), and
a bounded cache keeps the states folded for earlier batches. Only the events between the two are read.
Without that, a rebuild would read a long stream again for every batch that touches it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg

from service.events import RecordedEvent
from service.events.aggregate import AggregateType
from service.events.reading import to_events
from service.events.sql import _COLUMNS
from service.events.upcasting import Upcasters
from service.projections.model import PhysicalTable, TableNames

S = TypeVar("S")

# Per stream, the events after `after` and before `before` (the first one the batch carries), up to the batch.
READ_GAPS = f"""
SELECT {", ".join("e." + c.strip() for c in _COLUMNS.split(","))}
FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS s(stream_id, after, before)
JOIN events e ON e.stream_id = s.stream_id AND e.stream_version > s.after AND e.stream_version < s.before
WHERE e.position <= $4
ORDER BY e.stream_id, e.stream_version
"""

SUBJECT_FORGOTTEN = "SubjectForgotten"
_NO_EVENT = 2**62  # `before` for a stream the batch does not carry: read all of it up to the batch


@dataclass(frozen=True, slots=True)
class Folded(Generic[S]):
    states: dict[str, S]  # every requested stream's state after its last event at or below the batch's end
    started: frozenset[str]  # streams whose first event is in this batch: no rows of theirs exist yet

    def stale(self, prefix: str) -> list[str]:
        """Ids (stream ids without `prefix`) of the folded streams whose old rows may need deleting."""
        return [s.removeprefix(prefix) for s in self.states if s not in self.started]


@dataclass(frozen=True, slots=True)
class _Cached:
    version: int
    position: int
    state: Any


class StreamFolder(Generic[S]):
    """Folds the streams of one aggregate type that batches touch; one per projection instance.

    A cached state is the fold of the stream's first v events as they read when they were read, so it
    stays valid across batch transactions that roll back. There is one cache per `scope` (the generation
    being applied: a live and a building generation run side by side), because each generation's cache is
    dropped when *its* batch records that a person was forgotten: states cached before may hold that
    person's fields in clear, and a refold from the store reads them redacted. A shared cache could be
    refilled from another generation's batch read before the forget. Every event read after the forget
    comes redacted, so one clear per generation suffices.
    """

    SCOPES = 2  # a live and a building generation; a third scope evicts the least recently used

    def __init__(self, kind: AggregateType[S, Any], upcasters: Upcasters, capacity: int = 10_000) -> None:
        self.kind = kind
        self.upcasters = upcasters  # the store's: events read here are lifted as every other read lifts them
        self.capacity = capacity
        self._caches: OrderedDict[Hashable, OrderedDict[str, _Cached]] = OrderedDict()

    async def fold(
        self,
        conn: asyncpg.Connection,
        scope: Hashable,
        events: Sequence[RecordedEvent],
        also: Iterable[str] = (),
        through: int | None = None,
    ) -> Folded[S]:
        """The states of the streams of this type that `events` touch, and of `also`, as of `through` (by default
        `events[-1]`; events of those streams in `events` must not lie beyond it)."""
        cache = self._scoped(scope)
        if any(e.event_type == SUBJECT_FORGOTTEN for e in events):
            cache.clear()
        up_to = events[-1].position if through is None else through
        carried: dict[str, list[RecordedEvent]] = {}
        for e in events:
            if e.stream_type == self.kind.stream_type:
                carried.setdefault(e.stream_id, []).append(e)
        streams = sorted(carried.keys() | set(also))
        bases: dict[str, _Cached] = {}
        gaps: list[tuple[str, int, int]] = []
        for stream in streams:
            own = carried.get(stream, [])
            if len(own) > 1 and not _contiguous(own):  # cannot happen for a projection of all the type's events
                del carried[stream]
                own = []
            before = own[0].stream_version if own else _NO_EVENT
            cached = cache.get(stream)
            if cached is None or cached.version >= before or cached.position > up_to:
                cached = _Cached(0, 0, self.kind.decider.initial_state())
            bases[stream] = cached
            if cached.version + 1 < before:
                gaps.append((stream, cached.version, before))
        read: dict[str, list[RecordedEvent]] = {}
        if gaps:
            ids, afters, befores = zip(*gaps, strict=True)
            rows = await conn.fetch(READ_GAPS, list(ids), list(afters), list(befores), up_to)
            for event in await to_events(conn, rows, self.upcasters):
                read.setdefault(event.stream_id, []).append(event)
        states: dict[str, S] = {}
        apply = self.kind.apply
        for stream in streams:
            base = bases[stream]
            state, last = base.state, None
            for event in (*read.get(stream, ()), *carried.get(stream, ())):
                state, last = apply(state, event), event
            states[stream] = state
            if last is not None:
                self._remember(cache, stream, _Cached(last.stream_version, last.position, state))
        started = frozenset(s for s, own in carried.items() if own[0].stream_version == 1)
        return Folded(states, started)

    def clear(self) -> None:
        """Drop every cached state (see `FoldingProjection.leased`)."""
        self._caches.clear()

    def _scoped(self, scope: Hashable) -> OrderedDict[str, _Cached]:
        cache = self._caches.pop(scope, None)
        self._caches[scope] = cache = OrderedDict() if cache is None else cache
        while len(self._caches) > self.SCOPES:
            self._caches.popitem(last=False)
        return cache

    def _remember(self, cache: OrderedDict[str, _Cached], stream: str, entry: _Cached) -> None:
        cache[stream] = entry
        cache.move_to_end(stream)
        while len(cache) > self.capacity:
            cache.popitem(last=False)


class FoldingProjection:
    """Base of the projections whose rows are folds of one aggregate type's streams."""

    folder: StreamFolder[Any]

    def leased(self) -> None:
        """The runner took this generation's lease (again): while this process did not hold it, another may
        have applied batches, a forget among them, so a state cached before may hold a forgotten person's
        fields in clear. Fold afresh from the store, which reads them redacted."""
        self.folder.clear()


class ForgettingProjection(FoldingProjection):
    """Base of the folding projections with personal columns. They apply `SubjectForgotten` by refolding the streams
    whose rows name the person: in order, as any event (`apply`), and ahead of a checkpoint that a failing batch
    holds back (`forget`), so that the person does not stay readable until the batch is mended."""

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent]) -> None:
        await self.refold(conn, tables, events, events[-1].position)

    async def forget(
        self, conn: asyncpg.Connection, tables: TableNames, forgets: Sequence[RecordedEvent], through: int
    ) -> None:
        """Apply `forgets`, recorded after the checkpoint `through`, to the rows as they stand there. Those rows are
        the fold of the events up to `through` as they read now, and once a key is deleted its person's events read
        redacted at every position: refolded up to `through`, the rows are what a rebuild up to there gives now,
        not rows running ahead of the checkpoint."""
        await self.refold(conn, tables, forgets, through)

    async def refold(
        self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent], through: int
    ) -> None:
        """Rewrite the rows of the streams `events` touch, and of those whose rows name a person they forget, as
        folded up to `through`."""
        raise NotImplementedError


def _contiguous(events: list[RecordedEvent]) -> bool:
    first = events[0].stream_version
    return all(e.stream_version == first + i for i, e in enumerate(events))


async def naming_forgotten(
    conn: asyncpg.Connection, events: Sequence[RecordedEvent], table: PhysicalTable, column: str, prefix: str
) -> set[str]:
    """Streams (`prefix` + account id) whose rows in `table` name, in `column`, a person this batch forgets:
    those streams must be refolded too, so that their rows read the person back redacted."""
    subjects = [e.data["subject_id"] for e in events if e.event_type == SUBJECT_FORGOTTEN]
    if not subjects:
        return set()
    rows = await conn.fetch(f"SELECT DISTINCT account_id FROM {table} WHERE {column} = ANY($1::text[])", subjects)
    return {prefix + r["account_id"] for r in rows}
