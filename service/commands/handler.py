"""load → decide → append, with optimistic concurrency, If-Match and Idempotency-Key.

- Without If-Match, a concurrent change makes us reload and decide again (the rules are re-checked on
  the new state, so nothing is overwritten blindly); after a few attempts the conflict is reported.
- With If-Match, the client's version must be the stream's: otherwise 412, never a silent overwrite.
- With an Idempotency-Key, event ids are derived from (actor, key), so a retry of a request that was
  stored finds its events and answers as the first time, writing nothing; the same key with another
  request is refused.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from service.commands.aggregates import encode
from service.domain.errors import DomainError
from service.events import NO_STREAM, EventStore, NewEvent
from service.events.aggregate import AggregateType, Loaded, Repository
from service.events.errors import WrongExpectedVersion

S = TypeVar("S")

ATTEMPTS = 4
IDEMPOTENCY_NAMESPACE = uuid.UUID("c478e8f1-261a-5b8f-8e39-ebf5620379ab")  # uuid5(URL, "https://kamplan/idempotency")
MAX_EVENTS_PER_COMMAND = 64  # how many derived ids a retry looks up


class PreconditionFailed(DomainError):
    """If-Match named a version the stream is no longer (or not yet) at."""

    status = 412


class IdempotencyKeyReused(DomainError):
    status = 422


@dataclass(frozen=True, slots=True)
class Idempotency:
    key: str
    request_hash: str  # of method, path and body: the same key with another request is refused

    def event_ids(self, actor: str, stream_id: str) -> list[uuid.UUID]:
        return [
            uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{actor}\x1f{self.key}\x1f{stream_id}\x1f{i}")
            for i in range(MAX_EVENTS_PER_COMMAND)
        ]

    def derive(self, actor: str, what: str) -> str:
        """An id the command creates (an account, a member): the same on every retry."""
        return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{actor}\x1f{self.key}\x1f{what}"))


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\x1f".join((method.encode(), path.encode(), body))).hexdigest()


@dataclass(frozen=True, slots=True)
class Outcome(Generic[S]):
    stream_id: str
    version: int  # the stream's version after the command: the new ETag
    position: int | None  # global position of the last event written; None when nothing changed
    events: list[Any] = field(default_factory=list)  # domain events, as decided (or as first stored)
    replayed: bool = False
    state: S | None = None  # the state the command was decided on, with the events applied


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
        if_match: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Outcome[S]:
        """Run `decide(state)` against the stream's current state and append what it returns."""
        ids = idempotency.event_ids(actor, stream_id) if idempotency else None
        if ids and (earlier := await self._earlier(kind, stream_id, ids, idempotency)):  # type: ignore[arg-type]
            return earlier
        meta = dict(metadata)
        if idempotency:
            meta |= {"idempotency_key": idempotency.key, "request_hash": idempotency.request_hash}
        for attempt in range(ATTEMPTS):
            loaded: Loaded[S] = await self.repository.load(kind, stream_id)
            if if_match is not None and if_match != loaded.version:
                raise _stale(stream_id, if_match, loaded.version)
            decided = list(decide(loaded.state))
            if not decided:
                return Outcome(stream_id, loaded.version, None, [], state=loaded.state)
            new = [encode(e) for e in decided]
            if ids:
                new = [NewEvent(**{**_fields(e), "event_id": ids[i]}) for i, e in enumerate(new)]
            try:
                result = await self.store.append(stream_id, kind.stream_type, loaded.version or NO_STREAM, new, meta)
            except WrongExpectedVersion as conflict:
                if if_match is not None:
                    raise _stale(stream_id, if_match, conflict.actual) from conflict
                if attempt == ATTEMPTS - 1:
                    raise
                continue
            state = loaded.state
            for event in decided:
                state = kind.decider.evolve(state, event)
            return Outcome(stream_id, result.version(stream_id), result.position, decided, result.replayed, state)
        raise AssertionError("unreachable")

    async def _earlier(
        self, kind: AggregateType[S, Any], stream_id: str, ids: list[uuid.UUID], idempotency: Idempotency
    ) -> Outcome[S] | None:
        stored = await self.store.read_events(ids)
        if not stored:
            return None
        if stored[0].metadata.get("request_hash") != idempotency.request_hash:
            raise IdempotencyKeyReused(
                "idempotency-key-reused",
                "this Idempotency-Key was used for a different request; use a new key for a new request",
            )
        return Outcome(
            stream_id,
            stored[-1].stream_version,
            stored[-1].position,
            [kind.decode(e) for e in stored],
            replayed=True,
        )


def _fields(event: NewEvent) -> dict[str, Any]:
    return {f: getattr(event, f) for f in NewEvent.__dataclass_fields__}


def _stale(stream_id: str, expected: int, actual: int) -> PreconditionFailed:
    return PreconditionFailed(
        "precondition-failed",
        f"If-Match names version {expected}, but the resource is at version {actual}; reload and retry",
        stream_id=stream_id,
        expected_version=expected,
        actual_version=actual,
    )
