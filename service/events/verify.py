"""Recompute every stream's hash chain from the stored rows and report the first broken event of each."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from service.events import sql
from service.events.hashing import canonical_json, chain_hash, event_digest, metadata_digest, micros


@dataclass(frozen=True, slots=True)
class BrokenEvent:
    stream_id: str
    stream_version: int
    position: int
    problem: str  # "hash mismatch" | "version gap"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    events: int
    streams: int
    broken: tuple[BrokenEvent, ...]

    @property
    def ok(self) -> bool:
        return not self.broken


class ChainChecker:
    """Fed rows ordered by (stream, version); an append is the run of a stream's events from one transaction.

    An append is checked whole, under the digest rule of its time: chained (each event's digest names the one
    before it in the append, hashing.event_digest) or, for appends written before that rule, unchained. Either
    way its last hash is the link the next append was written with, so an append whose hashes were all rewritten
    under the older rule, to cover an edit inside it, breaks the next one.
    """

    def __init__(self) -> None:
        self.events = self.streams = 0
        self.broken: list[BrokenEvent] = []
        self._append: list[Mapping[str, Any]] = []
        self._stream: str | None = None

    def check(self, row: Mapping[str, Any]) -> None:
        self.events += 1
        if row["stream_id"] != self._stream:
            self._close_append()
            self._stream, self._failed = row["stream_id"], False
            self._version, self._last = 0, b""
            self.streams += 1
        elif self._append and row["transaction_id"] != self._append[0]["transaction_id"]:
            self._close_append()
        self._append.append(row)

    def _close_append(self) -> None:
        """Judge the buffered append: its events up to the first version gap, then the first that fails both rules."""
        rows, self._append = self._append, []
        if not rows:
            return
        link = self._last
        intact = next((k for k, r in enumerate(rows) if r["stream_version"] != self._version + 1 + k), len(rows))
        explained = _matching(rows[:intact], link, chained=True)
        if 0 < explained < intact:  # maybe an append written before the chained rule (the rules differ from its 2nd)
            explained = max(explained, _matching(rows[:intact], link, chained=False))
        if explained < len(rows):
            problem = "hash mismatch" if explained < intact else "version gap"
            self._report(rows[explained], problem)
        self._version, self._last = rows[-1]["stream_version"], bytes(rows[-1]["hash"])

    def _report(self, row: Mapping[str, Any], problem: str) -> None:
        if not self._failed:
            self._failed = True
            self.broken.append(BrokenEvent(row["stream_id"], row["stream_version"], row["position"], problem))

    def report(self) -> VerifyReport:
        self._close_append()
        return VerifyReport(self.events, self.streams, tuple(self.broken))


def row_digest(row: Mapping[str, Any], previous: bytes = b"") -> bytes:
    """The writer's digest of a stored event (hashing.event_digest), `previous` the one before it in its append."""
    return event_digest(
        row["stream_id"],
        row["stream_type"],
        row["event_id"],
        row["event_type"],
        row["schema_version"],
        micros(row["occurred_at"]),
        metadata_digest(canonical_json(row["metadata"])),
        canonical_json(row["data"]),
        previous,
    )


def _matching(rows: list[Mapping[str, Any]], link: bytes, chained: bool) -> int:
    """How many of an append's events, from its first, verify under one digest rule."""
    previous = b""
    for k, row in enumerate(rows):
        digest = row_digest(row, previous if chained else b"")
        if bytes(row["hash"]) != chain_hash(link, row["position"], row["stream_version"], row["recorded_at"], digest):
            return k
        previous = digest
    return len(rows)


async def verify(
    pool: asyncpg.Pool, stream_id: str | None = None, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """One consistent snapshot, streamed through a server-side cursor; `progress` every 100,000 events."""
    checker = ChainChecker()
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        async for row in conn.cursor(sql.VERIFY_ROWS, stream_id, prefetch=2000):
            checker.check(row)
            if progress and checker.events % 100_000 == 0:
                progress(checker.events)
    return checker.report()
