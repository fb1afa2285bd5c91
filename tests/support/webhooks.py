"""What the webhook tests share: an app delivering in process, a subscriber's signature check written from the
Standard Webhooks spec (not with the service's code), and small steps over the API."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest

from service.config import Settings
from service.domain.actors import Role
from service.main import create_app
from tests.support.receiver import Received

ADMIN = {"sub": "root", "role": Role.ADMIN}


async def get_json(client: httpx.AsyncClient, path: str, auth: Callable[..., dict[str, str]]) -> Any:
    response = await client.get(path, headers=auth(**ADMIN))
    assert response.status_code == 200, response.text
    return response.json()


def verifies(secret: str, request: Received) -> bool:
    """The check a receiver makes, written from the Standard Webhooks spec, not with the service's code."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(s == f"v1,{expected}" for s in request.headers["webhook-signature"].split())


@asynccontextmanager
async def app_on(settings: Settings, url: str, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own, delivering webhooks in process, with retries fast enough for a test."""
    options = {
        "webhooks": "inprocess",
        "webhook_retry_base_seconds": 0.05,
        "webhook_retry_max_seconds": 0.2,
        "webhook_disable_after": 4,
        "webhook_timeout_seconds": 2.0,
        **changes,
    }
    app = create_app(settings.model_copy(update=options), url)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://kamplan.test") as client,
    ):
        yield client


@pytest.fixture
async def hooked(settings: Settings, isolated: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own on the test's isolated database: a fixture, imported by the modules that use it."""
    async with app_on(settings, isolated.url) as client:
        yield client


async def subscribe(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], url: str, **body: Any) -> dict:
    response = await client.post("/v1/webhooks", json={"url": url, **body}, headers=auth(**ADMIN))
    assert response.status_code == 201, response.text
    return response.json()


async def open_accounts(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], count: int) -> list[str]:
    ids = []
    for n in range(count):
        response = await client.post("/v1/accounts", json={"name": f"Client {n}"}, headers=auth("kam", Role.MANAGER))
        assert response.status_code == 201, response.text
        ids.append(response.json()["account_id"])
    return ids


async def eventually(read: Callable[[], Awaitable[Any]], holds: Callable[[Any], bool], seconds: float = 15.0) -> Any:
    """What `read` gives once `holds` is true of it: the dispatcher records an attempt after the receiver saw it."""
    deadline = time.monotonic() + seconds
    while not holds(value := await read()):
        assert time.monotonic() < deadline, f"still {value!r} after {seconds}s"
        await asyncio.sleep(0.05)
    return value


def events_of(requests: list[Received]) -> list[dict]:
    return [orjson.loads(r.body) for r in requests]
