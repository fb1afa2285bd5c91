"""A delivery whose lease was lost without its process noticing (a cut it learns of late) stops at its next write
of the cursor, and cannot claim the cursor back: the fencing token of migration 0011."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from service.config import Settings
from service.db.urls import asyncpg_dsn
from service.events.aggregate import Repository
from service.webhooks.delivery import Delivery, LeaseLost
from service.webhooks.leases import Leases
from service.webhooks.policy import Policy
from tests.support.receiver import Receiver, receiver
from tests.support.webhooks import app_on, open_accounts, subscribe

POLICY = Policy(retry_base_seconds=0.05, retry_max_seconds=0.2, timeout_seconds=2.0)


@pytest.fixture
async def api(settings: Settings, isolated: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_on(settings, isolated.url, webhooks="off") as client:  # the test runs the deliveries itself
        yield client


@contextlib.asynccontextmanager
async def leased(isolated: Any, subscription_id: str) -> AsyncIterator[tuple[Leases, Delivery]]:
    """A delivery as a dispatcher runs one: its lease taken, on a lease connection of its own."""
    leases = Leases(isolated.pool)
    assert await leases.take(subscription_id)
    async with httpx.AsyncClient() as http:
        yield leases, Delivery(isolated.store, Repository(isolated.store), POLICY, subscription_id, http,
                               leases.server_pid)  # fmt: skip
    await leases.close()


def positions(hook: Receiver) -> list[int]:
    return [orjson.loads(r.body)["data"]["position"] for r in hook.delivered()]


async def settle(hook: Receiver, count: int) -> None:
    await hook.wait_for(count)
    await asyncio.sleep(0.5)  # anything more that would come


async def test_a_delivery_whose_lease_was_lost_stops_at_its_next_write_and_the_new_holder_delivers_once(
    api: httpx.AsyncClient, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    with receiver() as hook:
        sid = (await subscribe(api, auth, hook.url, event_types=["AccountOpened"]))["subscription_id"]
        tasks: list[asyncio.Task[None]] = []
        try:
            async with leased(isolated, sid) as (old_leases, old):
                tasks.append(stale := asyncio.create_task(old.run()))
                await open_accounts(api, auth, 3)
                await settle(hook, 3)
                # the server ends the lease connection; the old delivery's process has not noticed (nobody looks)
                admin = await asyncpg.connect(asyncpg_dsn(isolated.url))  # the app's role may not end a backend
                try:
                    assert await admin.fetchval("SELECT pg_terminate_backend($1)", old_leases.server_pid)
                finally:
                    await admin.close()
                async with leased(isolated, sid) as (_, new):  # the lock was released: another process takes it
                    tasks.append(asyncio.create_task(new.run()))
                    await open_accounts(api, auth, 4)
                    await settle(hook, 7)
                    await asyncio.wait([stale], timeout=5)
                    assert stale.done()
                    assert isinstance(stale.exception(), LeaseLost)
                    await open_accounts(api, auth, 2)
                    await settle(hook, 9)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        seen = positions(hook)
    # the old delivery may have sent the one event in flight at the takeover again, never more; then it stopped
    assert len(seen) - len(set(seen)) <= 1
    assert len(set(seen)) == 9
    assert seen[-2:] == sorted(set(seen))[-2:]  # after it stopped, one sender, in log order


async def test_a_delivery_cannot_claim_the_cursor_without_holding_the_lease(
    api: httpx.AsyncClient, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    with receiver() as hook:
        sid = (await subscribe(api, auth, hook.url))["subscription_id"]
        async with leased(isolated, sid) as (leases, _):
            await leases.give_back(sid)  # its lease is gone before the delivery starts
            async with httpx.AsyncClient() as http:
                orphan = Delivery(isolated.store, Repository(isolated.store), POLICY, sid, http, leases.server_pid)
                with pytest.raises(LeaseLost):
                    await asyncio.wait_for(orphan.run(), 5)
            await open_accounts(api, auth, 1)
            await asyncio.sleep(0.5)
        assert hook.received == []
