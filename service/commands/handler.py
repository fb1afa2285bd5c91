"""load → decide → append, with optimistic concurrency, If-Match and Idempotency-Key.

- Without If-Match, a concurrent change makes us reload and decide again (the rules are re-checked on
  the new state, so nothing is overwritten blindly); after a few attempts the conflict is reported. A refusal
  decided on several streams, loaded one after another, is answered only once they are seen unchanged together.
- With If-Match (preconditions.py), the stream must be at a version it names: otherwise 412, never a silent
  overwrite. It is judged after deciding, so that 404 and 403 answer first.
- With an Idempotency-Key (idempotency.py), event ids are derived from (actor, key, index), so a retry of
  a request that was stored finds its events and answers as the first time, writing nothing; the same key
  with another request, on this resource or another, is refused. Two requests with one key racing each other write
  once: the loser meets the winner's ids, and answers as its retry (same request) or is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from service.commands.aggregates import encode
from service.commands.idempotency import PAGE, Idempotency, IdempotencyKeyReused, with_derived_ids
from service.commands.preconditions import IfMatch
from service.domain.errors import DomainError, NotAllowed, NotFound
from service.events import NO_STREAM, EventStore, StreamAppend
from service.events.aggregate import AggregateType, Loaded, Repository
from service.events.errors import IdempotencyConflict, WrongExpectedVersion

S = TypeVar("S")

ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class Outcome(Generic[S]):
    stream_id: str
    version: int  # the stream's version after the command: the new ETag
    position: int | None  # global position of the last event written; None when nothing changed
    events: list[Any] = field(default_factory=list)  # domain events, as decided (or as first stored)
    replayed: bool = False
    state: S | None = None  # the state the command was decided on, with the events applied


@dataclass(frozen=True, slots=True)
class Step:
    """One stream of a command: `decide` gets every loaded state by stream id and returns this stream's events."""

    kind: AggregateType[Any, Any]
    stream_id: str
    decide: Callable[[dict[str, Any]], Sequence[Any]]


class CommandHandler:
    def __init__(self, store: EventStore, repository: Repository) -> None:
        self.store = store
        self.repository = repository

    async def execute(
        self,
        kind: AggregateType[S, Any],
        stream_id: str,
        decide: Callable[[S], Sequence[Any]],
        *,
        actor: str,
        metadata: Mapping[str, Any],
        if_match: IfMatch | None = None,
        idempotency: Idempotency | None = None,
    ) -> Outcome[S]:
        """Run `decide(state)` against the stream's current state and append what it returns."""
        step = Step(kind, stream_id, lambda states: decide(states[stream_id]))
        [outcome] = await self.execute_many(
            [step], actor=actor, metadata=metadata, if_match=if_match, idempotency=idempotency
        )
        return outcome

    async def execute_many(
        self,
        steps: Sequence[Step],
        *,
        actor: str,
        metadata: Mapping[str, Any],
        if_match: IfMatch | None = None,
        idempotency: Idempotency | None = None,
    ) -> list[Outcome[Any]]:
        """Decide on several streams and append all their events in one transaction, all or nothing.

        `if_match` applies to the first step's stream (the resource the request names). A stream whose step
        decides nothing was only read, but the decision may rest on it (a project's ally must hold that role in
        the buying center): the append checks its version too, and a change meanwhile means deciding again.
        """
        meta = dict(metadata)
        if idempotency:
            meta |= {"request_hash": idempotency.request_hash}  # the key itself is not stored: it keys the hash
        first = steps[0].stream_id
        for attempt in range(ATTEMPTS):
            # before every attempt: after a conflict, the request that beat this one may have had its key
            if earlier := await self._earlier(steps, actor, idempotency):
                return earlier
            loaded = {s.stream_id: await self.repository.load(s.kind, s.stream_id) for s in steps}
            states = {stream_id: done.state for stream_id, done in loaded.items()}
            now = datetime.now(UTC)  # the events' business time, and the time the returned state is folded with
            # If-Match is judged after deciding, so that a resource the caller may not see, or that is not there,
            # answers 404/403 as it would without the header (RFC 9110, 13.2.1), not a 412 naming its version
            refused = if_match.refusal(first, loaded[first].version) if if_match else None
            try:
                decided = {s.stream_id: list(s.decide(states)) for s in steps}
            except DomainError as refusal:
                # a racing request with this key may have stored between the lookup and the load ("exists")
                if earlier := await self._earlier(steps, actor, idempotency):
                    return earlier
                # the streams are loaded one after another: a command committed on several of them in between leaves
                # a view that never existed, and a refusal decided on it may be the wrong one, or wrong altogether
                if len(steps) > 1 and attempt < ATTEMPTS - 1 and await self._moved(loaded):
                    continue
                if refused and not isinstance(refusal, NotFound | NotAllowed):
                    raise refused from refusal
                raise
            if refused:
                # a racing twin with this key may be what moved the version: answer as it was answered
                if earlier := await self._earlier(steps, actor, idempotency):
                    return earlier
                raise refused
            encoded = with_derived_ids(
                {s.stream_id: [encode(e, now) for e in decided[s.stream_id]] for s in steps}, actor, idempotency
            )
            appends = [
                StreamAppend(
                    stream_id=s.stream_id,
                    stream_type=s.kind.stream_type,
                    expected_version=loaded[s.stream_id].version or NO_STREAM,
                    events=encoded[s.stream_id],
                )
                for s in steps
            ]
            if not any(decided.values()):
                # with a key, "nothing to do" may be because a racing twin did it: answer as it was answered
                if earlier := await self._earlier(steps, actor, idempotency):
                    return earlier
                return [
                    Outcome(s.stream_id, loaded[s.stream_id].version, None, [], state=states[s.stream_id])
                    for s in steps
                ]
            try:
                result = await self.store.append_many(appends, meta)
            except WrongExpectedVersion as conflict:
                if if_match and conflict.stream_id == first and (stale := if_match.refusal(first, conflict.actual)):
                    if earlier := await self._earlier(steps, actor, idempotency):
                        return earlier
                    raise stale from conflict
                if attempt == ATTEMPTS - 1:
                    raise
                continue
            except IdempotencyConflict:  # some of these ids were stored by a racing request with this key
                if idempotency is None or attempt == ATTEMPTS - 1:
                    raise
                continue
            if result.replayed and (earlier := await self._earlier(steps, actor, idempotency)):
                return earlier  # all of them were: answer with what that request stored, if it was this one
            outcomes = []
            for s in steps:
                events, state = decided[s.stream_id], states[s.stream_id]
                for event in events:  # as a fold will see them
                    state = (
                        s.kind.decider.evolve(state, event, now)  # type: ignore[call-arg]
                        if s.kind.timed
                        else s.kind.decider.evolve(state, event)
                    )
                version = result.version(s.stream_id) if events else loaded[s.stream_id].version
                position = result.position if events else None
                outcomes.append(Outcome(s.stream_id, version, position, events, result.replayed, state))
            return outcomes
        raise AssertionError("unreachable")

    async def _moved(self, loaded: Mapping[str, Loaded[Any]]) -> bool:
        """Whether any of these streams is past the version it was loaded at: else, together, they are the present."""
        now = await self.store.stream_versions(list(loaded))
        return any(now[stream_id] != done.version for stream_id, done in loaded.items())

    async def _earlier(
        self, steps: Sequence[Step], actor: str, idempotency: Idempotency | None
    ) -> list[Outcome[Any]] | None:
        """The outcome of the request stored earlier with this key, read back; None when there was none (or no key)."""
        if idempotency is None:
            return None
        stored = await self.store.read_events([idempotency.event_id(actor, 0)])
        if not stored:
            return None
        if stored[0].metadata.get("request_hash") != idempotency.request_hash:
            raise IdempotencyKeyReused(
                "idempotency-key-reused",
                "this Idempotency-Key was used for a different request; use a new key for a new request",
            )
        start = 1
        while found := await self.store.read_events(
            [idempotency.event_id(actor, i) for i in range(start, start + PAGE)]
        ):
            stored += found
            if len(found) < PAGE:
                break
            start += PAGE
        stored.sort(key=lambda e: e.position)
        position = max(e.position for e in stored)
        outcomes = []
        for s in steps:
            mine = [e for e in stored if e.stream_id == s.stream_id]
            # a stream it wrote nothing on (read, or decided nothing) was at the version it was checked at by the
            # append: its version then, not now (a later change would answer an ETag the first answer did not give)
            version = (
                mine[-1].stream_version
                if mine
                else (await self.repository.load(s.kind, s.stream_id, position=position)).version
            )
            outcomes.append(
                Outcome(s.stream_id, version, position if mine else None, [s.kind.decode(e) for e in mine], True)
            )
        return outcomes
