"""The leases of one dispatcher: a session advisory lock per subscription it delivers, all on one connection.

A connection per lease, as projections have, would let twenty idle subscriptions take the whole pool and hang
the API. When the connection dies, PostgreSQL releases every lock on it: the dispatcher then stops all its
deliveries and takes the leases again.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from service.webhooks import sql


class Leases:
    """Every lease of this process, held on one connection of the pool for as long as the dispatcher runs."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()  # one query at a time on the connection

    @property
    def lost(self) -> bool:
        """The connection died: PostgreSQL released every lock it held."""
        return self._conn is not None and self._conn.is_closed()

    @property
    def server_pid(self) -> int:
        """The backend holding the leases, by which a delivery proves its lease when it claims the cursor."""
        assert self._conn is not None, "no lease taken yet"
        return self._conn.get_server_pid()

    async def take(self, subscription_id: str) -> bool:
        async with self._lock:
            if self._conn is None:
                self._conn = await self._pool.acquire()
            return bool(await self._conn.fetchval(sql.TRY_LEASE, subscription_id))

    async def give_back(self, subscription_id: str) -> None:
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                with contextlib.suppress(Exception):
                    await self._conn.fetchval(sql.RELEASE_LEASE, subscription_id)

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                with contextlib.suppress(Exception):
                    await self._pool.release(conn)  # the pool's reset on release unlocks what is left
