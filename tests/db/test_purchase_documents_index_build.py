"""Migration 0016 builds `events_purchase_documents` CONCURRENTLY: appends go on meanwhile, two migrators at once
are safe, and an INVALID index a failed build left is built again by the next run (a valid one is kept)."""

from __future__ import annotations

import asyncio
import importlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from service.db.migrate import alembic_config, migrate
from service.db.pool import create_pool
from service.db.urls import with_database
from service.events import NO_STREAM, EventStore
from tests.support.appends import ev, sid

INDEX = importlib.import_module("migrations.versions.0016_purchase_document_holders").INDEX
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()  # the migrations after 0016 ran too
OID = "SELECT to_regclass('events_purchase_documents')::oid"
VALID = "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('events_purchase_documents')"
BUILDING = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND query LIKE '%INDEX%events_purchase_documents%' AND wait_event_type = 'Lock'
"""


@pytest.fixture
async def at_0015(server_url: str) -> AsyncIterator[str]:
    """A database migrated to 0015, the schema before the index."""
    name = f"kamplan_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = with_database(server_url, name)
        await migrate(url, "0015")
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _until_building(conn: asyncpg.Connection) -> None:
    for _ in range(300):
        if await conn.fetchval(BUILDING):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the index build never waited for the append in progress")


async def test_appends_go_on_while_the_index_builds(at_0015: str) -> None:
    """The build waits for an append in progress to end; a new append meanwhile does not wait for the build."""
    pool = await create_pool(at_0015, role="kamplan_app", min_size=1, max_size=2)
    store = EventStore(pool)
    appending = await asyncpg.connect(at_0015)
    watch = await asyncpg.connect(at_0015)
    try:
        await store.append(sid(), "test", NO_STREAM, [ev(n=0)])  # a log with an event in it
        held = appending.transaction()
        await held.start()
        await appending.execute("LOCK TABLE events IN ROW EXCLUSIVE MODE")  # what an append holds until it commits
        migrating = asyncio.create_task(migrate(at_0015))
        await _until_building(watch)
        await asyncio.wait_for(store.append(sid(), "test", NO_STREAM, [ev(n=1)]), timeout=10)
        await held.commit()
        await asyncio.wait_for(migrating, timeout=60)
        assert await watch.fetchval(VALID) is True
    finally:
        await appending.close()
        await watch.close()
        await store.close()
        await pool.close()


async def test_two_migrators_at_once_both_finish(at_0015: str) -> None:
    """The second waits for the migration lock without a snapshot the concurrent build would wait for."""
    appending = await asyncpg.connect(at_0015)
    watch = await asyncpg.connect(at_0015)
    try:
        held = appending.transaction()
        await held.start()
        await appending.execute("LOCK TABLE events IN ROW EXCLUSIVE MODE")
        first = asyncio.create_task(migrate(at_0015))
        await _until_building(watch)
        second = asyncio.create_task(migrate(at_0015))
        await asyncio.sleep(1)  # the second is waiting for the lock
        await held.commit()
        await asyncio.wait_for(asyncio.gather(first, second), timeout=60)
        assert await watch.fetchval(VALID) is True
        assert await watch.fetchval("SELECT version_num FROM alembic_version") == HEAD
    finally:
        await appending.close()
        await watch.close()


async def test_an_invalid_index_a_failed_build_left_is_built_again(at_0015: str) -> None:
    conn = await asyncpg.connect(at_0015)  # the server's superuser: pg_index is changed behind PostgreSQL's back
    try:
        await conn.execute(INDEX.replace("CONCURRENTLY ", ""))
        await conn.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass('events_purchase_documents')"
        )
        left = await conn.fetchval(OID)
        await migrate(at_0015)
        assert await conn.fetchval(VALID) is True
        assert await conn.fetchval(OID) != left
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == HEAD
    finally:
        await conn.close()


async def test_a_valid_index_a_stopped_run_built_is_kept(at_0015: str) -> None:
    conn = await asyncpg.connect(at_0015)
    try:
        await conn.execute(INDEX.replace("CONCURRENTLY ", ""))
        built = await conn.fetchval(OID)
        await migrate(at_0015)
        assert (await conn.fetchval(VALID), await conn.fetchval(OID)) == (True, built)
    finally:
        await conn.close()
