"""Rotating a webhook's signing secret: the old one signs beside the new one for a grace period, then stops."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from service.config import Settings
from service.domain.actors import Role
from service.events import EventStore
from service.main import create_app
from tests.support.receiver import receiver
from tests.support.webhooks import ADMIN, app_on, get_json, open_accounts, subscribe, verifies

OWN_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def rotate(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], sid: str, **body: Any) -> dict:
    response = await client.post(f"/v1/webhooks/{sid}/rotate-secret", json=body, headers=auth(**ADMIN))
    assert response.status_code == 200, response.text
    return response.json()


async def test_after_a_rotation_deliveries_carry_both_signatures_until_the_grace_ends(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    async with app_on(settings, isolated.url) as hooked:
        with receiver() as hook:
            created = await subscribe(hooked, auth, hook.url, event_types=["AccountOpened"])
            sid, first = created["subscription_id"], created["secret"]
            shown = await get_json(hooked, f"/v1/webhooks/{sid}", auth)
            assert shown["previous_secret_valid_until"] is None

            before = datetime.now(UTC)
            rotated = await rotate(hooked, auth, sid)
            second = rotated["secret"]
            assert second.startswith("whsec_")
            assert second != first
            until = datetime.fromisoformat(rotated["previous_secret_valid_until"])
            assert before + timedelta(hours=24) <= until <= datetime.now(UTC) + timedelta(hours=24)
            shown = await get_json(hooked, f"/v1/webhooks/{sid}", auth)
            assert datetime.fromisoformat(shown["previous_secret_valid_until"]) == until

            await open_accounts(hooked, auth, 1)
            [during] = await hook.wait_for(1)
            assert verifies(second, during)
            assert verifies(first, during)
            assert len(during.headers["webhook-signature"].split()) == 2

            third = (await rotate(hooked, auth, sid, secret=OWN_SECRET, grace_seconds=0))["secret"]
            assert third == OWN_SECRET
            await open_accounts(hooked, auth, 1)
            after = (await hook.wait_for(2))[1]
            assert verifies(third, after)
            assert not verifies(second, after)
            assert not verifies(first, after)
            assert len(after.headers["webhook-signature"].split()) == 1
            shown = await get_json(hooked, f"/v1/webhooks/{sid}", auth)
            assert shown["previous_secret_valid_until"] is None


async def test_a_rotated_secret_is_shown_once_and_a_keyed_retry_answers_the_same(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    created = await subscribe(client, auth, "https://erp.example/r")
    sid = created["subscription_id"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await client.post(f"/v1/webhooks/{sid}/rotate-secret", json={}, headers=auth(**ADMIN) | key)
    again = await client.post(f"/v1/webhooks/{sid}/rotate-secret", json={}, headers=auth(**ADMIN) | key)
    assert first.status_code == again.status_code == 200, again.text
    assert first.json()["secret"] == again.json()["secret"]
    assert again.json()["written"]["replayed"] is True
    stream = await client.get("/v1/streams/webhooks-company", params={"limit": 1000}, headers=auth(**ADMIN))
    assert stream.status_code == 200
    assert first.json()["secret"] not in stream.text
    assert created["secret"] not in stream.text
    assert "SecretRotated" in stream.text

    await client.delete(f"/v1/webhooks/{sid}", headers=auth(**ADMIN))
    gone = await client.post(f"/v1/webhooks/{sid}/rotate-secret", json={}, headers=auth(**ADMIN) | key)
    assert gone.status_code == 404
    assert gone.json()["type"].endswith("/webhook-not-found")


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ({"secret": "hunter2"}, 422, "secret"),
        ({"grace_seconds": -1}, 422, "grace_seconds"),
        ({"grace_seconds": 8 * 86_400}, 422, "grace_seconds"),
        ({"secret": OWN_SECRET}, 422, "same-secret"),
    ],
)
async def test_a_bad_rotation_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], store: EventStore, body: dict, status: int,
    where: str,
) -> None:  # fmt: skip
    created = await subscribe(client, auth, "https://erp.example/b", secret=OWN_SECRET)
    before = await store.head_position()
    response = await client.post(f"/v1/webhooks/{created['subscription_id']}/rotate-secret", json=body,
                                 headers=auth(**ADMIN))  # fmt: skip
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith(f"/{where}") or any(e["field"].endswith(where) for e in problem["errors"])
    assert await store.head_position() == before


async def test_only_an_admin_rotates_and_only_an_existing_subscription(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    created = await subscribe(client, auth, "https://erp.example/a")
    path = f"/v1/webhooks/{created['subscription_id']}/rotate-secret"
    assert (await client.post(path, json={}, headers=auth("kam", Role.MANAGER))).status_code == 403
    assert (await client.post(path, json={})).status_code == 401
    missing = await client.post("/v1/webhooks/no-such/rotate-secret", json={}, headers=auth(**ADMIN))
    assert missing.status_code == 404
    stale = await client.post(path, json={}, headers=auth(**ADMIN) | {"If-Match": '"1"'})
    assert stale.status_code == 412


async def test_a_rotation_needs_no_body_and_then_keeps_the_old_secret_a_day(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    created = await subscribe(client, auth, "https://erp.example/n")
    response = await client.post(f"/v1/webhooks/{created['subscription_id']}/rotate-secret", headers=auth(**ADMIN))
    assert response.status_code == 200, response.text
    until = datetime.fromisoformat(response.json()["previous_secret_valid_until"])
    assert timedelta(hours=23) < until - datetime.now(UTC) <= timedelta(hours=24)


async def test_a_rotation_overtaken_by_a_delete_is_a_404_not_the_secrets_subject(
    settings: Settings, isolated: Any, auth: Callable[..., dict[str, str]]
) -> None:
    """The delete lands between the rotation's decision and its write (injected at the store's append), when the
    new secret is sealed under a key already destroyed."""
    app = create_app(settings, isolated.url)  # the session's settings: no delivery
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://k.test") as client,
    ):
        sid = (await subscribe(client, auth, "https://erp.example/race"))["subscription_id"]
        store = app.state.runtime.store
        append_many, deleted = store.append_many, []

        async def racing(appends: Any, metadata: Any = None) -> Any:
            if not deleted and any(e.event_type == "SecretRotated" for a in appends for e in a.events):
                deleted.append(await client.delete(f"/v1/webhooks/{sid}", headers=auth(**ADMIN)))
            return await append_many(appends, metadata)

        store.append_many = racing
        response = await client.post(f"/v1/webhooks/{sid}/rotate-secret", headers=auth(**ADMIN))
    assert deleted[0].status_code == 200
    assert response.status_code == 404, response.text
    assert response.json()["type"].endswith("/webhook-not-found")
    assert "webhook-secret-" not in response.text
