"""`kamplan migrate` rebuilds an index its migrations build CONCURRENTLY when it finds it invalid after the migration
was recorded (a DROP INDEX CONCURRENTLY cut short): the planner ignores an invalid index, and the lookups it serves
scanned `events` silently. A healthy index is left as it is."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

from tests.support.cli import KAMPLAN, _env

NAME = "events_purchase_documents"
OID = f"SELECT to_regclass('{NAME}')::oid"
VALID = f"SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('{NAME}')"
INVALIDATE = f"UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass('{NAME}')"
REBUILDING = f"""
SELECT pid FROM pg_stat_activity
WHERE datname = current_database() AND query LIKE '%INDEX%{NAME}%' AND wait_event_type = 'Lock'
"""


async def _kamplan(url: str, *command: str) -> subprocess.CompletedProcess[str]:
    env = _env(DATABASE_URL=url)
    return await asyncio.to_thread(
        subprocess.run, [KAMPLAN, *command], capture_output=True, text=True, env=env, timeout=120
    )


async def _migrate(url: str) -> subprocess.CompletedProcess[str]:
    return await _kamplan(url, "migrate")


async def test_migrate_rebuilds_an_index_left_invalid_after_its_migration(
    make_database: Callable[[], Awaitable[str]],
) -> None:
    url = await make_database()  # at head: 0016 recorded, its index built
    conn = await asyncpg.connect(url)  # the server's superuser: pg_index is changed behind PostgreSQL's back
    try:
        await conn.execute(INVALIDATE)
        left = await conn.fetchval(OID)
        result = await _migrate(url)
        assert result.returncode == 0, result.stderr
        assert await conn.fetchval(VALID) is True
        assert await conn.fetchval(OID) != left  # built anew, not merely marked valid
    finally:
        await conn.close()
    assert f"rebuilding invalid index {NAME}" in result.stderr
    assert f"rebuilding invalid index {NAME}: done in " in result.stderr
    assert "newest schema" in result.stdout


async def test_migrate_leaves_a_healthy_index_alone(make_database: Callable[[], Awaitable[str]]) -> None:
    url = await make_database()
    conn = await asyncpg.connect(url)
    try:
        built = await conn.fetchval(OID)
        result = await _migrate(url)
        assert result.returncode == 0, result.stderr
        assert (await conn.fetchval(VALID), await conn.fetchval(OID)) == (True, built)
    finally:
        await conn.close()
    assert "rebuil" not in result.stderr


async def _cancelled_rebuild(url: str, *command: str) -> subprocess.CompletedProcess[str]:
    """`kamplan COMMAND` migrating with the index invalid, its rebuild waiting for an append in progress and cancelled
    meanwhile (an operator, a statement timeout)."""
    appending = await asyncpg.connect(url)
    watch = await asyncpg.connect(url)
    try:
        await watch.execute(INVALIDATE)
        held = appending.transaction()
        await held.start()
        await appending.execute("LOCK TABLE events IN ROW EXCLUSIVE MODE")  # what an append holds until it commits
        running = asyncio.create_task(_kamplan(url, *command))
        for _ in range(600):
            if pid := await watch.fetchval(REBUILDING):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the rebuild never waited for the append in progress")
        await watch.fetchval("SELECT pg_cancel_backend($1)", pid)
        result = await asyncio.wait_for(running, timeout=60)
        await held.commit()
        assert await watch.fetchval(VALID) is not True
        return result
    finally:
        await appending.close()
        await watch.close()


async def test_a_failed_rebuild_exits_1_saying_so_and_the_next_migrate_builds_it(
    make_database: Callable[[], Awaitable[str]],
) -> None:
    """One line says which index and why, the lock goes with the session, and the next run (or serve) builds it."""
    url = await make_database()
    failed = await _cancelled_rebuild(url, "migrate")
    assert failed.returncode == 1, failed.stderr
    again = await _migrate(url)
    assert again.returncode == 0, again.stderr
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval(VALID) is True
    finally:
        await conn.close()
    [line] = [line for line in failed.stderr.splitlines() if line.startswith("kamplan: ")]
    assert f"rebuilding invalid index {NAME} failed" in line, failed.stderr
    assert "QueryCanceledError: canceling statement due to user request" in line  # a cancel quotes no data
    assert "kamplan migrate" in line
    assert "Traceback" not in failed.stderr
    assert "newest schema" not in failed.stdout


async def test_a_command_that_migrates_first_goes_on_without_an_index_it_could_not_rebuild(
    make_database: Callable[[], Awaitable[str]], tmp_path: Path
) -> None:
    """Only `kamplan migrate` fails for it: serve, worker and the others start, as the schema is at its newest and the
    lookups the index serves scan the table meanwhile; the error is logged, and the next start tries again."""
    url = await make_database()
    written = tmp_path / "read-schema.md"
    result = await _cancelled_rebuild(url, "read-schema", "--output", str(written))
    assert result.returncode == 0, result.stderr
    assert written.read_text().startswith("#")  # the command did its work
    assert f"rebuilding invalid index {NAME} failed" in result.stderr
    assert "going on without it" in result.stderr
    assert "Traceback" not in result.stderr
