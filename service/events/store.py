"""The event store on PostgreSQL: append, read, subscribe, verify and forget a subject."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from service.events import personal, sql
from service.events.encoding import encode_unit
from service.events.errors import InvalidAppend
from service.events.model import ANY, AppendResult, ExpectedVersion, NewEvent, RecordedEvent, StreamAppend
from service.events.reading import Batch, E, RangeReader, events_of, to_events
from service.events.subscription import Fences, Listener, subscribe_batches
from service.events.upcasting import Upcasters
from service.events.verify import VerifyReport, verify
from service.events.writer import GroupCommitWriter, append_on
from service.metrics import APPEND_SECONDS, EVENTS_APPENDED

MAX_VERSION = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Forgotten:
    subject_id: str
    forgotten_at: datetime
    position: int | None  # of the SubjectForgotten event; None if the subject was forgotten before


class EventStore:
    """All access to the `events` table goes through here."""

    def __init__(self, pool: asyncpg.Pool, *, upcasters: Upcasters | None = None, max_inflight: int = 4) -> None:
        self.pool = pool
        self.upcasters = upcasters or Upcasters()
        self._writer = GroupCommitWriter(pool, max_inflight=max_inflight)
        self._listener = Listener(pool)

    async def close(self) -> None:
        await self._listener.close()

    async def append(
        self,
        stream_id: str,
        stream_type: str,
        expected_version: ExpectedVersion,
        events: Sequence[NewEvent],
        metadata: Mapping[str, Any] | None = None,
    ) -> AppendResult:
        """Append `events` to one stream if it is at `expected_version`; all or nothing."""
        return await self.append_many(
            [
                StreamAppend(
                    stream_id=stream_id, stream_type=stream_type, expected_version=expected_version, events=events
                )
            ],
            metadata,
        )

    async def append_many(
        self, appends: Sequence[StreamAppend], metadata: Mapping[str, Any] | None = None
    ) -> AppendResult:
        """Append to several streams atomically, each against its own expected version."""
        started = time.perf_counter()
        if any(e.personal for a in appends for e in a.events):
            async with self.pool.acquire() as conn:
                appends = await personal.seal(conn, appends)
        unit = encode_unit(appends, dict(metadata or {}), self.upcasters)
        result = await self._writer.write(unit)
        APPEND_SECONDS.observe(time.perf_counter() - started)
        if not result.replayed:
            EVENTS_APPENDED.inc(len(result.event_ids))
        return result

    async def read_stream(
        self,
        stream_id: str,
        from_version: int = 0,
        to_version: int | None = None,
        as_of: datetime | None = None,
        *,
        max_position: int | None = None,
    ) -> list[RecordedEvent]:
        """Events after `from_version` up to `to_version`, as the log stood at `as_of` (recorded time) or
        at global position `max_position`."""
        if as_of is not None and as_of.utcoffset() is None:
            raise InvalidAppend("as_of must carry a time zone")
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                sql.READ_STREAM, stream_id, from_version, to_version or MAX_VERSION, as_of, max_position
            )
            return await to_events(conn, _contiguous(rows, from_version), self.upcasters)

    async def read_events(self, event_ids: Sequence[UUID]) -> list[RecordedEvent]:
        """The stored events among `event_ids`, in log order (an idempotent retry finds its first answer)."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql.READ_BY_IDS, list(event_ids))
            return await to_events(conn, rows, self.upcasters)

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Up to `limit` final events after `after_position`: never one that a later commit could precede."""
        fences = Fences(after_position)
        async with self.pool.acquire() as conn:
            for _ in range(50):
                snapshot = await conn.fetchrow(sql.FENCE)
                fences.observe(snapshot["xmin"], snapshot["next_xid"], snapshot["head"])
                if not fences.waiting:
                    break
                await asyncio.sleep(0.01)
            rows = await conn.fetch(sql.READ_RANGE, after_position, fences.safe, limit)
            return await to_events(conn, rows, self.upcasters)

    async def subscribe(
        self, after_position: int = 0, *, batch_size: int = 500, name: str = "subscriber", idle: bool = False
    ) -> AsyncGenerator[list[RecordedEvent], None]:
        """Live batches of every event after `after_position`, in global order, none skipped (see subscription.py).

        With `idle`, an empty batch announces each time the reader has caught up and is about to wait."""
        batches = self.follow(after_position, events_of(self.upcasters), batch_size=batch_size, name=name)
        async with contextlib.aclosing(batches):  # closed with this generator: its listener and stall gauge go too
            async for batch in batches:
                if batch.events or idle:
                    yield batch.events

    def follow(
        self, after_position: int, read: RangeReader[E], *, batch_size: int = 500, name: str = "subscriber"
    ) -> AsyncGenerator[Batch[E], None]:
        """The log as `read` reads it (`events_of(upcasters, types)`, `envelopes_of(types)`), batch by batch with
        how far each got: for readers of some event types that must still record their progress (projections)."""
        return subscribe_batches(
            self.pool, self._listener, read, after_position=after_position, batch_size=batch_size, name=name
        )

    async def head_position(self) -> int:
        async with self.pool.acquire() as conn:
            return int((await conn.fetchrow(sql.FENCE))["head"])

    async def stream_versions(self, stream_ids: Sequence[str]) -> dict[str, int]:
        """Each stream's version, all read at one moment (0 for a stream without events)."""
        async with self.pool.acquire() as conn:
            return {r["stream_id"]: r["version"] for r in await conn.fetch(sql.STREAM_HEADS, list(stream_ids))}

    async def settled_head(self, seconds: float) -> int:
        """The log's head, once every position at or below it is final (subscription.py's proof): whatever commits
        after this returns has a higher position, so a reader starting here misses nothing that commits later.
        TimeoutError when, `seconds` on, a transaction that held an xid then (in any database of the server: the
        proof cannot tell) is still open. Polls at least once, and holds no connection between polls."""
        deadline = time.monotonic() + seconds
        async with self.pool.acquire() as conn:
            first = await conn.fetchrow(sql.FENCE)
        while True:
            async with self.pool.acquire() as conn:
                xmin = (await conn.fetchrow(sql.FENCE))["xmin"]
            if xmin >= first["next_xid"]:
                return int(first["head"])
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the log's head {first['head']} did not settle within {seconds:g} s")
            await asyncio.sleep(0.01)

    async def verify(self, stream_id: str | None = None, progress: Callable[[int], None] | None = None) -> VerifyReport:
        """Recompute every stream's hash chain; report the first broken event of each stream."""
        return await verify(self.pool, stream_id, progress)

    async def knows_subject(self, subject_id: str) -> bool:
        """Whether personal data of the subject was ever stored (forgotten since or not); a subject forgotten in
        advance, before anything of theirs was written, was not."""
        async with self.pool.acquire() as conn:
            return bool(await conn.fetchval(sql.SUBJECT_KNOWN, subject_id))

    async def forget_subject(self, subject_id: str, metadata: Mapping[str, Any] | None = None) -> Forgotten:
        """Destroy the subject's key and record that it happened, in one transaction; idempotent."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(sql.SNAPSHOT_LOCK_EXCLUSIVE)
            await conn.execute(sql.PURGE_SUBJECT_SNAPSHOTS, subject_id)  # they hold decrypted state
            forgotten_at = await conn.fetchval(sql.FORGET_NEW_SUBJECT, subject_id)
            if forgotten_at is None:
                forgotten_at = await conn.fetchval(sql.LOCK_SUBJECT, subject_id)
                if forgotten_at is not None:
                    return Forgotten(subject_id, forgotten_at, None)
                forgotten_at = await conn.fetchval(sql.DESTROY_SUBJECT_KEY, subject_id)
            event = NewEvent(event_type="SubjectForgotten", data={"subject_id": subject_id})
            unit = encode_unit(
                [
                    StreamAppend(
                        stream_id=f"subject-{subject_id}", stream_type="subject", expected_version=ANY, events=[event]
                    )
                ],
                dict(metadata or {}),
                self.upcasters,
            )
            result = await append_on(conn, unit)
        return Forgotten(subject_id, forgotten_at, result.position)


def _contiguous(rows: Sequence[asyncpg.Record], from_version: int) -> list[asyncpg.Record]:
    """The prefix without gaps: an as-of read never shows an event whose predecessor it hides."""
    out, expected = [], from_version + 1
    for row in rows:
        if row["stream_version"] != expected:
            break
        out.append(row)
        expected += 1
    return out
