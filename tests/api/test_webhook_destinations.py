"""Webhooks are not delivered to loopback or to the link-local neighbours (server-side request forgery): a URL
there is refused when given, and the dispatcher refuses to connect there, whatever a name resolved to before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from service.config import Settings
from tests.support.receiver import receiver
from tests.support.webhooks import ADMIN, app_on, eventually, get_json, open_accounts, subscribe

BLOCKED_BY_DEFAULT = {"webhook_allowed_networks": ""}  # the conftest's settings allow 127.0.0.0/8
LOOPBACK_ALLOWED = {"webhook_allowed_networks": "127.0.0.0/8 ::1/128"}


async def test_a_url_in_a_blocked_network_is_refused_and_nothing_is_written(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    async with app_on(settings, isolated.url, webhooks="off", **BLOCKED_BY_DEFAULT) as client:
        before = await isolated.store.head_position()
        for url in (
            "http://127.0.0.1:9/hook",
            "http://localhost:9/hook",
            "http://169.254.169.254/latest",
            "http://[::127.0.0.1]/hook",  # IPv4-compatible (RFC 4291 2.5.5.1), judged by the IPv4 address inside
            "http://[::7f00:1]:9/hook",
            "http://[::169.254.169.254]/latest",
            "http://[64:ff9b::a9fe:a9fe]/latest",  # NAT64
            "http://[2002:7f00:1::]/hook",  # 6to4
        ):
            refused = await client.post("/v1/webhooks", json={"url": url}, headers=auth(**ADMIN))
            assert refused.status_code == 422, refused.text
            problem = refused.json()
            assert problem["type"] == "/problems/destination-blocked"
            assert problem["title"] == "Destination blocked"
            assert problem["field"] == "url"
            assert "KAMPLAN_WEBHOOK_BLOCKED_NETWORKS" in problem["detail"]
        assert (await get_json(client, "/v1/webhooks", auth))["items"] == []
        assert await isolated.store.head_position() == before

        created = await subscribe(client, auth, "https://erp.invalid/hook")  # not resolvable now: checked at delivery
        path = f"/v1/webhooks/{created['subscription_id']}"
        moved = await client.patch(path, json={"url": "http://[::1]:9/hook"}, headers=auth(**ADMIN))
        assert moved.status_code == 422, moved.text
        assert moved.json()["type"] == "/problems/destination-blocked"
        assert (await get_json(client, path, auth))["url"] == "https://erp.invalid/hook"


async def test_the_dispatcher_does_not_connect_where_a_name_now_leads_into_a_blocked_network(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    with receiver() as hook:
        local = hook.url.replace("127.0.0.1", "localhost")  # the name resolves at each connection
        async with app_on(settings, isolated.url, webhooks="off", **LOOPBACK_ALLOWED) as client:
            created = await subscribe(client, auth, local, event_types=["AccountOpened"])
            await open_accounts(client, auth, 1)
        path = f"/v1/webhooks/{created['subscription_id']}/attempts"

        async with app_on(settings, isolated.url, webhook_disable_after=1000, **BLOCKED_BY_DEFAULT) as client:
            attempts = await eventually(lambda: get_json(client, path, auth), lambda page: len(page["items"]) >= 2)
        assert hook.received == []
        refused = attempts["items"][0]
        assert refused["delivered"] is False
        assert refused["status_code"] is None
        assert refused["error"].startswith("ConnectError: localhost: 127.0.0.1 is in the blocked network 127.0.0.0/8")

        async with app_on(settings, isolated.url, **LOOPBACK_ALLOWED) as client:  # the operator allows it again
            [request] = await hook.wait_for(1)
        assert request.headers["host"] == local.split("/")[2]  # sent to the name's address, under the name


async def test_a_keyed_retry_of_a_url_that_landed_answers_as_the_first_time_when_its_network_is_blocked_since(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    """The destination was checked before the handler, which answers a retry: a create or a change stored while
    loopback was allowed, retried after the operator blocked it (or the name came to lead there), was a 422
    `destination-blocked` instead of its first answer."""
    created_key, changed_key = {"Idempotency-Key": "create-loopback"}, {"Idempotency-Key": "change-to-loopback"}
    create, change = {"url": "http://localhost:9/hook"}, {"url": "http://127.0.0.1:9/other"}
    async with app_on(settings, isolated.url, webhooks="off", **LOOPBACK_ALLOWED) as client:
        created = await client.post("/v1/webhooks", json=create, headers={**auth(**ADMIN), **created_key})
        assert created.status_code == 201, created.text
        path = f"/v1/webhooks/{created.json()['subscription_id']}"
        changed = await client.patch(path, json=change, headers={**auth(**ADMIN), **changed_key})
        assert changed.status_code == 200, changed.text

    async with app_on(settings, isolated.url, webhooks="off", **BLOCKED_BY_DEFAULT) as client:
        for first, retry in (
            (created, await client.post("/v1/webhooks", json=create, headers={**auth(**ADMIN), **created_key})),
            (changed, await client.patch(path, json=change, headers={**auth(**ADMIN), **changed_key})),
        ):
            assert retry.status_code == first.status_code, retry.text
            assert _but_replayed(retry.json()) == _but_replayed(first.json())
            assert (retry.json().get("written") or retry.json())["replayed"] is True
            assert [retry.headers.get(h) for h in ("etag", "location", "x-position")] == [
                first.headers.get(h) for h in ("etag", "location", "x-position")
            ]
        # a new request is still checked
        refused = await client.patch(path, json=change, headers={**auth(**ADMIN), "Idempotency-Key": "a-new-one"})
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"] == "/problems/destination-blocked"


def _but_replayed(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer without its `replayed` flag, also where a created webhook nests it under `written`."""
    written = {k: v for k, v in answer.get("written", {}).items() if k != "replayed"}
    return {k: v for k, v in answer.items() if k != "replayed"} | ({"written": written} if written else {})
