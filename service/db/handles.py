"""Who still uses the embedded server: pgserver's handle pids, without the processes that are gone.

pgserver stops the server when the last process in its handle list lets go. A kamplan process killed with
SIGKILL never lets go, so its pid stayed in the list and the server was never stopped; once the pid was reused
by another process, that process counted as a user. We prune the list before letting go, under pgserver's lock,
and record each joining process's start time to tell it from a later process with the same pid.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger(__name__)

HANDLES = ".handle_pids.json"  # pgserver's: a JSON list of the pids of the processes using the server
STARTED = ".kamplan_handles.json"  # ours: {pid: the process's start time}


def record_handle(pg_data: Path, pid: int) -> None:
    """Note when the process that has just joined started."""
    started = _read(pg_data / STARTED, {})
    started[str(pid)] = psutil.Process(pid).create_time()
    _write(pg_data / STARTED, started)


def prune_handles(pg_data: Path) -> list[int]:
    """Drop from the handle list the processes that are gone or whose pid now names another process; the rest."""
    handles: list[int] = _read(pg_data / HANDLES, [])
    started: dict[str, float] = _read(pg_data / STARTED, {})
    alive = [pid for pid in handles if _still_running(pid, started.get(str(pid)))]
    if alive != handles:
        gone = sorted(set(handles) - set(alive))
        log.warning("forgetting users of the embedded PostgreSQL that are gone", extra={"pids": gone})
        _write(pg_data / HANDLES, alive)
    kept = {key: value for key, value in started.items() if int(key) in alive}
    if kept != started:
        _write(pg_data / STARTED, kept)
    return alive


def _still_running(pid: int, started_at: float | None) -> bool:
    """Whether `pid` is still the process that joined (the one started at `started_at`, when we know it)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return started_at is None or abs(process.create_time() - started_at) < 0.01
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # another user's process: it may be using the server, keep it
        return True


def _read(path: Path, default: Any) -> Any:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return default
    return json.loads(text) if text else default


def _write(path: Path, value: object) -> None:
    path.write_text(json.dumps(value))
