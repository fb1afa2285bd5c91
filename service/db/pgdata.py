"""What the embedded server's data directory says about who uses it: its postmaster.pid.

pgserver trusts postmaster.pid as long as a process with the recorded pid exists. After a crash or a kill -9
that pid may be a zombie or reused by an unrelated process: pgserver then joins a server that is not there
(and on stop terminates whatever process now has the pid). The functions here run under pgserver's lock.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

POSTMASTER_PID = "postmaster.pid"
PGSERVER_FILES = {".handle_pids.json", ".kamplan_handles.json", "log"}  # written by pgserver and us, not initdb
LINGER_SECONDS = 10.0  # backends of a killed postmaster notice its death and exit within about a second


class DataDirectoryError(RuntimeError):
    """The data directory cannot be used: not PostgreSQL's, or held by a server we cannot join."""


def check_data_directory(pg_data: Path) -> None:
    """Refuse a path that exists but is not a PostgreSQL data directory, before initdb is run over it."""
    if not pg_data.exists():
        return
    if not pg_data.is_dir():
        raise DataDirectoryError(f"{pg_data} is not a directory; KAMPLAN_PG_DATA must name a PostgreSQL data directory")
    if (pg_data / "PG_VERSION").exists():
        return
    foreign = sorted(p.name for p in pg_data.iterdir() if p.name not in PGSERVER_FILES)
    if foreign:
        raise DataDirectoryError(
            f"{pg_data} is not a PostgreSQL data directory (no PG_VERSION) and is not empty (holds {foreign[0]!r}"
            f"{f' and {len(foreign) - 1} more' if len(foreign) > 1 else ''}); point KAMPLAN_PG_DATA at a data "
            "directory, an empty directory or a new path"
        )


def clear_stale_postmaster_pid(pg_data: Path) -> None:
    """Remove postmaster.pid unless a live postmaster of `pg_data` holds it; refuse one that cannot be joined."""
    path = pg_data / POSTMASTER_PID
    try:
        lines = path.read_text().splitlines()
        pid = int(lines[0])
    except FileNotFoundError:
        return
    except (ValueError, IndexError):
        lines, pid = [], 0  # unreadable: no server could have written it that way and still be running
    if not _is_postmaster_of(pid, pg_data):
        # postmaster.pid is also PostgreSQL's guard against a second server while backends of a killed one still
        # write to the directory: remove it only once no postgres process works in the directory any more
        if lingering := _wait_for_no_postgres_in(pg_data, LINGER_SECONDS):
            raise DataDirectoryError(
                f"{pg_data} has no running postmaster but postgres processes {lingering} still work in it; wait "
                "for them to exit (or stop them) and start again"
            )
        log.warning("removing a stale postmaster.pid: its server is gone", extra={"pg_data": str(pg_data), "pid": pid})
        _remove_socket_lock(lines, pid)
        path.unlink()
        return
    status = lines[7].strip() if len(lines) > 7 else "starting"
    if status != "ready":
        raise DataDirectoryError(
            f"{pg_data} is in use by PostgreSQL (pid {pid}) that is not ready ({status!r}); wait for it or stop it "
            f"(pg_ctl -D {pg_data} stop)"
        )
    socket_dir, port = lines[4].strip(), lines[3].strip()
    if socket_dir and not (Path(socket_dir) / f".s.PGSQL.{port}").exists():
        raise DataDirectoryError(
            f"{pg_data} is in use by PostgreSQL (pid {pid}) whose socket {socket_dir}/.s.PGSQL.{port} is gone, so "
            f"kamplan cannot join it; stop that server (pg_ctl -D {pg_data} stop, or kill {pid}) and start again"
        )


def _remove_socket_lock(lines: list[str], pid: int) -> None:
    """The socket's lock file names the same dead postmaster; PostgreSQL refuses to start while that pid exists."""
    if len(lines) > 4 and lines[4].strip():
        lock = Path(lines[4].strip()) / f".s.PGSQL.{lines[3].strip()}.lock"
        try:
            if int(lock.read_text().split()[0]) == pid:
                lock.unlink()
        except (FileNotFoundError, ValueError, IndexError):
            pass


def _wait_for_no_postgres_in(pg_data: Path, seconds: float) -> list[int]:
    """Wait up to `seconds` until no live postgres process has `pg_data` as its working directory; those left."""
    deadline = time.monotonic() + seconds
    while True:
        pids = [p.pid for p in psutil.process_iter() if _postgres_working_in(p, pg_data, when_unknown=False)]
        if not pids or time.monotonic() > deadline:
            return pids
        time.sleep(0.2)


def _is_postmaster_of(pid: int, pg_data: Path) -> bool:
    """Whether `pid` is a running postgres of `pg_data`; another user's process we cannot tell, so we leave the file
    to PostgreSQL."""
    try:
        process = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return False
    return _postgres_working_in(process, pg_data, when_unknown=True)


def _postgres_working_in(process: psutil.Process, pg_data: Path, *, when_unknown: bool) -> bool:
    """Whether `process` is a live postgres whose working directory (its data directory) is `pg_data`; `when_unknown`
    for another user's process, whose working directory we may not read."""
    try:
        return (
            process.status() != psutil.STATUS_ZOMBIE  # killed, not yet reaped (in a container without an init)
            and process.name() == "postgres"
            and Path(process.cwd()).resolve() == pg_data.resolve()
        )
    except psutil.NoSuchProcess:  # ZombieProcess included
        return False
    except psutil.AccessDenied:
        return when_unknown
