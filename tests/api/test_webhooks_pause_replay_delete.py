"""Webhooks out: pausing, replaying and deleting a subscription, and the cursors and attempt log delivery keeps."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import orjson

from service.config import Settings
from service.db.urls import asyncpg_dsn
from tests.support.receiver import receiver
from tests.support.webhooks import ADMIN, app_on, events_of, eventually, open_accounts, subscribe
from tests.support.webhooks import hooked as hooked  # the fixture: an app of its own on the isolated database


async def test_a_replay_delivers_again_the_events_after_a_position(
    hooked: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    with receiver() as hook:
        created = await subscribe(hooked, auth, hook.url, event_types=["AccountOpened"])
        await open_accounts(hooked, auth, 3)
        first = events_of(await hook.wait_for(3))
        after = first[1]["data"]["position"] - 1
        replay = await hooked.post(
            f"/v1/webhooks/{created['subscription_id']}/replay", json={"after_position": after}, headers=auth(**ADMIN)
        )
        assert replay.status_code == 200, replay.text
        again = events_of(await hook.wait_for(5))[3:]
    assert [e["data"]["event_id"] for e in again] == [e["data"]["event_id"] for e in first[1:]]


async def test_a_paused_subscription_waits_and_takes_up_where_it_stopped(
    hooked: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    with receiver() as hook:
        created = await subscribe(hooked, auth, hook.url)
        sid = created["subscription_id"]
        paused = await hooked.patch(f"/v1/webhooks/{sid}", json={"status": "paused"}, headers=auth(**ADMIN))
        assert paused.status_code == 200
        await asyncio.sleep(0.3)  # the dispatcher has seen the pause
        [account] = await open_accounts(hooked, auth, 1)
        await asyncio.sleep(1.0)
        assert hook.received == []
        await hooked.patch(f"/v1/webhooks/{sid}", json={"status": "active"}, headers=auth(**ADMIN))
        [delivered] = await hook.wait_for(1)
    assert orjson.loads(delivered.body)["data"]["stream_id"] == f"account-{account}"


async def test_positions_past_the_head_are_refused_and_replays_never_skip_what_waits(
    hooked: httpx.AsyncClient, auth: Callable[..., dict[str, str]], isolated: Any
) -> None:
    head = await isolated.store.head_position()
    beyond = await hooked.post("/v1/webhooks", json={"url": "https://erp.example/", "start_after": head + 10},
                               headers=auth(**ADMIN))  # fmt: skip
    assert beyond.status_code == 422
    assert beyond.json()["type"].endswith("/out-of-range")
    with receiver() as hook:
        created = await subscribe(hooked, auth, hook.url, event_types=["AccountOpened"])
        sid = created["subscription_id"]
        await open_accounts(hooked, auth, 2)
        first = events_of(await hook.wait_for(2))
        await hooked.patch(f"/v1/webhooks/{sid}", json={"status": "paused"}, headers=auth(**ADMIN))
        await asyncio.sleep(0.3)
        [waiting] = await open_accounts(hooked, auth, 1)  # not delivered while paused
        head = await isolated.store.head_position()
        far = await hooked.post(f"/v1/webhooks/{sid}/replay", json={"after_position": head + 1}, headers=auth(**ADMIN))
        assert far.status_code == 422
        for after in (first[0]["data"]["position"], head):  # two replays while paused: the earlier one counts
            replay = await hooked.post(f"/v1/webhooks/{sid}/replay", json={"after_position": after},
                                       headers=auth(**ADMIN))  # fmt: skip
            assert replay.status_code == 200
        await hooked.patch(f"/v1/webhooks/{sid}", json={"status": "active"}, headers=auth(**ADMIN))
        again = events_of(await hook.wait_for(4))[2:]
    assert again[0]["data"]["event_id"] == first[1]["data"]["event_id"]
    assert again[1]["data"]["stream_id"] == f"account-{waiting}"


async def test_a_pause_stops_delivery_within_a_poll_even_in_a_backlog(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    with receiver() as hook:
        async with app_on(settings, isolated.url, webhooks="off") as writer:
            await open_accounts(writer, auth, 30)
        hook.delay_seconds = 0.1
        async with app_on(settings, isolated.url) as client:
            created = await subscribe(client, auth, hook.url, event_types=["AccountOpened"], start_after=0)
            await hook.wait_for(1)
            paused = await client.patch(f"/v1/webhooks/{created['subscription_id']}", json={"status": "paused"},
                                        headers=auth(**ADMIN))  # fmt: skip
            assert paused.status_code == 200
            await asyncio.sleep(1.5)  # a poll, and the request in flight
            after_pause = len(hook.received)
            await asyncio.sleep(1.0)
            assert len(hook.received) == after_pause < 30


async def test_a_deleted_subscription_stops_and_its_secret_is_gone_from_the_log(
    hooked: httpx.AsyncClient, auth: Callable[..., dict[str, str]], isolated: Any
) -> None:
    with receiver() as hook:
        created = await subscribe(hooked, auth, hook.url, event_types=["AccountOpened"])
        sid = created["subscription_id"]
        deleted = await hooked.delete(f"/v1/webhooks/{sid}", headers=auth(**ADMIN))
        assert deleted.status_code == 200, deleted.text
        await asyncio.sleep(0.3)
        await open_accounts(hooked, auth, 1)
        await asyncio.sleep(1.0)
        assert hook.received == []
    assert (await hooked.get(f"/v1/webhooks/{sid}", headers=auth(**ADMIN))).status_code == 404
    assert (await hooked.delete(f"/v1/webhooks/{sid}", headers=auth(**ADMIN))).status_code == 404
    [stored] = [
        e for e in await isolated.store.read_stream("webhooks-company") if e.event_type == "SubscriptionCreated"
    ]
    assert stored.data["secret"] is None
    assert stored.redacted == ("secret",)
    async with isolated.pool.acquire() as conn:
        raw = await conn.fetchval("SELECT data::text FROM events WHERE stream_id = 'webhooks-company' LIMIT 1")
    assert created["secret"] not in raw


async def test_the_cursor_of_a_deleted_subscription_is_dropped_and_a_live_ones_kept(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    async def cursors() -> set[str]:
        async with isolated.pool.acquire() as conn:
            return {r["subscription_id"] for r in await conn.fetch("SELECT subscription_id FROM webhook_cursors")}

    with receiver() as hook:
        async with app_on(settings, isolated.url) as hooked:
            kept, dropped = [(await subscribe(hooked, auth, hook.url))["subscription_id"] for _ in range(2)]
            await eventually(cursors, lambda ids: ids == {kept, dropped})  # each delivery keeps a cursor
            assert (await hooked.delete(f"/v1/webhooks/{dropped}", headers=auth(**ADMIN))).status_code == 200
        assert await cursors() == {kept, dropped}
        async with app_on(settings, isolated.url):  # a dispatcher's first look prunes
            await eventually(cursors, lambda ids: ids == {kept})


async def test_the_attempt_log_keeps_its_rows_for_the_days_configured(settings: Settings, isolated: Any) -> None:
    old, fresh = uuid.uuid4(), uuid.uuid4()
    conn = await asyncpg.connect(asyncpg_dsn(isolated.url))
    try:
        await conn.executemany(
            "INSERT INTO webhook_attempts (subscription_id, event_id, position, event_type, attempt, attempted_at,"
            " duration_ms, delivered)"
            " VALUES ('s', $1, 1, 'AccountOpened', 1, now() - make_interval(days => $2), 5, true)",
            [(old, 11), (fresh, 9)],
        )
        async with app_on(settings, isolated.url, webhook_attempts_keep_days=10):
            await asyncio.sleep(1.5)  # the dispatcher's first look prunes
        kept = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM webhook_attempts")}
    finally:
        await conn.close()
    assert kept == {fresh}
