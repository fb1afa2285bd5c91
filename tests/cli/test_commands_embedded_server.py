"""The kamplan command on its embedded PostgreSQL: it keeps its data, logs its start, and lets go of it on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import psutil

from service.config import Settings
from service.db.embedded import EmbeddedPostgres, ensure_database
from service.db.migrate import MIGRATION_LOCK
from service.domain.actors import Role
from service.tokens import TokenKeys
from tests.support.cli import KAMPLAN, _env, _free_port
from tests.support.webhooks import eventually


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
        # the migrator polls pg_try_advisory_lock (a blocking wait would hold a snapshot that 0016's concurrent
        # index build waits for), each try in a transaction of its own: its session's last query is the try, or the
        # BEGIN or COMMIT around it, most of the time the COMMIT
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            " AND (query LIKE '%pg_try_advisory_lock%' OR query LIKE 'BEGIN%' OR query LIKE 'COMMIT%')"
        )
        await eventually(lambda: holder.fetchval(waiting), bool, seconds=60)
        yield command, ours
    finally:
        await holder.close()
        await asyncio.to_thread(ours.stop)


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


def test_warnings_from_starting_the_embedded_server_are_json_log_lines_too(tmp_path: Path) -> None:
    env = _env(KAMPLAN_DATA_DIR=str(tmp_path), KAMPLAN_LOG_FORMAT="json")
    env.pop("XDG_RUNTIME_DIR", None)  # platformdirs warns about it when pgserver is imported
    result = subprocess.run([KAMPLAN, "migrate"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert any(r["logger"] == "py.warnings" and "XDG_RUNTIME_DIR" in r["msg"] for r in records)


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
