"""Webhooks out: a failure streak disables a subscription, and what a new URL, a replay or another subscription
does to the streak and its backoff."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from service.config import Settings
from tests.support.receiver import receiver
from tests.support.webhooks import ADMIN, app_on, eventually, get_json, open_accounts, subscribe
from tests.support.webhooks import hooked as hooked  # the fixture: an app of its own on the isolated database


async def test_a_long_failure_streak_disables_the_subscription_and_resuming_delivers_what_waited(
    hooked: httpx.AsyncClient, auth: Callable[..., dict[str, str]], isolated: Any
) -> None:
    with receiver() as hook:
        hook.answer = lambda n: 503
        created = await subscribe(hooked, auth, hook.url, event_types=["AccountOpened"])
        sid = created["subscription_id"]
        [account] = await open_accounts(hooked, auth, 1)
        for _ in range(200):
            status = (await hooked.get(f"/v1/webhooks/{sid}", headers=auth(**ADMIN))).json()
            if status["status"] == "disabled":
                break
            await asyncio.sleep(0.05)
        assert status["status"] == "disabled"
        assert status["disabled_reason"] == "4 failed attempts in a row; the last: HTTP 503"
        assert len(hook.received) == 4
        await asyncio.sleep(0.3)
        assert len(hook.received) == 4  # a disabled subscription is not tried any more

        hook.answer = lambda n: 200
        resumed = await hooked.patch(f"/v1/webhooks/{sid}", json={"status": "active"}, headers=auth(**ADMIN))
        assert resumed.status_code == 200, resumed.text
        [delivered] = await hook.wait_for(1)
    assert orjson.loads(delivered.body)["data"]["stream_id"] == f"account-{account}"
    status = (await hooked.get(f"/v1/webhooks/{sid}", headers=auth(**ADMIN))).json()
    assert status["status"] == "active"
    assert status["disabled_reason"] == ""
    assert status["failures_in_a_row"] == 0

    disabled = [
        e for e in await isolated.store.read_stream("webhooks-company") if e.event_type == "SubscriptionStatusSet"
    ]
    assert [(e.data["status"], e.metadata["actor"]) for e in disabled] == [
        ("disabled", "kamplan:webhooks"),
        ("active", "root"),
    ]


async def test_a_url_the_http_client_cannot_even_send_to_counts_as_failed_attempts(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    async with app_on(settings, isolated.url, webhook_disable_after=2) as client:
        created = await subscribe(client, auth, "http://💩.la/hook", event_types=["AccountOpened"])
        await open_accounts(client, auth, 1)
        path = f"/v1/webhooks/{created['subscription_id']}"
        for _ in range(100):
            status = (await client.get(path, headers=auth(**ADMIN))).json()
            if status["status"] == "disabled":
                break
            await asyncio.sleep(0.05)
        attempts = (await client.get(f"{path}/attempts", headers=auth(**ADMIN))).json()["items"]
    assert status["status"] == "disabled"
    assert status["disabled_reason"].startswith("2 failed attempts in a row; the last: ")
    assert [a["attempt"] for a in attempts] == [2, 1]
    assert all(a["error"] and a["status_code"] is None for a in attempts)


async def test_another_subscriptions_change_does_not_cut_a_backoff_short(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    with receiver() as hook:
        hook.answer = lambda n: 500
        async with app_on(
            settings, isolated.url, webhook_retry_base_seconds=30, webhook_retry_max_seconds=30
        ) as client:
            created = await subscribe(client, auth, hook.url, event_types=["AccountOpened"])
            await open_accounts(client, auth, 1)
            await hook.wait_for(1, delivered=False)
            for n in range(3):
                await subscribe(client, auth, f"https://erp.example/{n}", event_types=["PlanStarted"])
                await asyncio.sleep(0.6)
            attempts = (await client.get(f"/v1/webhooks/{created['subscription_id']}/attempts",
                                         headers=auth(**ADMIN))).json()["items"]  # fmt: skip
    assert len(attempts) == 1


async def test_a_new_url_given_while_paused_starts_a_fresh_failure_streak(
    hooked: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    """A new URL starts a fresh failure streak. One changed while the subscription was paused (the usual way to fix
    a broken receiver) kept the old URL's streak, since only a running delivery knew the URL it had served: the new
    receiver got fewer than disable_after tries (found by review)."""
    with receiver() as old, receiver() as new:
        old.answer = lambda n: 500
        new.answer = lambda n: 500
        created = await subscribe(hooked, auth, old.url, event_types=["AccountOpened"])
        sid = created["subscription_id"]
        path = f"/v1/webhooks/{sid}"
        await open_accounts(hooked, auth, 1)
        await old.wait_for(2, delivered=False)
        paused = await hooked.patch(path, json={"status": "paused"}, headers=auth(**ADMIN))
        assert paused.status_code == 200, paused.text
        await asyncio.sleep(0.5)  # the dispatcher has let it go
        streak = (await get_json(hooked, path, auth))["failures_in_a_row"]
        assert 1 <= streak < 4
        resumed = await hooked.patch(path, json={"url": new.url, "status": "active"}, headers=auth(**ADMIN))
        assert resumed.status_code == 200, resumed.text
        status = await eventually(lambda: get_json(hooked, path, auth), lambda s: s["status"] == "disabled")
        assert len(new.received) == 4, (streak, len(new.received), status["disabled_reason"])


async def test_a_new_url_given_during_the_last_attempt_of_a_streak_is_tried_not_disabled(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    """A new URL starts a fresh failure streak. One given while the attempt that ended the old URL's streak was
    under way was disabled with the old URL's failures, and the new receiver never tried (found by review)."""
    started = threading.Event()

    def failing_slowly(n: int) -> int:
        started.set()
        time.sleep(1.0)  # under way while the URL changes
        return 500

    with receiver() as old, receiver() as new:
        old.answer = failing_slowly
        async with app_on(settings, isolated.url, webhook_disable_after=1) as client:
            created = await subscribe(client, auth, old.url, event_types=["AccountOpened"])
            path = f"/v1/webhooks/{created['subscription_id']}"
            await open_accounts(client, auth, 1)
            await eventually(lambda: asyncio.sleep(0, started.is_set()), bool)
            changed = await client.patch(path, json={"url": new.url}, headers=auth(**ADMIN))
            assert changed.status_code == 200, changed.text
            [delivered] = await new.wait_for(1)
            status = await get_json(client, path, auth)
    assert (status["status"], status["disabled_reason"]) == ("active", "")
    assert len(old.received) == 1
    assert orjson.loads(delivered.body)["type"] == "AccountOpened"


async def test_a_replay_that_moves_nothing_back_keeps_the_failure_streak_of_the_event_waiting(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    """`failures_in_a_row` counts the failed attempts at the next event. A replay from the head moves delivery
    nowhere (never forward), so the same event waits with the same streak: zeroing it gave a failing receiver
    another `disable_after` attempts per replay (found by review)."""
    with receiver() as hook:
        hook.answer = lambda n: 500
        slow_retries = {"webhook_retry_base_seconds": 0.3, "webhook_retry_max_seconds": 0.3}
        async with app_on(settings, isolated.url, **slow_retries) as client:
            created = await subscribe(client, auth, hook.url, event_types=["AccountOpened"])
            path = f"/v1/webhooks/{created['subscription_id']}"
            await open_accounts(client, auth, 1)
            await hook.wait_for(2, delivered=False)
            head = await isolated.store.head_position()
            replay = await client.post(f"{path}/replay", json={"after_position": head}, headers=auth(**ADMIN))
            assert replay.status_code == 200, replay.text
            status = await eventually(lambda: get_json(client, path, auth), lambda s: s["status"] == "disabled")
            await asyncio.sleep(0.5)
    assert status["disabled_reason"] == "4 failed attempts in a row; the last: HTTP 500"
    assert len(hook.received) == 4
