"""`kamplan demo`: two realistic key accounts from the seeds, loaded through the public API.

Seed 004's truck maker buying fuel filters (account, buying-center map, dossier, sales projects) and
seed 001's valve wholesaler (a long-range plan agreed on the second revision). Everything goes through
the API (the same rules, events and projections as real use), with an Idempotency-Key per step, so
running the demo twice changes nothing the second time.
"""

from __future__ import annotations

import httpx

from service.config import Settings
from service.demo.client import Demo
from service.demo.truck_maker import load
from service.demo.valves import valves
from service.main import create_app
from service.tokens import TokenKeys


async def run(settings: Settings, database_url: str) -> str:
    app = create_app(settings, database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kamplan") as client:
            demo = Demo(client, TokenKeys.from_settings(settings))
            account_id = await load(demo)
            await valves(demo)
            return account_id
