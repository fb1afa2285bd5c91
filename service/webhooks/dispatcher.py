"""Delivers the log to webhook subscribers: at least once, in log order per subscription, with retries.

Each active subscription is delivered by one process at a time, which holds a session advisory lock (the
lease) for it, as projections do; when that process dies, PostgreSQL releases the lock and another takes
over from the subscription's cursor. The cursor moves past an event only once the subscriber answered 2xx
(or the event is not of its types), so a crash repeats at most the event being delivered: receivers
deduplicate by `webhook-id`, the event id. An event that fails is tried again, after a backoff that
doubles up to a ceiling, and nothing after it is sent meanwhile; after `disable_after` failures in a row
the dispatcher disables the subscription (an event, with the last error as its reason). Changes to a
subscription are events of the log too, so the dispatcher sees them in its own stream of events.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import httpx

from service.commands.aggregates import WEBHOOK_EVENTS, WEBHOOKS, WEBHOOKS_STREAM
from service.commands.handler import CommandHandler
from service.domain.actors import Actor, Role
from service.domain.webhooks.commands import SetStatus
from service.domain.webhooks.decide import decide
from service.domain.webhooks.events import secret_subject
from service.domain.webhooks.state import Subscription, SubscriptionStatus
from service.events import EventStore, RecordedEvent
from service.events.aggregate import Repository
from service.events.reading import events_of
from service.metrics import WEBHOOK_ATTEMPTS
from service.projections.folding import SUBJECT_FORGOTTEN
from service.webhooks import message, sql
from service.webhooks.signing import sign

log = logging.getLogger(__name__)

DISPATCHER = Actor("kamplan:webhooks", Role.INTEGRATION)
USER_AGENT = "kamplan-webhooks/1"
ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class Policy:
    timeout_seconds: float = 10.0
    retry_base_seconds: float = 2.0  # the first retry waits about this long, each next one twice as long
    retry_max_seconds: float = 3600.0
    disable_after: int = 30  # failed attempts in a row
    poll_seconds: float = 1.0  # how often new subscriptions (and changes during a backoff) are looked for
    batch_size: int = 100

    def backoff(self, failures: int) -> float:
        """Exponential, capped, with ±25% jitter so that retries of many subscriptions do not align."""
        delay = min(self.retry_max_seconds, self.retry_base_seconds * 2 ** (failures - 1))
        return delay * random.uniform(0.75, 1.25)


class _Stop(enum.Enum):
    CHANGED = "changed"  # the subscription changed: load it again and go on from the cursor
    ENDED = "ended"  # disabled, paused or deleted: this process lets it go


class WebhookDispatcher:
    """Supervises every subscription: leases the active ones and delivers each in its own task."""

    def __init__(self, store: EventStore, policy: Policy | None = None) -> None:
        self.store = store
        self.repository = Repository(store)
        self.policy = policy or Policy()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def run(self) -> None:
        timeout = httpx.Timeout(self.policy.timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
            try:
                while True:
                    try:
                        await self._claim(http)
                    except Exception:  # never let one bad look stop the deliveries
                        log.exception("webhooks: supervision failed; retrying")
                    await asyncio.sleep(self.policy.poll_seconds)
            finally:
                for task in self._tasks.values():
                    task.cancel()
                await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _claim(self, http: httpx.AsyncClient) -> None:
        subscriptions = (await self.repository.load(WEBHOOKS, WEBHOOKS_STREAM)).state.subscriptions
        for subscription in subscriptions.values():
            task = self._tasks.get(subscription.subscription_id)
            if subscription.status is SubscriptionStatus.ACTIVE and (task is None or task.done()):
                self._tasks[subscription.subscription_id] = asyncio.create_task(
                    self._lease(subscription.subscription_id, http), name=f"webhook:{subscription.subscription_id}"
                )

    async def _lease(self, subscription_id: str, http: httpx.AsyncClient) -> None:
        async with self.store.pool.acquire() as lease:
            if not await lease.fetchval(sql.TRY_LEASE, subscription_id):
                return  # another process delivers it
            try:
                await _Delivery(self, subscription_id, lease, http).run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook %s: delivery failed; will retry", subscription_id)
                await asyncio.sleep(self.policy.poll_seconds * 5)
            finally:  # the pool's reset on release unlocks too, should this fail on a broken connection
                with contextlib.suppress(Exception):
                    await lease.fetchval(sql.RELEASE_LEASE, subscription_id)


class _Delivery:
    """One leased subscription, delivered until it stops being active."""

    def __init__(
        self, owner: WebhookDispatcher, subscription_id: str, lease: asyncpg.Connection, http: httpx.AsyncClient
    ) -> None:
        self.owner, self.policy = owner, owner.policy
        self.id, self.lease, self.http = subscription_id, lease, http

    async def run(self) -> None:
        while True:
            loaded = await self.owner.repository.load(WEBHOOKS, WEBHOOKS_STREAM)
            subscription = loaded.state.subscriptions.get(self.id)
            if (
                subscription is None
                or subscription.status is not SubscriptionStatus.ACTIVE
                or subscription.secret is None
            ):
                return
            position, failures = await self._cursor(subscription)
            if await self._follow(subscription, loaded.version, position, failures) is _Stop.ENDED:
                return

    async def _cursor(self, subscription: Subscription) -> tuple[int, int]:
        """Where delivery resumes, once the replays asked for since the last look are applied."""
        await self.lease.execute(sql.ENSURE_CURSOR, self.id, subscription.start_after)
        cursor = await self.lease.fetchrow(sql.CURSOR, self.id)
        if cursor["replays_applied"] < subscription.replays:
            await self.lease.execute(sql.APPLY_REPLAY, self.id, subscription.replay_after, subscription.replays)
            log.info("webhook %s: replaying after position %d", self.id, subscription.replay_after)
            return subscription.replay_after, 0
        return cursor["position"], cursor["failures"]

    async def _follow(self, subscription: Subscription, version: int, position: int, failures: int) -> _Stop:
        types = None if subscription.event_types is None else {*subscription.event_types, *WEBHOOK_EVENTS.names()}
        read = events_of(self.owner.store.upcasters, types)
        batches = self.owner.store.follow(position, read, batch_size=self.policy.batch_size, name=f"webhook:{self.id}")
        async with contextlib.aclosing(batches):
            async for batch in batches:
                for event in batch.events:
                    if event.stream_id == WEBHOOKS_STREAM:
                        if event.stream_version > version:
                            return _Stop.CHANGED
                        continue
                    if not _wanted(subscription, event):
                        continue
                    if (stop := await self._deliver(subscription, version, event, failures)) is not None:
                        return stop
                    failures = 0
                    await self.lease.execute(sql.ADVANCE, self.id, event.position)
                await self.lease.execute(sql.ADVANCE, self.id, batch.through)
        return _Stop.CHANGED  # the subscription to the log ended (a shutdown): look again

    async def _deliver(
        self, subscription: Subscription, version: int, event: RecordedEvent, failures: int
    ) -> _Stop | None:
        """Send the event until the subscriber takes it (None), or until the subscription stops or changes."""
        assert subscription.secret is not None
        body = message.body(event)
        while True:
            error = await self._attempt(subscription, event, body, failures + 1)
            if error is None:
                return None
            failures += 1
            await self.lease.execute(sql.FAILED, self.id, failures)
            if failures >= self.policy.disable_after:
                await self._disable(f"{failures} failed attempts in a row; the last: {error}")
                return _Stop.ENDED
            if await self._changed_within(self.policy.backoff(failures), version):
                return _Stop.CHANGED

    async def _attempt(self, subscription: Subscription, event: RecordedEvent, body: bytes, attempt: int) -> str | None:
        """One POST; the error it met, or None when the subscriber answered 2xx. Every attempt is logged."""
        assert subscription.secret is not None
        message_id, timestamp = str(event.event_id), int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(subscription.secret, message_id, timestamp, body),
        }
        started_at, started = datetime.now(UTC), time.monotonic()
        status: int | None = None
        try:
            async with self.http.stream("POST", subscription.url, content=body, headers=headers) as response:
                status = response.status_code  # the body is not read: nothing of it is kept
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:ERROR_CHARS] if str(failure) else type(failure).__name__
        elapsed = round((time.monotonic() - started) * 1000)
        await self.lease.execute(
            sql.RECORD_ATTEMPT, self.id, event.event_id, event.position, event.event_type, attempt, started_at,
            elapsed, status, error, error is None,
        )  # fmt: skip
        WEBHOOK_ATTEMPTS.labels("delivered" if error is None else "failed").inc()
        if error is not None:
            log.warning("webhook %s: attempt %d at position %d failed: %s", self.id, attempt, event.position, error)
        return error

    async def _changed_within(self, seconds: float, version: int) -> bool:
        """Wait `seconds`, looking every poll whether the subscriptions changed meanwhile."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, self.policy.poll_seconds))
            if await self.lease.fetchval(sql.STREAM_VERSION, WEBHOOKS_STREAM) != version:
                return True
        return False

    async def _disable(self, reason: str) -> None:
        handler = CommandHandler(self.owner.store, self.owner.repository)
        command = SetStatus(
            actor=DISPATCHER, subscription_id=self.id, status=SubscriptionStatus.DISABLED, reason=reason
        )
        metadata = {"actor": DISPATCHER.sub, "actor_role": DISPATCHER.role.value, "source": "dispatcher"}
        await handler.execute(WEBHOOKS, WEBHOOKS_STREAM, lambda state: decide(state, command), actor=DISPATCHER.sub,
                              metadata=metadata)  # fmt: skip
        await self.lease.execute(sql.FAILED, self.id, 0)  # a subscription resumed later starts a fresh streak
        log.warning("webhook %s: disabled: %s", self.id, reason)


def _wanted(subscription: Subscription, event: RecordedEvent) -> bool:
    if event.event_type == SUBJECT_FORGOTTEN and str(event.data.get("subject_id", "")).startswith(secret_subject("")):
        return False  # a deleted subscription's secret: nothing for anyone
    return subscription.event_types is None or event.event_type in subscription.event_types
