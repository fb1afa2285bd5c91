"""A `kamplan` command failing on a foreign error prints its class, and for a database error its SQLSTATE, table and
constraint, but not its text, which may quote stored data (a row that violates a constraint, a key, a payload): the
console's lines outlive a person's forgetting as logs do. Python's traceback printed it as raised, and so did
uvicorn's line for a `serve` that could not start."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from service.db.migrate import migrate
from service.db.urls import with_database
from tests.support.cli import KAMPLAN, _env, _free_port

SECRET = "Пётр Marker-4711"


async def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
async def at_0013(server_url: str) -> AsyncIterator[str]:
    """A database at 0013, before the migration that updates every forgotten subject's key row."""
    name = f"kamplan_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = with_database(server_url, name)
        await migrate(url, "0013")
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_migration_failing_on_a_row_names_the_constraint_not_the_row(at_0013: str, log_format: str) -> None:
    """PostgreSQL's own words for a row that violates a check: "Failing row contains (…)", the row's values."""
    conn = await asyncpg.connect(at_0013)
    try:
        await conn.execute("INSERT INTO subject_keys (subject_id, forgotten_at) VALUES ($1, now())", SECRET)
        # an operator's rule, not checked on the rows already there: 0014's UPDATE of the forgotten one breaks it
        await conn.execute(
            "ALTER TABLE subject_keys ADD CONSTRAINT subject_keys_operators_rule CHECK (forgotten_at IS NULL) NOT VALID"
        )
    finally:
        await conn.close()
    result = await _run([KAMPLAN, "migrate"], _env(DATABASE_URL=at_0013, KAMPLAN_LOG_FORMAT=log_format))
    assert result.returncode == 1, result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert "CheckViolationError" in result.stderr
    assert "sqlstate=23514" in result.stderr
    assert "constraint_name=subject_keys_operators_rule" in result.stderr
    assert "kamplan migrate failed" in result.stderr
    assert "0014_subject_keys_forgotten_xid.py" in result.stderr  # where: the frames are kept
    assert "newest schema" not in result.stdout


REFUSE = """
CREATE FUNCTION refuse_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE unique_violation USING
    MESSAGE = 'duplicate key value violates unique constraint "generations_operators_key"',
    DETAIL = format('Key (owner)=(%s) already exists.', $secret${SECRET}$secret$),
    CONSTRAINT = 'generations_operators_key', TABLE = 'projection_generations', SCHEMA = 'public';
END $$;
CREATE TRIGGER refuse_generation BEFORE INSERT ON projection_generations
  FOR EACH ROW EXECUTE FUNCTION refuse_generation();
"""


@pytest.mark.parametrize("command", ["serve", "rebuild", "read-schema"])
async def test_a_command_failing_on_a_database_error_names_its_constraint_not_its_text(
    command: str, make_database: Callable[[], Awaitable[str]], tmp_path: Path
) -> None:
    """Each creates the projections' first generations as it starts, which a unique violation quoting a key fails:
    `serve` in its start-up (uvicorn logged the traceback starlette wrote, as text), the others as they run."""
    url = await make_database()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(REFUSE.replace("{SECRET}", SECRET))
    finally:
        await conn.close()
    arguments = {"serve": ["--port", str(_free_port())], "rebuild": ["accounts"], "read-schema": ["--check"]}[command]
    env = _env(DATABASE_URL=url, KAMPLAN_DATA_DIR=str(tmp_path), KAMPLAN_WEBHOOKS="off")
    result = await _run([KAMPLAN, command, *arguments], env)
    assert result.returncode == 1, result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert "UniqueViolationError" in result.stderr
    assert "sqlstate=23505" in result.stderr
    assert "table_name=projection_generations" in result.stderr
    assert "constraint_name=generations_operators_key" in result.stderr
    assert "generations.py" in result.stderr  # where it failed


async def test_a_demo_step_the_api_refused_keeps_the_answer_it_got(
    make_database: Callable[[], Awaitable[str]], tmp_path: Path
) -> None:
    """The demo's own error quotes the API's problem document, kamplan's text: it stays, as a bad flag's does."""
    url = await make_database()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'no appends today'; END $$;"
            "CREATE TRIGGER refuse_event BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_event();"
        )
    finally:
        await conn.close()
    result = await _run([KAMPLAN, "demo"], _env(DATABASE_URL=url, KAMPLAN_DATA_DIR=str(tmp_path)))
    assert result.returncode == 1, result.stderr
    assert "kamplan demo failed" in result.stderr
    assert "DemoStepFailed: POST /v1/accounts: 500 {" in result.stderr


async def test_a_migration_refused_a_privilege_says_which_as_it_quotes_no_data(server_url: str) -> None:
    """PostgreSQL names the object a role may not use (`permission denied for schema public`, on PostgreSQL 15 and
    later for a role that does not own the database), never a value: withheld, the operator read only the class."""
    role, name = f"kamplan_limited_{uuid.uuid4().hex[:8]}", f"kamplan_test_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(with_database(server_url, name))
    as_role = urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rpartition('@')[2]}"))
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        await admin.execute(f'CREATE DATABASE "{name}"')
        result = await _run([KAMPLAN, "migrate"], _env(DATABASE_URL=as_role))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()
    assert result.returncode == 1, result.stderr
    assert "kamplan migrate failed" in result.stderr
    assert "InsufficientPrivilegeError: permission denied for schema public" in result.stderr


@pytest.mark.parametrize("command", ["serve", "verify"])
async def test_a_role_the_server_does_not_have_is_named_as_the_setting_to_fix(
    make_database: Callable[[], Awaitable[str]], command: str
) -> None:
    """PostgreSQL refuses a session role it does not have with 22023, a class whose text may quote values, so it was
    withheld: `serve` said only InvalidParameterValueError. The setting is kamplan's own to name."""
    url = await make_database()
    port = ["--port", str(_free_port())] if command == "serve" else []
    result = await _run([KAMPLAN, command, *port], _env(DATABASE_URL=url, KAMPLAN_DB_ROLE="kamplan_ap"))
    assert result.returncode == 1, result.stderr
    assert "KAMPLAN_DB_ROLE 'kamplan_ap' was refused by the server (SQLSTATE 22023): no role of that name" in (
        result.stderr
    )
