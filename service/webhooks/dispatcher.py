"""Delivers the log to webhook subscribers: at least once, in log order per subscription, with retries.

Each active subscription is delivered by one process at a time, which holds a session advisory lock (the
lease) for it, as projections do; all of a process's leases share one connection (leases.py). When that
connection or the process dies, PostgreSQL releases the locks and another process takes over from each
subscription's cursor. How one subscription is delivered: delivery.py.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx

from service.commands.aggregates import WEBHOOKS, WEBHOOKS_STREAM
from service.domain.webhooks.state import SubscriptionStatus
from service.events import EventStore
from service.events.aggregate import Repository
from service.logs import handles_event_data
from service.webhooks import sql
from service.webhooks.delivery import Delivery, LeaseLost
from service.webhooks.destinations import NOTHING_BLOCKED, Destinations, delivery_client
from service.webhooks.leases import Leases
from service.webhooks.policy import Policy

log = handles_event_data(logging.getLogger(__name__))  # errors here may quote event data

PRUNE_EVERY = 3600.0  # seconds


class WebhookDispatcher:
    """Supervises every subscription: leases the active ones and delivers each in its own task."""

    def __init__(
        self, store: EventStore, policy: Policy | None = None, destinations: Destinations = NOTHING_BLOCKED
    ) -> None:
        self.store = store
        self.destinations = destinations
        self.repository = Repository(store)
        self.policy = policy or Policy()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._leases = Leases(store.pool)
        self._pruned = -PRUNE_EVERY  # monotonic time of the last pruning: the first look prunes

    async def run(self) -> None:
        timeout = httpx.Timeout(self.policy.timeout_seconds)
        async with delivery_client(self.destinations, timeout) as http:
            try:
                while True:
                    try:
                        await self._claim(http)
                    except Exception:  # never let one bad look stop the deliveries
                        log.exception("webhooks: supervision failed; retrying")
                    await asyncio.sleep(self.policy.poll_seconds)
            finally:
                await self._stop_all()
                await self._leases.close()

    async def _stop_all(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    async def _prune(self) -> None:
        """Keep the attempt log to `keep_attempts_days`, the ERP's delivery ids to `keep_erp_deliveries_days`, and
        drop the cursors of deleted subscriptions (every process does it; deleting twice is harmless)."""
        if time.monotonic() - self._pruned < PRUNE_EVERY:
            return
        async with self.store.pool.acquire() as conn:
            deleted = await conn.execute(sql.PRUNE_ATTEMPTS, self.policy.keep_attempts_days)
            erp = await conn.execute(sql.PRUNE_ERP_DELIVERIES, self.policy.keep_erp_deliveries_days)
            # cursors read before the subscriptions: a cursor exists only once its subscription did, and an id
            # never comes back after a delete, so one missing from the later state is of a deleted subscription
            cursors = {r["subscription_id"] for r in await conn.fetch(sql.CURSOR_IDS)}
        live = (await self.repository.load(WEBHOOKS, WEBHOOKS_STREAM)).state.subscriptions
        if gone := sorted(cursors - live.keys()):
            async with self.store.pool.acquire() as conn:
                await conn.execute(sql.DROP_CURSORS, gone)
        self._pruned = time.monotonic()
        log.info(
            "webhooks: attempt log pruned (%s), ERP delivery ids (%s); cursors of %d deleted subscriptions dropped",
            deleted, erp, len(gone),
        )  # fmt: skip

    async def _claim(self, http: httpx.AsyncClient) -> None:
        await self._prune()
        if self._leases.lost:  # another process may be delivering them by now
            log.warning("webhooks: the lease connection was lost; taking the leases again")
            await self._stop_all()
            await self._leases.close()
        subscriptions = (await self.repository.load(WEBHOOKS, WEBHOOKS_STREAM)).state.subscriptions
        for subscription in subscriptions.values():
            task = self._tasks.get(subscription.subscription_id)
            if subscription.status is SubscriptionStatus.ACTIVE and (task is None or task.done()):
                self._tasks[subscription.subscription_id] = asyncio.create_task(
                    self._lease(subscription.subscription_id, http), name=f"webhook:{subscription.subscription_id}"
                )

    async def _lease(self, subscription_id: str, http: httpx.AsyncClient) -> None:
        try:
            if not await self._leases.take(subscription_id):
                return  # another process delivers it
        except Exception:  # the lease connection is gone: the next look takes the leases again
            log.warning("webhook %s: could not take the lease", subscription_id, exc_info=True)
            return
        try:
            pid = self._leases.server_pid
            await Delivery(self.store, self.repository, self.policy, subscription_id, http, pid).run()
        except asyncio.CancelledError:
            raise
        except LeaseLost:  # the next look sees the lease connection gone, or another process holding the lease
            log.warning("webhook %s: the lease was lost and another process delivers it now; stopped", subscription_id)
        except Exception:
            log.exception("webhook %s: delivery failed; will retry", subscription_id)
            await asyncio.sleep(self.policy.poll_seconds * 5)
        finally:
            await self._leases.give_back(subscription_id)
