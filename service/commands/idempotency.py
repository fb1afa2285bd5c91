"""Idempotency-Key: the ids a keyed command derives, so that a retry finds what its first attempt stored."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import uuid
from dataclasses import dataclass, replace

from service.domain.errors import DomainError
from service.events import NewEvent

IDEMPOTENCY_NAMESPACE = uuid.UUID("c478e8f1-261a-5b8f-8e39-ebf5620379ab")  # uuid5(URL, "https://kamplan/idempotency")
PAGE = 64  # derived ids looked up per query when a request was stored before


class IdempotencyKeyReused(DomainError):
    status = 422


@dataclass(frozen=True, slots=True)
class Idempotency:
    key: str
    request_hash: str  # of method, path and body: the same key with another request is refused

    def event_id(self, actor: str, index: int) -> uuid.UUID:
        """The id of the command's `index`-th event, counted over all its streams. Not tied to a stream, so
        that the same key on another resource meets the events of the first request."""
        return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{actor}\x1f{self.key}\x1e{index}")

    def derive(self, actor: str, what: str) -> str:
        """An id the command creates (an account, a member): the same on every retry."""
        return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{actor}\x1f{self.key}\x1f{what}"))


def request_hash(key: str, method: str, path: str, body: bytes) -> str:
    """An HMAC keyed with the Idempotency-Key, which is not stored: a plain digest of the body would let anyone
    who reads the events confirm a guess of what a request held (a forgotten person's name, say)."""
    return hmac.new(key.encode(), b"\x1f".join((method.encode(), path.encode(), body)), hashlib.sha256).hexdigest()


def with_derived_ids(
    events: dict[str, list[NewEvent]], actor: str, idempotency: Idempotency | None
) -> dict[str, list[NewEvent]]:
    """With a key, each event gets its derived id, numbered across the streams in the order of the steps."""
    if idempotency is None:
        return events
    ids = (idempotency.event_id(actor, i) for i in itertools.count())
    return {stream_id: [replace(e, event_id=next(ids)) for e in stream] for stream_id, stream in events.items()}
