"""Where a benchmark runs: a throwaway database, created and dropped on DATABASE_URL's server or, when it is
unset, on an embedded PostgreSQL 18 in a temporary directory that is deleted afterwards (a rebuild run
leaves gigabytes behind otherwise)."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from service.db.embedded import EmbeddedPostgres
from service.db.urls import asyncpg_dsn, with_database

Bench = Callable[[str], Awaitable[dict[str, Any]]]


async def _in_database(admin_url: str, bench: Bench) -> dict[str, Any]:
    admin = await asyncpg.connect(admin_url)
    name = f"kamplan_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return await bench(with_database(admin_url, name))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def run(bench: Bench) -> dict[str, Any]:
    """Run `bench(url)` against a new database and return its figures."""
    if url := os.environ.get("DATABASE_URL"):
        return asyncio.run(_in_database(asyncpg_dsn(url), bench))
    with tempfile.TemporaryDirectory(prefix="kamplan-bench-") as directory:
        embedded = EmbeddedPostgres(Path(directory) / "pg")
        try:
            return asyncio.run(_in_database(embedded.start(), bench))
        finally:
            embedded.stop()
