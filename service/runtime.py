"""What a running kamplan process holds: settings, the pool, the store, the token keys, the projections."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import asyncpg

from service.commands.aggregates import UPCASTERS
from service.config import Settings
from service.db.pool import create_pool
from service.events import EventStore
from service.events.aggregate import Repository
from service.projections import generations, registry
from service.projections.model import Projection
from service.projections.runner import ProjectionRunner
from service.tokens import TokenKeys
from service.webhooks.dispatcher import WebhookDispatcher
from service.webhooks.policy import Policy

log = logging.getLogger(__name__)

CLOSE_SECONDS = 10.0  # how long closing waits for connections still in use


def held_connections(projections: int) -> int:
    """Connections held for as long as the work runs, on top of KAMPLAN_POOL_MAX: a lease per projection generation
    applied (two while one is rebuilt beside the live one), the webhook leases and the LISTEN connection. Taken from
    the requests' share, a small pool had none left, and requests waited forever."""
    return 2 * projections + 2


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    pool: asyncpg.Pool
    store: EventStore
    repository: Repository
    tokens: TokenKeys
    projections: list[Projection]
    # projections whose live tables were seen built by this code's version (once so, they stay so)
    built: set[str] = field(default_factory=set, repr=False)
    _runner: asyncio.Task[None] | None = field(default=None, repr=False)
    _dispatcher: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    async def open(cls, settings: Settings, database_url: str) -> Runtime:
        tokens = TokenKeys.from_settings(settings)
        projections = registry.load(settings.extra_projection_modules, UPCASTERS)
        pool = await create_pool(
            database_url,
            role=settings.db_role or None,
            min_size=settings.pool_min,
            max_size=settings.pool_max + held_connections(len(projections)),
            idle_in_transaction_timeout_ms=settings.idle_in_transaction_timeout_ms,
        )
        store = EventStore(pool, upcasters=UPCASTERS)
        return cls(settings, database_url, pool, store, Repository(store), tokens, projections)

    async def ensure_read_tables(self) -> None:
        """Create each projection's live tables (if new) before serving, so no read meets a missing table."""
        async with self.pool.acquire() as conn:
            for projection in self.projections:
                await generations.ensure(conn, projection)

    def start_projections(self) -> None:
        """Apply the projections in this process (serve's default; `kamplan worker` does only this)."""
        runner = ProjectionRunner(self.store, self.projections, **self.runner_options())
        self._runner = asyncio.create_task(runner.run(), name="projections")

    def start_webhooks(self) -> None:
        """Deliver webhooks in this process (serve's default; `kamplan worker` does it too)."""
        policy = Policy(
            timeout_seconds=self.settings.webhook_timeout_seconds,
            retry_base_seconds=self.settings.webhook_retry_base_seconds,
            retry_max_seconds=self.settings.webhook_retry_max_seconds,
            disable_after=self.settings.webhook_disable_after,
            keep_attempts_days=self.settings.webhook_attempts_keep_days,
            keep_erp_deliveries_days=self.settings.erp_deliveries_keep_days,
        )
        dispatcher = WebhookDispatcher(self.store, policy, self.settings.webhook_destinations)
        self._dispatcher = asyncio.create_task(dispatcher.run(), name="webhooks")

    def runner_options(self) -> dict[str, int]:
        return {
            "batch_size": self.settings.projection_batch_size,
            "build_batch_size": self.settings.projection_build_batch_size,
        }

    async def close(self) -> None:
        for task in (self._runner, self._dispatcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.store.close()
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                await self.pool.close()
        except TimeoutError:  # a connection still in use: do not hang the shutdown on it
            log.warning("connections still busy after %.0fs; closing them", CLOSE_SECONDS)
            self.pool.terminate()
