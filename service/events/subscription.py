"""Live, gap-free reading of the whole log in position order.

Positions come from a sequence, so a transaction may take position 10, stay open, and commit after
position 11 committed: a reader that delivered 11 and moved on would never see 10. The reader here
delivers a position only once it is *final*, proven with transaction ids:

  Every append gets its transaction id before it draws positions (see sql.APPEND). Let a snapshot S
  see position p, and read the xid counter N afterwards. Any transaction holding a position below p
  drew it before p was drawn, hence got its xid before S was taken: its xid is below N. A later
  snapshot with xmin >= N proves all xids below N have ended (a running xid is never below a
  snapshot's xmin), and whatever they committed is visible from then on. So the log up to p is final.

Each poll returns (xmin, next_xid, head); `Fences` keeps the (head, next_xid) pairs not yet proven
final and releases them as xmin passes. A transaction left open stalls the reader (it may still commit
below the head) but never makes it skip; the stall is exported as a gauge and logged with the blocker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator

import asyncpg

from service.events import sql
from service.events.reading import Batch, E, RangeReader
from service.metrics import SUBSCRIPTION_STALL_SECONDS

log = logging.getLogger(__name__)

MAX_BACKOFF = 0.1
STALL_LOG_AFTER = 1.0
STALL_LOG_EVERY = 10.0


class Fences:
    """Pure bookkeeping of which positions are final, fed by (xmin, next_xid, head) of successive polls."""

    def __init__(self, safe: int = 0) -> None:
        self.safe = safe
        self._pending: deque[tuple[int, int]] = deque(maxlen=4096)  # dropping the oldest only delays

    @property
    def waiting(self) -> bool:
        """Events exist beyond `safe` but are not proven final yet."""
        return bool(self._pending)

    def observe(self, xmin: int, next_xid: int, head: int) -> int:
        last = self._pending[-1][0] if self._pending else self.safe
        if head > last:
            self._pending.append((head, next_xid))
        while self._pending and xmin >= self._pending[0][1]:
            self.safe = max(self.safe, self._pending.popleft()[0])
        return self.safe


class Listener:
    """One LISTEN connection per store, waking every subscriber when an append commits."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._conn: asyncpg.Connection | None = None
        self._wakers: set[asyncio.Event] = set()
        self._lock = asyncio.Lock()

    async def register(self) -> asyncio.Event:
        async with self._lock:
            if self._conn is not None and not _serving(self._conn):
                await self._pool.release(self._conn)  # nothing to do when asyncpg took it back already
                self._conn = None
            if self._conn is None:
                self._conn = await self._pool.acquire()
                await self._conn.add_listener(sql.LISTEN_CHANNEL, self._notified)
        waker = asyncio.Event()
        self._wakers.add(waker)
        return waker

    def unregister(self, waker: asyncio.Event) -> None:
        self._wakers.discard(waker)

    def _notified(self, *_: object) -> None:
        for waker in self._wakers:
            waker.set()

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                if _serving(conn):
                    await conn.remove_listener(sql.LISTEN_CHANNEL, self._notified)
                await self._pool.release(conn)


def _serving(conn: asyncpg.Connection) -> bool:
    """Whether the LISTEN connection still serves. When the server ends it (a restart, a failover, a terminated
    backend), asyncpg may already have taken it back into the pool, where every call on it raises: it is as gone as
    a closed one, and must not make every later subscription fail."""
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:
        return False


class StallWatch:
    """Makes a held-back subscriber visible: a gauge, and a log line naming the oldest open transaction."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.since: float | None = None
        self._last_log = 0.0

    async def waiting(self, pool: asyncpg.Pool, safe: int) -> None:
        now = time.monotonic()
        self.since = self.since or now
        stalled = now - self.since
        SUBSCRIPTION_STALL_SECONDS.labels(self.name).set(stalled)
        if stalled >= STALL_LOG_AFTER and now - self._last_log >= STALL_LOG_EVERY:
            self._last_log = now
            async with pool.acquire() as conn:
                blocker = await conn.fetchrow(sql.OLDEST_TRANSACTION)
            log.warning(
                "subscriber %s held back %.1fs after position %d by an open transaction "
                "(pid %s, open %.1fs, %s): set idle_in_transaction_session_timeout to bound this",
                self.name,
                stalled,
                safe,
                blocker and blocker["pid"],
                blocker["age_seconds"] if blocker else 0.0,
                blocker and blocker["state"],
                extra={
                    "subscriber": self.name,
                    "stalled_seconds": round(stalled, 3),
                    "blocker": dict(blocker) if blocker else None,
                },
            )

    def clear(self) -> None:
        if self.since is not None:
            self.since = None
            SUBSCRIPTION_STALL_SECONDS.labels(self.name).set(0)


async def subscribe_batches(
    pool: asyncpg.Pool,
    listener: Listener,
    read: RangeReader[E],
    *,
    after_position: int = 0,
    batch_size: int = 500,
    name: str = "subscriber",
    idle_poll: float = 1.0,
) -> AsyncGenerator[Batch[E], None]:
    """Batches of the log after `after_position`, in position order, each event exactly once, forever.

    `read` turns a final range into a batch (reading.events_of, reading.envelopes_of). A batch may hold no
    event when `read` skips types, and still moves `through` on. A batch that is not `full` has read up to
    everything final so far; each time the reader is about to wait, an empty one (`through` unchanged) says so.
    """
    waker = await listener.register()
    fences, position, backoff = Fences(after_position), after_position, 0.0
    stall = StallWatch(name)
    try:
        while True:
            waker.clear()
            async with pool.acquire() as conn:
                snapshot = await conn.fetchrow(sql.FENCE)
            safe = fences.observe(snapshot["xmin"], snapshot["next_xid"], snapshot["head"])
            while position < safe:
                async with pool.acquire() as conn:
                    batch = await read(conn, position, safe, batch_size)
                position = batch.through
                yield batch
            if fences.waiting:
                await stall.waiting(pool, safe)
                backoff = min(max(backoff * 2, 0.001), MAX_BACKOFF)
                await _sleep_or_wake(waker, backoff)
            else:
                stall.clear()
                backoff = 0.0
                yield Batch([], position, full=False)
                await _sleep_or_wake(waker, idle_poll)
    finally:
        listener.unregister(waker)
        stall.clear()


async def _sleep_or_wake(waker: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await waker.wait()
