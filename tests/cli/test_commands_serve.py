"""`kamplan serve` on a port in use exits 1, and SIGTERM stops it within its grace period."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from service.config import Settings
from service.domain.actors import Role
from service.tokens import TokenKeys
from tests.support.cli import KAMPLAN, _env, _free_port
from tests.support.webhooks import eventually


async def _status(client: httpx.AsyncClient, path: str) -> int:
    try:
        return (await client.get(path)).status_code
    except httpx.TransportError:
        return 0


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
