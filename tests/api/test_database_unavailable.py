"""A request while the database cannot be reached is a 503 to retry, not an internal error."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest

from service.config import Settings
from service.db.embedded import EmbeddedPostgres, ensure_database
from service.db.migrate import migrate
from service.domain.actors import Role
from service.main import create_app


async def test_a_request_while_the_database_is_down_is_a_503_with_retry_after(
    settings: Settings, auth, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """It answered 500 `internal`, which a client or a load balancer does not retry, while /readyz said 503."""
    server = EmbeddedPostgres(tmp_path / "pg")  # a server of its own, to stop under the app
    try:
        url = await ensure_database(server.start())
        await migrate(url)
        app = create_app(settings.model_copy(update={"projections": "off"}), url)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://kamplan.test") as client:
                kam = auth("kam-down", Role.MANAGER, "north")
                assert (await client.get("/v1/accounts", headers=kam)).status_code == 200
                server.stop()
                for request in (
                    client.get("/v1/accounts", headers=kam),
                    client.post("/v1/accounts", json={"name": "Truck Plant"}, headers=kam),
                ):
                    down = await request
                    assert down.status_code == 503, down.text
                    assert down.headers["content-type"] == "application/problem+json"
                    assert (down.json()["type"], down.headers["Retry-After"]) == ("/problems/database-unavailable", "5")
                with caplog.at_level(logging.WARNING, logger="service.api.routes.health"):
                    ready = await client.get("/readyz")
                assert ready.status_code == 503
                # the cause's text (which may name the server, its user, a socket path) is not for anonymous callers
                database = ready.json()["checks"]["database"]
                assert database["status"] == "unavailable"
                assert re.fullmatch(r"\w+", database["error"]), database
                [logged] = [r for r in caplog.records if r.name == "service.api.routes.health"]
                assert logged.getMessage().startswith(f"not ready: {database['error']}: ")
                assert logged.request_id == ready.headers["x-request-id"]
    finally:
        server.stop()
