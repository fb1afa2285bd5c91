"""The kamplan command: help texts, tokens, migrate, and `serve` on the embedded database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from service.config import Settings
from service.db.embedded import EmbeddedPostgres, ensure_database
from service.db.migrate import MIGRATION_LOCK
from service.db.urls import with_database
from service.domain.actors import Role
from service.events.upcasting import Upcasters
from service.projections import registry
from service.tokens import TokenKeys
from tests.support.webhooks import eventually

KAMPLAN = str(Path(sys.executable).parent / "kamplan")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("KAMPLAN_")}
    return {**env, "KAMPLAN_LOG_FORMAT": "text", **extra}


@pytest.mark.parametrize(
    "command", [[], ["serve"], ["migrate"], ["verify"], ["token"], ["openapi"], ["demo"], ["worker"], ["rebuild"]]
)
def test_every_command_explains_itself(command: list[str]) -> None:
    result = subprocess.run([KAMPLAN, *command, "--help"], capture_output=True, text=True, env=_env())
    assert result.returncode == 0
    assert "usage: kamplan" in result.stdout
    assert len(result.stdout.splitlines()) > 4


def test_rebuild_help_names_every_builtin_projection() -> None:
    result = subprocess.run([KAMPLAN, "rebuild", "--help"], capture_output=True, text=True, env=_env(), check=True)
    text = " ".join(result.stdout.split())  # argparse wraps the help
    assert all(p.name in text for p in registry.builtin(Upcasters()))


def test_token_mints_a_jwt_the_service_accepts(tmp_path: Path) -> None:
    result = subprocess.run(
        [KAMPLAN, "token", "--sub", "alice", "--role", "supervisor", "--team", "north"],
        capture_output=True,
        text=True,
        env=_env(KAMPLAN_DATA_DIR=str(tmp_path)),
        check=True,
    )
    actor = TokenKeys.from_settings(Settings(data_dir=tmp_path)).actor(result.stdout.strip())
    assert (actor.sub, actor.role, actor.team) == ("alice", Role.SUPERVISOR, "north")
    assert oct((tmp_path / "jwt-secret").stat().st_mode & 0o777) == "0o600"


def test_token_refuses_an_unknown_role(tmp_path: Path) -> None:
    result = subprocess.run(
        [KAMPLAN, "token", "--sub", "a", "--role", "ceo"],
        capture_output=True,
        text=True,
        env=_env(KAMPLAN_DATA_DIR=str(tmp_path)),
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def _with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}" if query else url


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(data_dir: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [KAMPLAN, "serve", "--port", str(port)],
        env=_env(KAMPLAN_DATA_DIR=str(data_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_ready(port: int, process: subprocess.Popen[str], seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kamplan serve exited:\n{process.stdout.read() if process.stdout else ''}")
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("kamplan serve never became ready")


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return output


def _postmasters_in(pg_data: Path) -> list[psutil.Process]:
    return [
        proc
        for proc in psutil.process_iter(["name", "cmdline"])
        if proc.info["name"] == "postgres" and str(pg_data) in " ".join(proc.info["cmdline"] or [])
    ]


def test_the_readme_run_command_serves_on_an_embedded_database_that_keeps_its_data(
    tmp_path: Path, repo_root: Path
) -> None:
    readme = (repo_root / "README.md").read_text()
    assert "kamplan serve" in readme.split("```")[1], "the README's first command must start the service"
    data_dir, port = tmp_path / "var", _free_port()
    token = TokenKeys.from_settings(Settings(data_dir=data_dir)).mint("root", Role.ADMIN)
    headers = {"Authorization": f"Bearer {token}"}

    server = _serve(data_dir, port)
    try:
        ready = _wait_ready(port, server)
        assert ready["status"] == "ready"
        forgot = httpx.post(f"http://127.0.0.1:{port}/v1/subjects/p-1/forget", headers=headers, timeout=10)
        assert forgot.status_code == 200
    finally:
        output = _stop(server)
    assert server.returncode == 0, output
    assert not _postmasters_in(data_dir / "pg"), "the embedded PostgreSQL must stop with the service"

    server = _serve(data_dir, port)
    try:
        _wait_ready(port, server)
        stream = httpx.get(f"http://127.0.0.1:{port}/v1/streams/subject-p-1", headers=headers, timeout=10)
        assert [e["event_type"] for e in stream.json()["events"]] == ["SubjectForgotten"]
    finally:
        _stop(server)


def test_a_data_directory_it_cannot_use_is_one_line_of_error_not_a_traceback(tmp_path: Path) -> None:
    pg_data = tmp_path / "pg"
    pg_data.mkdir()
    (pg_data / "notes.txt").write_text("mine")
    result = subprocess.run(
        [KAMPLAN, "migrate"], capture_output=True, text=True, env=_env(KAMPLAN_PG_DATA=str(pg_data)), timeout=60
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, result.stderr
    assert f"{pg_data} is not a PostgreSQL data directory" in errors[0]
    assert "Traceback" not in result.stderr


def test_warnings_from_starting_the_embedded_server_are_json_log_lines_too(tmp_path: Path) -> None:
    env = _env(KAMPLAN_DATA_DIR=str(tmp_path), KAMPLAN_LOG_FORMAT="json")
    env.pop("XDG_RUNTIME_DIR", None)  # platformdirs warns about it when pgserver is imported
    result = subprocess.run([KAMPLAN, "migrate"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert any(r["logger"] == "py.warnings" and "XDG_RUNTIME_DIR" in r["msg"] for r in records)


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


async def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("KAMPLAN_PORT", "abc", "migrate"),
        ("KAMPLAN_POOL_MAX", "0", "migrate"),
        ("KAMPLAN_LOG_LEVEL", "chatty", "migrate"),
        # these failed in the service's start-up, after the migration, with a traceback and exit 3
        ("KAMPLAN_JWT_SECRET", "short-secret", "serve"),
        ("KAMPLAN_JWT_PUBLIC_KEY", "/nonexistent/key.pem", "serve"),
        ("KAMPLAN_JWT_ALGORITHM", "RS256", "serve"),  # and no public key
        ("KAMPLAN_PROJECTION_MODULES", "nosuch.projections", "serve"),
        ("KAMPLAN_JWT_SECRET", "short-secret", "token"),  # a traceback and exit 1
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(variable: str, value: str, command: str, tmp_path: Path) -> None:
    arguments = ["--sub", "a", "--role", "admin"] if command == "token" else []
    result = subprocess.run(
        [KAMPLAN, command, *arguments],
        capture_output=True,
        text=True,
        env=_env(KAMPLAN_DATA_DIR=str(tmp_path), **{variable: value}),
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert variable in result.stderr
    assert value not in result.stderr.replace(variable, "")  # settings may be secrets: the value is not echoed
    assert not (tmp_path / "pg").exists(), "no embedded server is started for a refused configuration"


@pytest.mark.parametrize("command", ["token", "demo"])
def test_minting_rs256_tokens_without_the_private_key_is_one_line(command: str, tmp_path: Path) -> None:
    """README: KAMPLAN_JWT_PRIVATE_KEY is needed by `kamplan token` and `kamplan demo`. Without it, with the public
    key given, `token` ended in a traceback and exit 1, and `demo` did so after starting and migrating the database."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    arguments = ["--sub", "a", "--role", "admin"] if command == "token" else []
    result = subprocess.run(
        [KAMPLAN, command, *arguments],
        capture_output=True,
        text=True,
        env=_env(KAMPLAN_DATA_DIR=str(tmp_path), KAMPLAN_JWT_ALGORITHM="RS256", KAMPLAN_JWT_PUBLIC_KEY=pem),
    )
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "KAMPLAN_JWT_PRIVATE_KEY" in result.stderr
    assert not result.stdout
    assert not (tmp_path / "pg").exists(), "no embedded server is started for a refused configuration"


async def test_serve_on_a_port_in_use_fails_with_exit_1(
    make_database: Callable[[], Awaitable[str]], tmp_path: Path
) -> None:
    """uvicorn's own exit code 3 came through, which the README's list of exit codes does not have."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _env(DATABASE_URL=await make_database(), KAMPLAN_DATA_DIR=str(tmp_path), KAMPLAN_WEBHOOKS="off")
        result = await asyncio.to_thread(
            subprocess.run,
            [KAMPLAN, "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    assert result.returncode == 1, result.stderr
    assert "address already in use" in result.stderr.lower()


@pytest.mark.parametrize(
    ("command", "port"),
    # a port that is no number either, or one out of range (a traceback of OverflowError from the socket)
    [("migrate", "1"), ("verify", "1"), ("serve", "1"), ("migrate", "notaport"), ("verify", "99999")],
)
def test_a_database_that_cannot_be_reached_is_one_line_naming_the_server(command: str, port: str) -> None:
    url = f"postgresql://kam:hunter2-secret@127.0.0.1:{port}/kamplan?sslmode=disable"
    result = subprocess.run([KAMPLAN, command], capture_output=True, text=True, env=_env(DATABASE_URL=url), timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [error] = result.stderr.splitlines()  # nothing else: not alembic's start-up lines either
    assert error.startswith(f"kamplan: cannot connect to postgresql://kam@127.0.0.1:{port}/kamplan?sslmode=disable: ")
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["serve", "--port", "0"],
        ["serve", "--port", "65536"],
        ["serve", "--port", "http"],
        ["token", "--sub", "a", "--role", "admin", "--ttl-hours", "0"],
        ["token", "--sub", "a", "--role", "admin", "--ttl-hours", "-1"],
        ["token", "--sub", "a", "--role", "admin", "--ttl-hours", "nan"],
        ["token", "--sub", "a", "--role", "admin", "--ttl-hours", "1e300"],
    ],
)
def test_an_argument_out_of_range_is_a_usage_error(command: list[str], tmp_path: Path) -> None:
    result = subprocess.run(
        [KAMPLAN, *command], capture_output=True, text=True, env=_env(KAMPLAN_DATA_DIR=str(tmp_path))
    )
    assert result.returncode == 2, result.stdout
    assert "usage: kamplan" in result.stderr
    assert "Traceback" not in result.stderr


@asynccontextmanager
async def _migrate_waiting_for_its_lock(
    data_dir: Path,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, EmbeddedPostgres]]:
    """`kamplan migrate` on the embedded server in `data_dir`, which we started and it joined, waiting for the
    migration lock we hold; we let go of the server when the block ends."""
    ours = EmbeddedPostgres(data_dir / "pg")
    url = await ensure_database(await asyncio.to_thread(ours.start))
    holder = await asyncpg.connect(url)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        command = await asyncio.create_subprocess_exec(
            KAMPLAN, "migrate", env=_env(KAMPLAN_DATA_DIR=str(data_dir)), stderr=asyncio.subprocess.PIPE
        )
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        await eventually(lambda: holder.fetchval(waiting), bool, seconds=60)
        yield command, ours
    finally:
        await holder.close()
        await asyncio.to_thread(ours.stop)


async def test_sigterm_stops_a_command_and_lets_go_of_the_embedded_postgresql(tmp_path: Path) -> None:
    """Only serve and worker handled SIGTERM: a migrate stopped by an orchestrator died at once, and its handle on the
    embedded server was never let go of, so the server kept running after everyone had left."""
    data_dir = tmp_path / "var"
    async with _migrate_waiting_for_its_lock(data_dir) as (command, _):
        command.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(command.communicate(), 30)
    assert command.returncode == 128 + signal.SIGTERM, stderr.decode()  # stopped, not done: a deployment must stop too
    assert not _postmasters_in(data_dir / "pg"), "the command kept its handle on the embedded PostgreSQL"


async def test_a_sigterm_while_the_embedded_postgresql_starts_stops_it_once_started(tmp_path: Path) -> None:
    """A SIGTERM during `pg_ctl start` raised SystemExit inside pgserver: the server came up with no handle recorded
    and nobody to stop it (2 runs in 4). It now waits for the start to end, then stops the server on the way out."""
    data_dir = tmp_path / "var"
    command = await asyncio.create_subprocess_exec(
        KAMPLAN, "migrate", env=_env(KAMPLAN_DATA_DIR=str(data_dir)), stderr=asyncio.subprocess.PIPE
    )
    try:
        assert command.stderr is not None
        before = b""
        while b"running pg_ctl" not in before:  # pgserver's log line as it runs `pg_ctl start -w`
            line = await asyncio.wait_for(command.stderr.readline(), 60)
            assert line, before.decode()
            before += line
        command.send_signal(signal.SIGTERM)
        _, after = await asyncio.wait_for(command.communicate(), 60)
        stderr = before + after
        left_running = bool(_postmasters_in(data_dir / "pg"))
    finally:
        for postmaster in _postmasters_in(data_dir / "pg"):
            postmaster.kill()
    assert command.returncode == 128 + signal.SIGTERM, stderr.decode()
    assert not left_running, "a SIGTERM during its start left the embedded PostgreSQL running"


async def test_more_sigterms_while_the_command_stops_the_embedded_postgresql_do_not_cut_that_short(
    tmp_path: Path,
) -> None:
    """An orchestrator or an impatient operator may signal again: each SIGTERM raised SystemExit wherever the process
    was, also inside the stop of the server, which killed `pg_ctl stop` and left PostgreSQL running."""
    data_dir = tmp_path / "var"
    try:
        async with _migrate_waiting_for_its_lock(data_dir) as (command, ours):
            await asyncio.to_thread(ours.stop)  # the command is the server's last user now: it stops it on its way out
            finished = asyncio.ensure_future(command.communicate())
            while not finished.done():
                # os.kill, not send_signal: Popen.send_signal polls first, which may reap the exited command before
                # asyncio's child watcher does, and the watcher then reports 255 for it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(command.pid, signal.SIGTERM)
                await asyncio.wait([finished], timeout=0.02)
            _, stderr = finished.result()
            left_running = bool(_postmasters_in(data_dir / "pg"))
    finally:
        for postmaster in _postmasters_in(data_dir / "pg"):  # what the bug left, perhaps half stopped: stop it for good
            postmaster.kill()
    # not -15: a signal landing while the interpreter shuts down, after Python gave SIGTERM its default back, killed it
    assert command.returncode == 128 + signal.SIGTERM, stderr.decode()
    assert not left_running, "a later SIGTERM cut the stop of the embedded PostgreSQL short"


async def test_sigterm_stops_serve_within_the_grace_period_despite_a_request_still_running(
    make_database: Callable[[], Awaitable[str]], tmp_path: Path
) -> None:
    """uvicorn waited for every request to finish: a read waiting for projections that never run held it for ever."""
    secret = "cli-test-secret-" + "x" * 40
    port = _free_port()
    env = _env(
        DATABASE_URL=await make_database(),
        KAMPLAN_DATA_DIR=str(tmp_path),
        KAMPLAN_JWT_SECRET=secret,
        KAMPLAN_PROJECTIONS="off",  # so the read below waits the whole KAMPLAN_READ_WAIT_SECONDS
        KAMPLAN_WEBHOOKS="off",
        KAMPLAN_READ_WAIT_SECONDS="600",
        KAMPLAN_SHUTDOWN_GRACE_SECONDS="1",
    )
    kam = TokenKeys.from_settings(Settings(jwt_secret=secret)).mint("kam-grace", Role.MANAGER, "north")
    server = await asyncio.create_subprocess_exec(
        KAMPLAN, "serve", "--port", str(port), env=env, stderr=asyncio.subprocess.PIPE
    )
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {kam}"}
    try:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=700) as client:
            await eventually(lambda: _status(client, "/readyz"), lambda status: status == 200, seconds=60)
            created = await client.post("/v1/accounts", json={"name": "Grace Plant"})
            assert created.status_code == 201, created.text
            stuck = asyncio.create_task(client.get(f"/v1/accounts?min_position={created.headers['X-Position']}"))
            await asyncio.sleep(1)
            assert not stuck.done(), "the read waits for the projections"
            started = time.monotonic()
            server.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(server.communicate(), 30)
            stopped_after = time.monotonic() - started
            stuck.cancel()
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
    assert server.returncode == 0, stderr.decode()
    assert stopped_after < 15, stderr.decode()


async def _status(client: httpx.AsyncClient, path: str) -> int:
    try:
        return (await client.get(path)).status_code
    except httpx.TransportError:
        return 0
