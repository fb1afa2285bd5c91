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
    """Fed rows ordered by (stream, version); an append is the run of a stream's events from one transaction."""

    def __init__(self) -> None:
        self.events = self.streams = 0
        self.broken: list[BrokenEvent] = []
        self._stream: str | None = None
        self._failed = False

    def check(self, row: Mapping[str, Any]) -> None:
        self.events += 1
        if row["stream_id"] != self._stream:
            self._stream, self._failed = row["stream_id"], False
            self._version, self._xid, self._last, self._link = 0, None, b"", b""
            self.streams += 1
        if row["transaction_id"] != self._xid:  # a new append links to the stream's last hash before it
            self._xid, self._link = row["transaction_id"], self._last
        problem = None
        if row["stream_version"] != self._version + 1:
            problem = "version gap"
        elif bytes(row["hash"]) != self._expected_hash(row):
            problem = "hash mismatch"
        if problem and not self._failed:
            self._failed = True
            self.broken.append(BrokenEvent(row["stream_id"], row["stream_version"], row["position"], problem))
        self._version, self._last = row["stream_version"], bytes(row["hash"])

    def _expected_hash(self, row: Mapping[str, Any]) -> bytes:
        digest = event_digest(
            row["stream_id"],
            row["stream_type"],
            row["event_id"],
            row["event_type"],
            row["schema_version"],
            micros(row["occurred_at"]),
            metadata_digest(canonical_json(row["metadata"])),
            canonical_json(row["data"]),
        )
        return chain_hash(self._link, row["position"], row["stream_version"], row["recorded_at"], digest)

    def report(self) -> VerifyReport:
        return VerifyReport(self.events, self.streams, tuple(self.broken))


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
