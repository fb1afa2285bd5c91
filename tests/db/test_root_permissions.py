"""As root, the embedded server's parents become traversable for its `pgserver` user, not readable by all."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
import pytest

from service.db.embedded import EmbeddedPostgres, ensure_database

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="pgserver changes permissions only when run as root")


async def _select_one(admin_url: str) -> int:
    conn = await asyncpg.connect(await ensure_database(admin_url))
    try:
        return await conn.fetchval("SELECT 1")
    finally:
        await conn.close()


def test_a_private_parent_becomes_traversable_but_not_listable_and_the_server_runs(tmp_path: Path) -> None:
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    server = EmbeddedPostgres(private / "var" / "pg")
    try:
        assert asyncio.run(_select_one(server.start())) == 1
    finally:
        server.stop()
    assert oct(private.stat().st_mode & 0o777) == "0o711"
