"""ensure_database: kamplan processes starting together on a fresh server create the database once."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from service.db.embedded import ensure_database
from service.db.urls import with_database


async def test_processes_starting_together_create_the_database_once_and_all_get_its_url(server_url: str) -> None:
    name = f"kamplan_race_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_url)
    try:
        urls = await asyncio.gather(*(ensure_database(server_url, name) for _ in range(4)))
        assert set(urls) == {with_database(server_url, name)}
        assert await admin.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", name) == 1
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
