"""Where a new subscription starts by default: after the head, once nothing can still commit below it, so that no
event committed after the answer is lost to it (positions are drawn before commit, so they commit out of order)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from service.config import Settings
from tests.conftest import IsolatedDb
from tests.support.held import held_below_the_head
from tests.support.receiver import receiver
from tests.support.webhooks import ADMIN, app_on, events_of, get_json, open_accounts, subscribe


async def test_a_new_subscription_waits_for_a_transaction_open_below_the_head(
    settings: Settings, isolated: IsolatedDb, auth: Callable[..., dict[str, str]]
) -> None:
    with receiver() as hook:
        async with app_on(settings, isolated.url, read_wait_seconds=10.0) as client:
            async with held_below_the_head(isolated) as held:
                creating = asyncio.create_task(subscribe(client, auth, hook.url, event_types=["AccountOpened"]))
                await asyncio.sleep(0.5)
                assert not creating.done()  # the held event could still commit below the head: no start yet
                await held.transaction.commit()
                created = await asyncio.wait_for(creating, 10)
            start = created["delivered_through"]
            assert start > held.position  # the held event committed before the answer: it is behind the start, rightly

            [account] = await open_accounts(client, auth, 1)
            [request] = events_of(await hook.wait_for(1))
            assert request["data"]["stream_id"] == f"account-{account}"
            assert request["data"]["position"] > start


async def test_a_transaction_held_open_too_long_is_a_503_and_nothing_is_written(
    settings: Settings, isolated: IsolatedDb, auth: Callable[..., dict[str, str]]
) -> None:
    # read_wait_seconds is 1.0 in the tests
    async with app_on(settings, isolated.url, webhooks="off") as client, held_below_the_head(isolated) as held:
        refused = await client.post("/v1/webhooks", json={"url": "https://erp.invalid/hook"}, headers=auth(**ADMIN))
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["type"] == "/problems/log-unsettled"
        assert (await get_json(client, "/v1/webhooks", auth))["items"] == []

        given: dict[str, Any] = {"url": "https://erp.invalid/hook", "start_after": held.position - 1}  # chosen: no wait
        created = await client.post("/v1/webhooks", json=given, headers=auth(**ADMIN))
        assert created.status_code == 201, created.text
        assert created.json()["delivered_through"] == held.position - 1


async def test_a_keyed_retry_of_a_landed_create_answers_as_the_first_time_without_waiting(
    settings: Settings, isolated: IsolatedDb, auth: Callable[..., dict[str, str]]
) -> None:
    headers = {**auth(**ADMIN), "Idempotency-Key": "create-hook-1"}
    body = {"url": "https://erp.invalid/hook"}
    async with app_on(settings, isolated.url, webhooks="off") as client:
        first = await client.post("/v1/webhooks", json=body, headers=headers)
        assert first.status_code == 201, first.text
        async with held_below_the_head(isolated):
            again = await client.post("/v1/webhooks", json=body, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json()["written"]["replayed"] is True
    assert {**again.json(), "written": None} == {**first.json(), "written": None}


async def test_with_no_wait_allowed_a_settled_log_still_gives_a_start(
    settings: Settings, isolated: IsolatedDb, auth: Callable[..., dict[str, str]]
) -> None:
    quiet = {"webhooks": "off", "projections": "off", "read_wait_seconds": 0.0}  # nothing of its own writing
    async with app_on(settings, isolated.url, **quiet) as client:
        created = await client.post("/v1/webhooks", json={"url": "https://erp.invalid/hook"}, headers=auth(**ADMIN))
    assert created.status_code == 201, created.text
