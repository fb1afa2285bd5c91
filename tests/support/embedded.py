"""Embedded servers of the tests' own, in temporary directories, and other processes that use them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import psutil

from service.db.embedded import EmbeddedPostgres, ensure_database

# another kamplan process: joins (or starts) the server, says so, and lets go when its stdin closes
_USER = (
    "import sys; from pathlib import Path; from service.db.embedded import EmbeddedPostgres; "
    "server = EmbeddedPostgres(Path(sys.argv[1])); print(server.start(), flush=True); sys.stdin.read(); server.stop()"
)


@contextmanager
def another_user(pg_data: Path) -> Iterator[subprocess.Popen[str]]:
    """A second process using the embedded server in `pg_data`, until the block ends (or the test kills it)."""
    with subprocess.Popen(
        [sys.executable, "-c", _USER, str(pg_data)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as process:  # closes its pipes on the way out
        assert process.stdout is not None
        assert process.stdin is not None
        try:
            assert process.stdout.readline().startswith("postgresql://"), "the other process did not get a server"
            yield process
        finally:
            if process.poll() is None:
                process.stdin.close()
                process.wait(30)


def answers(server: EmbeddedPostgres) -> int:
    """Start the server, ask kamplan's database a question, stop the server."""

    async def ask(admin_url: str) -> int:
        conn = await asyncpg.connect(await ensure_database(admin_url))
        try:
            return await conn.fetchval("SELECT 1")
        finally:
            await conn.close()

    try:
        return asyncio.run(ask(server.start()))
    finally:
        server.stop()


def postmaster_pid(pg_data: Path) -> int:
    return int((pg_data / "postmaster.pid").read_text().split()[0])


def gone(pid: int, seconds: float = 10.0) -> bool:
    """Whether process `pid` ends (or is only a zombie) within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False
