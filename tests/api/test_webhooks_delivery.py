"""Webhooks out: events reach a real receiver signed, in log order, once, retried after failures and timeouts,
with a forgotten person's fields redacted."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from service.config import Settings
from service.domain.actors import Role
from tests.support.receiver import receiver
from tests.support.webhooks import ADMIN, app_on, events_of, eventually, get_json, open_accounts, subscribe, verifies
from tests.support.webhooks import hooked as hooked  # the fixture: an app of its own on the isolated database


async def test_events_of_its_types_reach_a_subscriber_signed_and_in_log_order(
    hooked: httpx.AsyncClient, auth: Callable[..., dict[str, str]], isolated: Any
) -> None:
    with receiver() as hook:
        created = await subscribe(hooked, auth, hook.url, event_types=["AccountOpened"], description="ERP")
        accounts = await open_accounts(hooked, auth, 5)
        await hooked.patch(f"/v1/accounts/{accounts[0]}", json={"name": "Renamed"}, headers=auth("kam", Role.MANAGER))
        requests = await hook.wait_for(5)
        await asyncio.sleep(0.3)  # a sixth request, of a type not asked for, would have come by now
        assert len(hook.received) == 5

    bodies = events_of(requests)
    assert [b["type"] for b in bodies] == ["AccountOpened"] * 5
    assert [b["data"]["stream_id"] for b in bodies] == [f"account-{a}" for a in accounts]
    positions = [b["data"]["position"] for b in bodies]
    assert positions == sorted(positions)
    assert bodies[0]["data"]["payload"]["name"] == "Client 0"
    assert bodies[0]["data"]["actor"] == "kam"
    assert all(verifies(created["secret"], r) for r in requests)
    assert [r.headers["webhook-id"] for r in requests] == [b["data"]["event_id"] for b in bodies]
    assert all(r.headers["content-type"] == "application/json" for r in requests)
    assert not verifies("whsec_" + base64.b64encode(b"x" * 32).decode(), requests[0])

    path = f"/v1/webhooks/{created['subscription_id']}"
    status = await eventually(lambda: get_json(hooked, path, auth), lambda s: s["delivered_through"] >= positions[-1])
    assert status["failures_in_a_row"] == 0
    assert status["status"] == "active"
    attempts = await get_json(hooked, f"{path}/attempts", auth)
    assert [a["position"] for a in attempts["items"]] == positions[::-1]
    assert all(a["delivered"] and a["status_code"] == 204 and a["attempt"] == 1 for a in attempts["items"])


async def test_a_failed_event_is_retried_and_nothing_after_it_is_sent_meanwhile(
    hooked: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    with receiver() as hook:
        hook.answer = lambda n: 500 if n < 2 else 200  # the first event fails twice
        created = await subscribe(hooked, auth, hook.url, event_types=["AccountOpened"])
        await open_accounts(hooked, auth, 2)
        await hook.wait_for(2)
        received = list(hook.received)

    assert [r.status for r in received] == [500, 500, 200, 200]
    ids = [r.headers["webhook-id"] for r in received]
    assert ids[0] == ids[1] == ids[2] != ids[3]  # the same message again, and the next one only after it
    assert all(verifies(created["secret"], r) for r in received)
    attempts = (await hooked.get(f"/v1/webhooks/{created['subscription_id']}/attempts", headers=auth(**ADMIN))).json()
    first = [a for a in reversed(attempts["items"]) if a["event_id"] == ids[0]]
    assert [(a["attempt"], a["status_code"], a["error"], a["delivered"]) for a in first] == [
        (1, 500, "HTTP 500", False),
        (2, 500, "HTTP 500", False),
        (3, 200, None, True),
    ]


async def test_a_subscriber_too_slow_to_answer_is_a_failed_attempt(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    with receiver() as hook:
        hook.delay_seconds = 1.0
        async with app_on(settings, isolated.url, webhook_timeout_seconds=0.3) as client:
            created = await subscribe(client, auth, hook.url, event_types=["AccountOpened"])
            await open_accounts(client, auth, 1)
            await hook.wait_for(1, delivered=False)
            hook.delay_seconds = 0.0
            path = f"/v1/webhooks/{created['subscription_id']}/attempts"
            page = await eventually(
                lambda: get_json(client, path, auth), lambda p: any(a["delivered"] for a in p["items"])
            )
            attempts = page["items"][::-1]
    assert attempts[0]["error"] == "no answer within 0.3 s"
    assert attempts[0]["status_code"] is None
    assert 300 <= attempts[0]["duration_ms"] < 900
    assert attempts[-1]["delivered"]
    assert attempts[-1]["attempt"] == len(attempts)


async def test_a_subscriber_trickling_its_answer_is_cut_off_at_the_timeout(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    """httpx's timeout bounds each read: an answer sent a byte every 0.1 s never tripped it, for seconds."""
    with receiver() as hook:
        hook.trickle_seconds = 0.1
        async with app_on(settings, isolated.url, webhook_timeout_seconds=0.5, webhook_disable_after=1) as client:
            created = await subscribe(client, auth, hook.url, event_types=["AccountOpened"])
            await open_accounts(client, auth, 1)
            path = f"/v1/webhooks/{created['subscription_id']}/attempts"
            page = await eventually(lambda: get_json(client, path, auth), lambda p: bool(p["items"]))
    [attempt] = page["items"]
    assert attempt["error"] == "no answer within 0.5 s"
    assert not attempt["delivered"]
    assert attempt["duration_ms"] < 1500


async def test_two_processes_deliver_each_event_once_and_a_restart_loses_nothing(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    with receiver() as hook:
        async with app_on(settings, isolated.url) as first, app_on(settings, isolated.url) as second:
            await subscribe(first, auth, hook.url, event_types=["AccountOpened"])
            await open_accounts(first, auth, 10)
            await open_accounts(second, auth, 10)
            await hook.wait_for(20)
            await asyncio.sleep(0.5)
            assert len(hook.received) == 20  # each once: one process holds the subscription's lease
        async with app_on(settings, isolated.url, webhooks="off") as stopped:  # written while nobody delivers
            await open_accounts(stopped, auth, 3)
        async with app_on(settings, isolated.url):
            await hook.wait_for(23)
        bodies = events_of(hook.delivered())
    positions = [b["data"]["position"] for b in bodies]
    assert positions == sorted(positions)
    assert len(positions) == len(set(positions)) == 23


async def test_many_subscriptions_do_not_hold_the_pool_and_all_are_delivered(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    with receiver() as hook:
        async with app_on(settings, isolated.url, pool_max=12) as client:
            for _ in range(20):  # more subscriptions than connections: leases share one
                await subscribe(client, auth, hook.url, event_types=["AccountOpened"])
            await asyncio.sleep(1.5)  # every subscription leased and idle
            async with asyncio.timeout(10):
                await open_accounts(client, auth, 1)
                assert (await client.get("/v1/webhooks", headers=auth(**ADMIN))).status_code == 200
            await hook.wait_for(20)


async def _member(client: httpx.AsyncClient, path: str, kam: dict[str, str], name: str) -> dict[str, Any]:
    added = await client.post(f"{path}/buying-center/members", json={"name": name, "notes": "back pain"}, headers=kam)
    assert added.status_code == 201, added.text
    return added.json()


async def test_an_attempt_after_a_person_is_forgotten_carries_their_fields_redacted(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    """Both when the event failed before the forget and is retried, and when it was read in a batch before the
    forget and is sent after it: the body is not the one built first."""
    kam, admin = auth("kam", Role.MANAGER, "north"), auth(**ADMIN)
    fast_retries = {"webhook_retry_base_seconds": 0.2, "webhook_retry_max_seconds": 0.2}
    with receiver() as hook:
        forgotten = asyncio.Event()
        hook.answer = lambda n: 204 if forgotten.is_set() else 500
        async with app_on(settings, isolated.url, **fast_retries) as client:
            retried = await subscribe(client, auth, hook.url, event_types=["MemberAdded"])
            account = (await client.post("/v1/accounts", json={"name": "A", "industry": "B"}, headers=kam)).json()
            path = f"/v1/accounts/{account['account_id']}"
            member = (await _member(client, path, kam, "Retried Person"))["member"]["member_id"]
            [failed] = await hook.wait_for(1, delivered=False)
            assert b"Retried Person" in failed.body  # before the forget, the person is there
            assert (await client.post(f"/v1/people/{member}/forget", headers=admin)).status_code == 200
            forgotten.set()
            [delivered] = await hook.wait_for(1)
            await client.delete(f"/v1/webhooks/{retried['subscription_id']}", headers=admin)
        data = orjson.loads(delivered.body)["data"]
        assert (data["payload"]["name"], data["payload"]["notes"]) == (None, None)
        assert sorted(data["redacted"]) == ["name", "notes"]
        assert b"Retried Person" not in delivered.body
        assert b"back pain" not in delivered.body

    with receiver() as hook:
        hook.delay_seconds = 0.4  # the three events are read in one batch, then sent one after another
        async with app_on(settings, isolated.url) as client:
            added = [await _member(client, path, kam, f"Batched Person {n}") for n in range(3)]
            start = added[0]["position"] - 1
            await subscribe(client, auth, hook.url, event_types=["MemberAdded"], start_after=start)
            await hook.wait_for(1, delivered=False)
            forget = await client.post(f"/v1/people/{added[2]['member']['member_id']}/forget", headers=admin)
            assert forget.status_code == 200
            sent = await hook.wait_for(3)
        assert orjson.loads(sent[0].body)["data"]["payload"]["name"] == "Batched Person 0"
        assert orjson.loads(sent[2].body)["data"]["payload"]["name"] is None
        assert b"Batched Person 2" not in sent[2].body
