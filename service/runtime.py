"""What a running kamplan process holds: settings, the pool, the store, the token keys."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from service.config import Settings
from service.db.pool import create_pool
from service.events import EventStore
from service.tokens import TokenKeys


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    pool: asyncpg.Pool
    store: EventStore
    tokens: TokenKeys

    @classmethod
    async def open(cls, settings: Settings, database_url: str) -> Runtime:
        tokens = TokenKeys.from_settings(settings)
        pool = await create_pool(
            database_url,
            role=settings.db_role or None,
            min_size=settings.pool_min,
            max_size=settings.pool_max,
            idle_in_transaction_timeout_ms=settings.idle_in_transaction_timeout_ms,
        )
        return cls(settings, database_url, pool, EventStore(pool), tokens)

    async def close(self) -> None:
        await self.store.close()
        await self.pool.close()
