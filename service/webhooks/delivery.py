"""One subscription, delivered by the process that leased it: the log followed from the subscription's cursor,
each event sent until its subscriber takes it, changes to the subscription looked for as it goes.

The cursor moves past an event only once the subscriber answered 2xx (or the event is not of its types), so
a crash repeats at most the event being delivered: receivers deduplicate by `webhook-id`, the event id. An
event that fails is tried again after a backoff, and nothing after it is sent meanwhile; after
`disable_after` failures in a row the subscription is disabled (an event, with the last error as its reason).
Changes to a subscription are events of the log: they are looked for at least once per `poll_seconds`,
between two events and during a backoff, and only this subscription's change restarts its delivery.

The cursor is written under a fencing token the delivery claims it with (migration 0011): once another process
has taken the lease over, the first write of this one moves nothing, and it stops (`LeaseLost`).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
import uuid
from datetime import UTC, datetime

import httpx

from service.commands.aggregates import WEBHOOK_EVENTS, WEBHOOKS, WEBHOOKS_STREAM
from service.commands.handler import CommandHandler
from service.commands.retrying import until_it_lands
from service.domain.actors import Actor, Role
from service.domain.errors import NotFound
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
from service.webhooks.policy import Policy
from service.webhooks.sending import send

log = logging.getLogger(__name__)

DISPATCHER = Actor("kamplan:webhooks", Role.INTEGRATION)
DISABLE_ATTEMPTS = 20


class LeaseLost(Exception):
    """Another delivery claimed the cursor: this process's lease was lost, and the subscription is no longer its."""


class _Stop(enum.Enum):
    CHANGED = "changed"  # the subscription changed: load it again and go on from the cursor
    ENDED = "ended"  # disabled, paused or deleted: this process lets it go


class Delivery:
    """One leased subscription, delivered until it stops being active."""

    def __init__(
        self,
        store: EventStore,
        repository: Repository,
        policy: Policy,
        subscription_id: str,
        http: httpx.AsyncClient,
        lease_pid: int,
    ) -> None:
        self.store, self.repository, self.policy, self.pool = store, repository, policy, store.pool
        self.id, self.http, self.lease_pid = subscription_id, http, lease_pid  # the backend holding the lease
        self.subscription: Subscription | None = None
        self.version = 0  # of the subscriptions' stream when `subscription` was read
        self.looked = 0.0  # when the stream's version was last looked at
        self.holder = uuid.uuid4()  # the fencing token this delivery claims the cursor with
        self.claimed = False

    async def run(self) -> None:
        while True:
            subscription = await self._load()
            if subscription is None or subscription.status is not SubscriptionStatus.ACTIVE:
                return
            if subscription.secret is None:  # its key was destroyed: nothing can be signed any more
                await self._disable("its signing secret was destroyed; create a new subscription")
                return
            position, failures = await self._cursor(subscription)
            if await self._follow(subscription, position, failures) is _Stop.ENDED:
                return

    async def _load(self) -> Subscription | None:
        loaded = await self.repository.load(WEBHOOKS, WEBHOOKS_STREAM)
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

    async def _cursor(self, subscription: Subscription) -> tuple[int, int]:
        """Where delivery resumes, once the replays asked for since the last look are applied: the earliest of
        the cursor and the replays' positions. A replay that moves delivery back starts a fresh failure streak, as
        a new URL does; one that moves nothing keeps it, since the same event waits."""
        async with self.pool.acquire() as conn:
            await conn.execute(sql.ENSURE_CURSOR, self.id, subscription.start_after)
            if self.claimed:
                cursor = await conn.fetchrow(sql.CURSOR, self.id, self.holder)
            else:
                cursor = await conn.fetchrow(sql.CLAIM, self.id, self.holder, self.lease_pid)
            if cursor is None:
                raise LeaseLost
            self.claimed = True
            position, failures = cursor["position"], cursor["failures"]
            if pending := subscription.replays[cursor["replays_applied"] :]:
                if (earliest := min(pending)) < position:  # another event is next: its streak starts afresh
                    position, failures = earliest, 0
                    log.info("webhook %s: replaying after position %d", self.id, position)
                args = (self.id, position, len(subscription.replays), self.holder, failures)
                _fenced(await conn.execute(sql.APPLY_REPLAY, *args))
            if failures and cursor["url"] is not None and cursor["url"] != subscription.url:
                failures = 0  # the failures were another URL's, also one changed while paused or elsewhere
                _fenced(await conn.execute(sql.FAILED, self.id, 0, self.holder, subscription.url))
        return position, failures

    async def _follow(self, subscription: Subscription, position: int, failures: int) -> _Stop:
        types = None if subscription.event_types is None else {*subscription.event_types, *WEBHOOK_EVENTS.names()}
        read = events_of(self.store.upcasters, types)
        batches = self.store.follow(position, read, batch_size=self.policy.batch_size, name=f"webhook:{self.id}")
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
                    failures = 0  # and the cursor moved past the event with its attempt (_attempt)
                await self._advance(batch.through)
        return _Stop.CHANGED  # the subscription to the log ended (a shutdown): look again

    async def _advance(self, position: int) -> None:
        async with self.pool.acquire() as conn:
            _fenced(await conn.execute(sql.ADVANCE, self.id, position, self.holder))

    async def _deliver(self, subscription: Subscription, event: RecordedEvent, failures: int) -> _Stop | None:
        """Send the event until the subscriber takes it (None), or until the subscription stops or changes. An
        event with personal fields is read again before each attempt: its person may have been forgotten since
        the batch was read or since the last attempt, and the body must then carry the fields redacted."""
        body = message.body(event)
        while True:
            if event.personal:
                [event] = await self.store.read_events([event.event_id])
                body = message.body(event)
            error = await self._attempt(subscription, event, body, failures + 1)
            if error is None:
                return None
            failures += 1
            async with self.pool.acquire() as conn:
                _fenced(await conn.execute(sql.FAILED, self.id, failures, self.holder, subscription.url))
            if failures >= self.policy.disable_after:
                return await self._disable(f"{failures} failed attempts in a row; the last: {error}", subscription.url)
            if await self._changed_within(self.policy.backoff(failures)):
                return _Stop.CHANGED

    async def _attempt(self, subscription: Subscription, event: RecordedEvent, body: bytes, attempt: int) -> str | None:
        """One POST; the error it met, or None when the subscriber answered 2xx (and the cursor moved past the
        event). Every attempt is logged."""
        sent = await send(
            self.http, subscription.url, signing_secrets(subscription), str(event.event_id), body,
            self.policy.timeout_seconds,
        )  # fmt: skip
        row = (
            self.id, event.event_id, event.position, event.event_type, attempt, sent.started_at, sent.duration_ms,
            sent.status, sent.error, sent.error is None,
        )  # fmt: skip
        async with self.pool.acquire() as conn:
            if sent.error:
                await conn.execute(sql.RECORD_ATTEMPT, *row)
            else:
                _fenced(await conn.execute(sql.RECORD_DELIVERED, *row, self.holder))
        WEBHOOK_ATTEMPTS.labels("delivered" if sent.error is None else "failed").inc()
        if sent.error is not None:
            log.warning(
                "webhook %s: attempt %d at position %d failed: %s", self.id, attempt, event.position, sent.error
            )
        return sent.error

    async def _changed_within(self, seconds: float) -> bool:
        """Wait `seconds`, looking every poll whether this subscription changed meanwhile."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, self.policy.poll_seconds))
            if await self._changed(now=True):
                return True
        return False

    async def _disable(self, reason: str, url: str | None = None) -> _Stop:
        """Record the disabling; many subscriptions failing at once all write to the one stream of subscriptions,
        so a lost race is tried again (after a jittered pause) rather than left to the generic retry. With the `url`
        that failed, nothing is disabled once the subscription has another one (given during the last attempt): the
        new URL starts a fresh streak, so delivery goes on (CHANGED), as it does when nothing was left to disable."""
        handler = CommandHandler(self.store, self.repository)
        command = SetStatus(
            actor=DISPATCHER, subscription_id=self.id, status=SubscriptionStatus.DISABLED, reason=reason, url=url
        )
        metadata = {"actor": DISPATCHER.sub, "actor_role": DISPATCHER.role.value, "source": "dispatcher"}
        # the streak first: a subscription resumed later starts a fresh one. Zeroed after the disabling, a crash in
        # between left the streak at its limit, and the first failure after a resume disabled it again
        async with self.pool.acquire() as conn:
            _fenced(await conn.execute(sql.FAILED, self.id, 0, self.holder, None))
        try:
            outcome = await until_it_lands(
                lambda: handler.execute(WEBHOOKS, WEBHOOKS_STREAM, lambda state: decide(state, command),
                                        actor=DISPATCHER.sub, metadata=metadata),
                rounds=DISABLE_ATTEMPTS,
                pause=lambda _round: random.uniform(0.05, 0.5),
            )  # fmt: skip
        except NotFound:
            return _Stop.ENDED  # deleted meanwhile
        if outcome.position is None:  # paused or given a new URL meanwhile: look again
            return _Stop.CHANGED
        log.warning("webhook %s: disabled: %s", self.id, reason)
        return _Stop.ENDED


def _fenced(status: str) -> None:
    """A write of the cursor that matched no row: another delivery claimed it since (its lease was lost here)."""
    if status.endswith(" 0"):
        raise LeaseLost


def signing_secrets(subscription: Subscription) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the one it replaced until its deadline."""
    assert subscription.secret is not None  # run() lets no subscription without one deliver
    previous, until = subscription.previous_secret, subscription.previous_valid_until
    if previous is not None and until is not None and datetime.now(UTC) < until:
        return [subscription.secret, previous]
    return [subscription.secret]


def _wanted(subscription: Subscription, event: RecordedEvent) -> bool:
    if event.event_type == SUBJECT_FORGOTTEN and str(event.data.get("subject_id", "")).startswith(secret_subject("")):
        return False  # a deleted subscription's secret: nothing for anyone
    return subscription.event_types is None or event.event_type in subscription.event_types
