"""Webhooks out: subscriptions over the API, delivered by the app's own dispatcher to a real HTTP receiver."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from service.config import Settings
from service.db.urls import asyncpg_dsn
from service.domain.actors import Role
from service.events import EventStore
from tests.support.receiver import receiver
from tests.support.webhooks import ADMIN, app_on, events_of, eventually, get_json, open_accounts, subscribe, verifies


@pytest.fixture
async def hooked(settings: Settings, isolated: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_on(settings, isolated.url) as client:
        yield client


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


# The API alone, on the session's app (which delivers nothing: see conftest).


async def test_the_secret_is_shown_once_and_a_keyed_retry_answers_the_same(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"url": "https://erp.example/hooks", "event_types": ["AccountOpened", "InteractionLogged"]}
    first = await client.post("/v1/webhooks", json=body, headers=auth(**ADMIN) | key)
    again = await client.post("/v1/webhooks", json=body, headers=auth(**ADMIN) | key)
    assert first.status_code == again.status_code == 201
    assert first.json()["secret"] == again.json()["secret"]
    assert first.json()["secret"].startswith("whsec_")
    assert again.json()["written"]["replayed"] is True
    sid = first.json()["subscription_id"]
    assert first.headers["location"] == f"/v1/webhooks/{sid}"
    shown = await client.get(f"/v1/webhooks/{sid}", headers=auth(**ADMIN))
    assert "secret" not in shown.json()
    assert shown.json()["event_types"] == ["AccountOpened", "InteractionLogged"]
    listed = await client.get("/v1/webhooks", headers=auth(**ADMIN))
    assert sid in [s["subscription_id"] for s in listed.json()["items"]]
    assert all("secret" not in item for item in listed.json()["items"])
    assert first.json()["secret"] not in listed.text
    own = await client.post("/v1/webhooks", json={**body, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                            headers=auth(**ADMIN))  # fmt: skip
    assert own.json()["secret"] == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://erp.example/hooks"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": f"https://{'a' * 64}.example/hooks"}, "url"),  # a DNS label has at most 63 characters
        ({"url": f"https://{'.'.join(['a' * 60] * 5)}.example/hooks"}, "url"),  # a DNS name at most 253
        ({"url": "https://erp.example:0/hooks"}, "url"),  # no connection is ever made to port 0
        ({"url": "https://erp..example/hooks"}, "url"),
        ({"url": "https://erp.example/", "event_types": ["AccountOpened", "NoSuchEvent"]}, "event_types"),
        ({"url": "https://erp.example/", "event_types": ["SubscriptionCreated"]}, "event_types"),
        ({"url": "https://erp.example/", "secret": "hunter2"}, "secret"),
        ({"url": "https://erp.example/", "start_after": -1}, "start_after"),
    ],
)
async def test_a_bad_subscription_is_refused_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], store: EventStore, body: dict, field: str
) -> None:
    before = await store.head_position()
    response = await client.post("/v1/webhooks", json=body, headers=auth(**ADMIN))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(e["field"].endswith(field) for e in response.json()["errors"]), response.json()
    assert await store.head_position() == before


async def test_only_an_admin_manages_webhooks(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
    for role in (Role.MANAGER, Role.SUPERVISOR, Role.INTEGRATION, Role.BI):
        assert (await client.get("/v1/webhooks", headers=auth("x", role))).status_code == 403
        created = await client.post("/v1/webhooks", json={"url": "https://erp.example/"}, headers=auth("x", role))
        assert created.status_code == 403
    assert (await client.get("/v1/webhooks")).status_code == 401


async def test_changes_check_the_version_and_unknown_ids_are_404(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    created = (await client.post("/v1/webhooks", json={"url": "https://erp.example/a"}, headers=auth(**ADMIN))).json()
    sid, version = created["subscription_id"], created["written"]["version"]
    stale = await client.patch(f"/v1/webhooks/{sid}", json={"description": "x"},
                               headers=auth(**ADMIN) | {"If-Match": f'"{version - 1}"'})  # fmt: skip
    assert stale.status_code == 412
    unresolvable = await client.patch(
        f"/v1/webhooks/{sid}", json={"url": "https://erp..example/"}, headers=auth(**ADMIN)
    )
    assert unresolvable.status_code == 422, unresolvable.text
    assert [e["field"] for e in unresolvable.json()["errors"]] == ["body.url"]
    fresh = await client.patch(f"/v1/webhooks/{sid}", json={"event_types": ["AccountOpened"], "description": "ERP"},
                               headers=auth(**ADMIN) | {"If-Match": f'"{version}"'})  # fmt: skip
    assert fresh.status_code == 200, fresh.text
    shown = (await client.get(f"/v1/webhooks/{sid}", headers=auth(**ADMIN))).json()
    assert (shown["event_types"], shown["description"]) == (["AccountOpened"], "ERP")
    every = await client.patch(f"/v1/webhooks/{sid}", json={"event_types": None}, headers=auth(**ADMIN))
    assert every.status_code == 200
    assert (await client.get(f"/v1/webhooks/{sid}", headers=auth(**ADMIN))).json()["event_types"] is None
    same = await client.patch(f"/v1/webhooks/{sid}", json={"event_types": None}, headers=auth(**ADMIN))
    assert same.json()["position"] is None  # nothing changed, nothing written
    for method, path, body in (
        ("GET", "/v1/webhooks/nope", None),
        ("PATCH", "/v1/webhooks/nope", {"description": "x"}),
        ("POST", "/v1/webhooks/nope/replay", {"after_position": 0}),
        ("DELETE", "/v1/webhooks/nope", None),
        ("GET", "/v1/webhooks/nope/attempts", None),
    ):
        missing = await client.request(method, path, json=body, headers=auth(**ADMIN))
        assert missing.status_code == 404, (method, path, missing.text)
        assert missing.json()["type"].endswith("/webhook-not-found")


async def test_the_event_types_a_subscription_can_ask_for_are_listed(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    types = (await client.get("/v1/webhooks/event-types", headers=auth(**ADMIN))).json()
    assert {"AccountOpened", "InteractionLogged", "RevisionAgreed", "SubjectForgotten"} <= set(types)
    assert not {"SubscriptionCreated", "SubscriptionDeleted"} & set(types)


async def test_subscriptions_are_listed_page_by_page(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    for n in range(3):
        await client.post("/v1/webhooks", json={"url": f"https://erp.example/{n}"}, headers=auth(**ADMIN))
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/webhooks", params=params, headers=auth(**ADMIN))).json()
        seen += [s["subscription_id"] for s in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    everything = (await client.get("/v1/webhooks", params={"limit": 200}, headers=auth(**ADMIN))).json()
    assert seen == [s["subscription_id"] for s in everything["items"]]
    first = (await client.get("/v1/webhooks", params={"limit": 2}, headers=auth(**ADMIN))).json()
    await client.delete(f"/v1/webhooks/{first['items'][1]['subscription_id']}", headers=auth(**ADMIN))
    rest = await client.get(
        "/v1/webhooks", params={"limit": 200, "cursor": first["next_cursor"]}, headers=auth(**ADMIN)
    )
    assert [s["subscription_id"] for s in rest.json()["items"]] == seen[2:]  # nothing skipped for the deletion
    seen.remove(first["items"][1]["subscription_id"])
    everything = (await client.get("/v1/webhooks", params={"limit": 200}, headers=auth(**ADMIN))).json()
    assert seen == [s["subscription_id"] for s in everything["items"]]
    assert len(seen) >= 3


# What a review of the first version found, each a test that failed on it.


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


async def test_a_webhooks_secret_is_not_shown_again_nor_forgotten_apart_from_it(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    created = (await client.post("/v1/webhooks", json={"url": "https://erp.example/s"}, headers=auth(**ADMIN))).json()
    stream = await client.get("/v1/streams/webhooks-company", params={"limit": 1000}, headers=auth(**ADMIN))
    assert stream.status_code == 200
    assert created["secret"] not in stream.text
    subject = f"webhook-secret-{created['subscription_id']}"
    for path in (f"/v1/subjects/{subject}/forget", f"/v1/people/{subject}/forget"):
        refused = await client.post(path, headers=auth(**ADMIN))
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"].endswith("/webhook-secret")


async def test_a_keyed_retry_of_a_create_deleted_since_is_a_404(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    created = await client.post("/v1/webhooks", json={"url": "https://erp.example/k"}, headers=auth(**ADMIN) | key)
    await client.delete(f"/v1/webhooks/{created.json()['subscription_id']}", headers=auth(**ADMIN))
    again = await client.post("/v1/webhooks", json={"url": "https://erp.example/k"}, headers=auth(**ADMIN) | key)
    assert again.status_code == 404
    assert again.json()["type"].endswith("/webhook-not-found")


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
