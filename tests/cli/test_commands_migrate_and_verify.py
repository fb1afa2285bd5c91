"""`kamplan migrate`, `kamplan verify` and the --check of generated files, on real databases."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from service.db.urls import with_database
from tests.support.cli import KAMPLAN, _env


def _with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}" if query else url


async def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("query", ["", "sslmode=disable"])
async def test_migrate_brings_a_fresh_database_to_head(server_url: str, query: str) -> None:
    """A URL the service's pool takes migrates too: libpq parameters such as `sslmode` (managed servers ask for
    `?sslmode=require`) made SQLAlchemy's asyncpg dialect pass an unknown keyword to asyncpg.connect."""
    admin = await asyncpg.connect(server_url)
    name = f"kamplan_migrate_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = _env(DATABASE_URL=_with_query(with_database(server_url, name), query))
        result = await asyncio.to_thread(subprocess.run, [KAMPLAN, "migrate"], capture_output=True, text=True, env=env)
        migrated = await asyncpg.connect(with_database(server_url, name))
        tables = await migrated.fetchval("SELECT count(*) FROM pg_tables WHERE tablename IN ('events', 'subject_keys')")
        await migrated.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
    assert result.returncode == 0, result.stderr
    assert "newest schema" in result.stdout
    assert tables == 2


async def test_verify_of_a_stream_that_does_not_exist_says_so_and_fails(
    make_database: Callable[[], Awaitable[str]],
) -> None:
    """It printed "checked 0 events in 0 streams: all chains intact" and exited 0 for a mistyped stream id."""
    env = _env(DATABASE_URL=await make_database())
    missing = await _run([KAMPLAN, "verify", "--stream", "account-nobody"], env)
    assert missing.returncode == 1, missing.stderr
    assert "no stream account-nobody" in missing.stderr
    assert "intact" not in missing.stdout
    everything = await _run([KAMPLAN, "verify"], env)  # an empty log has no broken chain
    assert everything.returncode == 0, everything.stderr


async def test_verify_of_a_database_without_an_event_log_says_so_in_one_line(server_url: str) -> None:
    """`verify` does not migrate (an audit changes nothing): pointed at a database never migrated, or another one by
    mistake, it ended in a traceback of UndefinedTableError."""
    name = f"kamplan_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        result = await _run([KAMPLAN, "verify"], _env(DATABASE_URL=with_database(server_url, name)))
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        [error] = result.stderr.splitlines()
        assert error.startswith("kamplan: no event log to verify in postgresql://"), error
        assert name in error
        assert "kamplan migrate" in error
        assert "intact" not in result.stdout
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def test_verify_before_anything_was_migrated_says_so_in_one_line(tmp_path: Path) -> None:
    """A newcomer's first `kamplan verify` on a new embedded database, before `serve` or `migrate`: the cluster has
    no kamplan_app role yet, which the connection switches to, and it ended in a traceback of
    InvalidParameterValueError, not in the README's one line for a database with no event log."""
    result = subprocess.run([KAMPLAN, "verify"], capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    [error] = [line for line in result.stderr.splitlines() if line.startswith("kamplan: ")]
    assert error.startswith("kamplan: no event log to verify in postgresql://"), error
    assert "kamplan migrate" in error
    assert not result.stdout


@pytest.mark.parametrize("command", ["openapi", "read-schema"])
async def test_check_of_a_missing_file_says_it_is_missing(
    command: str, make_database: Callable[[], Awaitable[str]], tmp_path: Path
) -> None:
    output = tmp_path / "missing"
    env = _env(DATABASE_URL=await make_database())
    result = await _run([KAMPLAN, command, "--check", "--output", str(output)], env)
    assert result.returncode == 1
    assert f"{output} is missing: run `kamplan {command}`" in result.stderr
    assert not output.exists()
