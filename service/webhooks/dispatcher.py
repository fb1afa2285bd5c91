"""Delivers the log to webhook subscribers: at least once, in log order per subscription, with retries.

Each active subscription is delivered by one process at a time, which holds a session advisory lock (the
lease) for it, as projections do. A process holds all its leases on one connection, so that any number of
subscriptions costs one connection while they idle; when that connection or the process dies, PostgreSQL
releases the locks and another process takes over from each subscription's cursor. The cursor moves past
an event only once the subscriber answered 2xx (or the event is not of its types), so a crash repeats at
most the event being delivered: receivers deduplicate by `webhook-id`, the event id. An event that fails
is tried again, after a backoff that doubles up to a ceiling, and nothing after it is sent meanwhile;
after `disable_after` failures in a row the dispatcher disables the subscription (an event, with the last
error as its reason). Changes to a subscription are events of the log: the dispatcher looks for them at
least once per `poll_seconds`, between two events and during a backoff.
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
PRUNE_EVERY = 3600.0  # seconds


@dataclass(frozen=True, slots=True)
class Policy:
    timeout_seconds: float = 10.0
    retry_base_seconds: float = 2.0  # the first retry waits about this long, each next one twice as long
    retry_max_seconds: float = 3600.0
    disable_after: int = 30  # failed attempts in a row
    poll_seconds: float = 1.0  # how often new subscriptions, and changes to the one being delivered, are looked for
    batch_size: int = 100
    keep_attempts_days: int = 30  # the attempt log's rows older than this are deleted, once an hour

    def backoff(self, failures: int) -> float:
        """Exponential, capped, with ±25% jitter so that retries of many subscriptions do not align."""
        delay = min(self.retry_max_seconds, self.retry_base_seconds * 2 ** min(failures - 1, 64))
        return delay * random.uniform(0.75, 1.25)


class _Stop(enum.Enum):
    CHANGED = "changed"  # the subscription changed: load it again and go on from the cursor
    ENDED = "ended"  # disabled, paused or deleted: this process lets it go


class _Leases:
    """Every lease of this process, held on one connection of the pool for as long as the dispatcher runs."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()  # one query at a time on the connection

    @property
    def lost(self) -> bool:
        """The connection died: PostgreSQL released every lock it held."""
        return self._conn is not None and self._conn.is_closed()

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


class WebhookDispatcher:
    """Supervises every subscription: leases the active ones and delivers each in its own task."""

    def __init__(self, store: EventStore, policy: Policy | None = None) -> None:
        self.store = store
        self.repository = Repository(store)
        self.policy = policy or Policy()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._leases = _Leases(store.pool)
        self._pruned = -PRUNE_EVERY  # monotonic time of the last pruning: the first look prunes

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
                await self._stop_all()
                await self._leases.close()

    async def _stop_all(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    async def _prune(self) -> None:
        """Keep the attempt log to `keep_attempts_days` (every process does it; deleting twice is harmless)."""
        if time.monotonic() - self._pruned < PRUNE_EVERY:
            return
        async with self.store.pool.acquire() as conn:
            deleted = await conn.execute(sql.PRUNE_ATTEMPTS, self.policy.keep_attempts_days)
        self._pruned = time.monotonic()
        log.info("webhooks: attempt log pruned (%s)", deleted)

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
            await _Delivery(self, subscription_id, http).run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook %s: delivery failed; will retry", subscription_id)
            await asyncio.sleep(self.policy.poll_seconds * 5)
        finally:
            await self._leases.give_back(subscription_id)


class _Delivery:
    """One leased subscription, delivered until it stops being active."""

    def __init__(self, owner: WebhookDispatcher, subscription_id: str, http: httpx.AsyncClient) -> None:
        self.owner, self.policy, self.pool = owner, owner.policy, owner.store.pool
        self.id, self.http = subscription_id, http
        self.subscription: Subscription | None = None
        self.version = 0  # of the subscriptions' stream when `subscription` was read
        self.looked = 0.0  # when the stream's version was last looked at

    async def run(self) -> None:
        served: Subscription | None = None
        while True:
            subscription = await self._load()
            if subscription is None or subscription.status is not SubscriptionStatus.ACTIVE:
                return
            if subscription.secret is None:  # its key was destroyed: nothing can be signed any more
                await self._disable("its signing secret was destroyed; create a new subscription")
                return
            url_changed = served is not None and served.url != subscription.url
            served = subscription
            position, failures = await self._cursor(subscription, url_changed=url_changed)
            if await self._follow(subscription, position, failures) is _Stop.ENDED:
                return

    async def _load(self) -> Subscription | None:
        loaded = await self.owner.repository.load(WEBHOOKS, WEBHOOKS_STREAM)
        self.subscription, self.version = loaded.state.subscriptions.get(self.id), loaded.version
        self.looked = time.monotonic()
        return self.subscription

    async def _changed(self, *, now: bool = False) -> bool:
        """Whether this subscription changed since it was read; the stream's version is looked at no more than
        once per poll (unless `now`), and another subscription's change is no change of this one."""
        if not now and time.monotonic() - self.looked < self.policy.poll_seconds:
            return False
        self.looked = time.monotonic()
        async with self.pool.acquire() as conn:
            version = await conn.fetchval(sql.STREAM_VERSION, WEBHOOKS_STREAM)
        if version == self.version:
            return False
        serving = self.subscription
        return await self._load() != serving

    async def _cursor(self, subscription: Subscription, *, url_changed: bool) -> tuple[int, int]:
        """Where delivery resumes, once the replays asked for since the last look are applied: the earliest of
        the cursor and the replays' positions. A new URL starts a fresh failure streak."""
        async with self.pool.acquire() as conn:
            await conn.execute(sql.ENSURE_CURSOR, self.id, subscription.start_after)
            cursor = await conn.fetchrow(sql.CURSOR, self.id)
            position, failures = cursor["position"], cursor["failures"]
            if pending := subscription.replays[cursor["replays_applied"] :]:
                position, failures = min(position, *pending), 0
                await conn.execute(sql.APPLY_REPLAY, self.id, position, len(subscription.replays))
                log.info("webhook %s: replaying after position %d", self.id, position)
            elif url_changed and failures:
                failures = 0
                await conn.execute(sql.FAILED, self.id, 0)
        return position, failures

    async def _follow(self, subscription: Subscription, position: int, failures: int) -> _Stop:
        types = None if subscription.event_types is None else {*subscription.event_types, *WEBHOOK_EVENTS.names()}
        read = events_of(self.owner.store.upcasters, types)
        batches = self.owner.store.follow(position, read, batch_size=self.policy.batch_size, name=f"webhook:{self.id}")
        async with contextlib.aclosing(batches):
            async for batch in batches:
                for event in batch.events:
                    if event.stream_id == WEBHOOKS_STREAM:
                        if event.stream_version > self.version and await self._changed(now=True):
                            return _Stop.CHANGED
                        continue
                    if not _wanted(subscription, event):
                        continue
                    if await self._changed():
                        return _Stop.CHANGED
                    if (stop := await self._deliver(subscription, event, failures)) is not None:
                        return stop
                    failures = 0
                    await self._advance(event.position)
                await self._advance(batch.through)
        return _Stop.CHANGED  # the subscription to the log ended (a shutdown): look again

    async def _advance(self, position: int) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(sql.ADVANCE, self.id, position)

    async def _deliver(self, subscription: Subscription, event: RecordedEvent, failures: int) -> _Stop | None:
        """Send the event until the subscriber takes it (None), or until the subscription stops or changes."""
        body = message.body(event)
        while True:
            error = await self._attempt(subscription, event, body, failures + 1)
            if error is None:
                return None
            failures += 1
            async with self.pool.acquire() as conn:
                await conn.execute(sql.FAILED, self.id, failures)
            if failures >= self.policy.disable_after:
                await self._disable(f"{failures} failed attempts in a row; the last: {error}")
                return _Stop.ENDED
            if await self._changed_within(self.policy.backoff(failures)):
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
        except Exception as failure:  # not only httpx's: a URL's host that IDNA refuses raises UnicodeError
            error = f"{type(failure).__name__}: {failure}"[:ERROR_CHARS] if str(failure) else type(failure).__name__
        elapsed = round((time.monotonic() - started) * 1000)
        async with self.pool.acquire() as conn:
            await conn.execute(
                sql.RECORD_ATTEMPT, self.id, event.event_id, event.position, event.event_type, attempt, started_at,
                elapsed, status, error, error is None,
            )  # fmt: skip
        WEBHOOK_ATTEMPTS.labels("delivered" if error is None else "failed").inc()
        if error is not None:
            log.warning("webhook %s: attempt %d at position %d failed: %s", self.id, attempt, event.position, error)
        return error

    async def _changed_within(self, seconds: float) -> bool:
        """Wait `seconds`, looking every poll whether this subscription changed meanwhile."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, self.policy.poll_seconds))
            if await self._changed(now=True):
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
        async with self.pool.acquire() as conn:
            await conn.execute(sql.FAILED, self.id, 0)  # a subscription resumed later starts a fresh streak
        log.warning("webhook %s: disabled: %s", self.id, reason)


def _wanted(subscription: Subscription, event: RecordedEvent) -> bool:
    if event.event_type == SUBJECT_FORGOTTEN and str(event.data.get("subject_id", "")).startswith(secret_subject("")):
        return False  # a deleted subscription's secret: nothing for anyone
    return subscription.event_types is None or event.event_type in subscription.event_types
