"""The BI role reads the read schema's views and nothing else, and never writes."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from service.projections.audit import AuditLog
from tests.conftest import IsolatedDb, caught_up


@pytest.fixture
async def as_bi(isolated: IsolatedDb, running) -> asyncpg.Connection:
    from service.events import ANY, NewEvent

    await isolated.store.append("s-1", "t", ANY, [NewEvent(event_type="E", data={"secret": "x"})])
    running([AuditLog()])
    await caught_up(isolated, ["audit_log"])
    conn = await asyncpg.connect(isolated.url)
    await conn.execute("SET ROLE kamplan_bi")
    yield conn
    await conn.close()


async def test_bi_reads_the_views_of_the_read_schema(as_bi: asyncpg.Connection) -> None:
    assert await as_bi.fetchval("SELECT current_user") == "kamplan_bi"
    assert await as_bi.fetchval("SELECT count(*) FROM read.audit_log") == 1


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO read.audit_log (position, event_id, stream_id, stream_type, stream_version, event_type, "
        "occurred_at, recorded_at) VALUES (99, gen_random_uuid(), 's', 't', 1, 'E', now(), now())",
        "UPDATE read.audit_log SET actor = 'mallory'",
        "DELETE FROM read.audit_log",
        "TRUNCATE read.audit_log_g1",
        "SELECT * FROM read.audit_log_g1",
        "SELECT * FROM events",
        "INSERT INTO events (stream_id) VALUES ('x')",
        "SELECT * FROM subject_keys",
        "SELECT * FROM snapshots",
        "SELECT * FROM projection_generations",
        "CREATE TABLE read.mine (id int)",
        "CREATE TABLE public.mine (id int)",
    ],
)
async def test_bi_cannot_write_anywhere_nor_read_behind_the_views(as_bi: asyncpg.Connection, statement: str) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_bi.execute(statement)


async def test_bi_cannot_read_behind_the_views_when_the_service_runs_as_the_migrating_user(
    make_database,
) -> None:
    """With KAMPLAN_DB_ROLE empty the generation tables are created by the user that ran the migrations, whose
    default privileges in `read` grant SELECT to kamplan_bi: those tables must still be closed to BI."""
    from service.db.pool import create_pool
    from service.events import ANY, EventStore, NewEvent
    from service.projections.runner import ProjectionRunner
    from service.projections.waiting import wait_for_position

    url = await make_database()
    pool = await create_pool(url, role=None)
    store = EventStore(pool)
    task = None
    try:
        await store.append("s-1", "t", ANY, [NewEvent(event_type="E", data={"secret": "x"})])
        task = asyncio.create_task(ProjectionRunner(store, [AuditLog()], poll_seconds=0.05).run())
        await wait_for_position(pool, ["audit_log"], await store.head_position(), 20)
        bi = await asyncpg.connect(url)
        try:
            await bi.execute("SET ROLE kamplan_bi")
            assert await bi.fetchval("SELECT count(*) FROM read.audit_log") == 1
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await bi.fetch("SELECT * FROM read.audit_log_g1")
        finally:
            await bi.close()
    finally:
        if task:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await store.close()
        await pool.close()


async def test_the_migration_closes_to_bi_the_tables_an_older_schema_opened(server_url: str) -> None:
    """A database migrated before 0003, whose service ran as the migrating user, has generation tables BI could
    read: upgrading closes them."""
    from service.db.migrate import migrate
    from service.db.urls import with_database

    name = f"kamplan_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = with_database(server_url, name)
        await migrate(url, "0002")
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("CREATE TABLE read.audit_log_g1 (position bigint)")  # as the migrating user did
            readable = "SELECT has_table_privilege('kamplan_bi', 'read.audit_log_g1', 'SELECT')"
            assert await conn.fetchval(readable) is True
            await migrate(url)
            assert await conn.fetchval(readable) is False
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
