"""A small connection pool makes the service slower, never stuck: the connections projections and webhooks hold for
as long as they run come on top of KAMPLAN_POOL_MAX."""

from __future__ import annotations

import asyncio

import httpx

from service.config import Settings
from service.domain.actors import Role
from service.main import create_app


async def test_a_pool_of_one_still_serves_requests_while_projections_run(
    settings: Settings, database_url: str, auth
) -> None:
    """With KAMPLAN_POOL_MAX at 8 or less, the projections' leases and the LISTEN connection took every connection,
    and each request then waited for one forever (the review saw /v1/accounts never answer)."""
    small = settings.model_copy(update={"pool_min": 1, "pool_max": 1, "projections": "inprocess"})
    app = create_app(small, database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kamplan.test") as client:
            kam = auth("kam-small-pool", Role.MANAGER, "north")

            async def served() -> None:
                opened = await client.post("/v1/accounts", json={"name": "Truck Plant"}, headers=kam)
                assert opened.status_code == 201, opened.text
                listed = await client.get(
                    "/v1/accounts", params={"min_position": opened.json()["position"]}, headers=kam
                )
                assert listed.status_code == 200, listed.text  # the projections applied it: they ran meanwhile
                assert (await client.get("/readyz")).status_code == 200

            await asyncio.wait_for(served(), timeout=30)
