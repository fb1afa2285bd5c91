"""Fixtures of the API tests that several modules share: an app that takes ERP webhooks, and an account for them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from service.config import Settings
from service.main import create_app
from tests.support.erp import KAM, SECRET


@pytest.fixture(scope="module")
async def erp(settings: Settings, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"erp_webhook_secret": SECRET}), database_url)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://k.test") as c:
        yield c


@pytest.fixture
async def account(erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> str:
    opened = await erp.post("/v1/accounts", json={"name": "Truck maker"}, headers=auth(**KAM))
    return opened.json()["account_id"]
