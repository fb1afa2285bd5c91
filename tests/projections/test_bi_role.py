"""The BI role reads the read schema's views and nothing else, and never writes."""

from __future__ import annotations

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
