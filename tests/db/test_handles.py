"""The last live user of the embedded server stops it, whatever users killed with SIGKILL left behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from service.db.embedded import EmbeddedPostgres
from tests.support.embedded import another_user, gone, postmaster_pid


def _add_handle(pg_data: Path, pid: int) -> None:
    path = pg_data / ".handle_pids.json"
    path.write_text(json.dumps([*json.loads(path.read_text()), pid]))


def test_the_last_user_stops_the_server_though_another_was_killed_while_using_it(tmp_path: Path) -> None:
    pg_data = tmp_path / "pg"
    server = EmbeddedPostgres(pg_data)
    server.start()
    postmaster = postmaster_pid(pg_data)
    with another_user(pg_data) as other:
        other.kill()  # SIGKILL: it never lets go of the server
        other.wait()

    server.stop()

    assert gone(postmaster), "the server must stop when its last live user lets go"


def test_a_pid_reused_by_an_unrelated_process_does_not_count_as_a_user(tmp_path: Path) -> None:
    pg_data = tmp_path / "pg"
    server = EmbeddedPostgres(pg_data)
    server.start()
    postmaster = postmaster_pid(pg_data)
    with subprocess.Popen(["sleep", "60"]) as unrelated:
        try:
            # a killed user's pid, since reused: in the list, with the start time of the process that joined
            _add_handle(pg_data, unrelated.pid)
            started = json.loads((pg_data / ".kamplan_handles.json").read_text())
            (pg_data / ".kamplan_handles.json").write_text(json.dumps({**started, str(unrelated.pid): 1.0}))

            server.stop()

            assert gone(postmaster)
            assert unrelated.poll() is None
        finally:
            unrelated.kill()


def test_a_live_user_keeps_the_server_running(tmp_path: Path) -> None:
    pg_data = tmp_path / "pg"
    server = EmbeddedPostgres(pg_data)
    server.start()
    postmaster = postmaster_pid(pg_data)
    with another_user(pg_data):
        server.stop()
        assert not gone(postmaster, seconds=1)
    assert gone(postmaster)
