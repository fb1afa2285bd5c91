"""Proof that a rebuild ran: a view equal to itself afterwards also passes when nothing was rebuilt."""

from __future__ import annotations

import asyncpg

from service.config import Settings
from service.operations import rebuild


async def live_generation(pool: asyncpg.Pool, name: str) -> int:
    async with pool.acquire() as conn:
        return await conn.fetchval(
            "SELECT generation FROM projection_generations WHERE name = $1 AND status = 'live'", name
        )


async def rebuilt(settings: Settings, database_url: str, pool: asyncpg.Pool, name: str) -> None:
    """Rebuild `name` and check that a new generation went live in place of the old one."""
    before = await live_generation(pool, name)
    assert await rebuild(settings, database_url, name) == 0
    assert await live_generation(pool, name) == before + 1, name
