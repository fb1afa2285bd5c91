"""A request while the database cannot be reached is a 503 to retry, not an internal error."""

from __future__ import annotations

from pathlib import Path

import httpx

from service.config import Settings
from service.db.embedded import EmbeddedPostgres, ensure_database
from service.db.migrate import migrate
from service.domain.actors import Role
from service.main import create_app


async def test_a_request_while_the_database_is_down_is_a_503_with_retry_after(
    settings: Settings, auth, tmp_path: Path
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
                assert (await client.get("/readyz")).status_code == 503
    finally:
        server.stop()
