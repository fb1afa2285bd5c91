"""Processes that share an embedded data directory take one lock to start, join and stop its server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import fasteners

from service.db.embedded import lock_path

KAMPLAN = str(Path(sys.executable).parent / "kamplan")


def test_the_start_lock_lies_beside_the_data_directory_whatever_the_runtime_directory(tmp_path: Path) -> None:
    # pgserver's own lock is in $XDG_RUNTIME_DIR: two processes that differed in it started one data directory at once
    pg_data, runtime = tmp_path / "pg", tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("KAMPLAN_")}
    env |= {"KAMPLAN_PG_DATA": str(pg_data), "KAMPLAN_LOG_FORMAT": "text", "XDG_RUNTIME_DIR": str(runtime)}
    with fasteners.InterProcessLock(lock_path(pg_data)):  # another process starting the server, as far as it knows
        migrate = subprocess.Popen([KAMPLAN, "migrate"], env=env, stderr=subprocess.PIPE, text=True)
        assert migrate.stderr is not None
        for line in migrate.stderr:
            if "starting embedded PostgreSQL" in line:
                break
        time.sleep(3)
        assert migrate.poll() is None, "it must wait for the lock"
        assert not (pg_data / "PG_VERSION").exists(), "no initdb while another process holds the lock"
    _, rest = migrate.communicate(timeout=120)
    assert migrate.returncode == 0, rest
    assert (pg_data / "PG_VERSION").exists()
