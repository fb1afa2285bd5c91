"""Apps of the tests' own, beside the shared `client` fixture."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from service.config import Settings
from service.main import create_app


@contextlib.asynccontextmanager
async def client_without_projections(url: str, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app on `url` that applies no projection: the test runs the generations itself."""
    app = create_app(settings.model_copy(update={"projections": "off"}), url)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kamplan") as client,
    ):
        yield client
