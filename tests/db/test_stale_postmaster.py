"""Starting the embedded server over what a crash leaves behind, and refusing directories it cannot use."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from service.db.embedded import EmbeddedPostgres
from service.db.pgdata import DataDirectoryError
from tests.support.embedded import another_user, answers, gone, postmaster_pid


def test_starts_after_its_postgres_was_killed(tmp_path: Path) -> None:
    pg_data = tmp_path / "pg"
    with another_user(pg_data):
        pid = postmaster_pid(pg_data)
        os.kill(pid, signal.SIGKILL)
        assert gone(pid)  # here a zombie: nothing reaps it, and pgserver takes a zombie for a running server

    assert answers(EmbeddedPostgres(pg_data)) == 1


def test_starts_when_postmaster_pid_names_a_live_process_that_is_not_its_postgres(tmp_path: Path) -> None:
    # after a machine or container restart, the pid a crashed server left behind can belong to anything
    pg_data = tmp_path / "pg"
    server = EmbeddedPostgres(pg_data)
    server.start()
    lines = (pg_data / "postmaster.pid").read_text().splitlines()
    server.stop()
    unrelated = subprocess.Popen(["sleep", "60"])
    try:
        (pg_data / "postmaster.pid").write_text("\n".join([str(unrelated.pid), *lines[1:]]) + "\n")

        assert answers(EmbeddedPostgres(pg_data)) == 1
        assert unrelated.poll() is None, "stopping the server must not signal the process that reused its pid"
    finally:
        unrelated.kill()
        unrelated.wait()


def test_refuses_a_directory_that_is_not_a_postgresql_data_directory_and_leaves_it_alone(tmp_path: Path) -> None:
    pg_data = tmp_path / "pg"
    pg_data.mkdir()
    (pg_data / "notes.txt").write_text("mine")
    owner = pg_data.stat().st_uid

    with pytest.raises(DataDirectoryError, match="is not a PostgreSQL data directory") as refused:
        EmbeddedPostgres(pg_data).start()
    assert "\n" not in str(refused.value)
    assert pg_data.stat().st_uid == owner
    assert sorted(p.name for p in pg_data.iterdir()) == ["notes.txt"]


def test_refuses_in_one_line_a_live_server_it_cannot_join(tmp_path: Path) -> None:
    pg_data = tmp_path / "pg"
    with another_user(pg_data):
        next(pg_data.glob(".s.PGSQL.*[0-9]")).unlink()  # as a /tmp cleaner does to a socket

        with pytest.raises(DataDirectoryError, match="cannot join") as refused:
            EmbeddedPostgres(pg_data).start()
    assert "\n" not in str(refused.value)


def test_a_server_slower_to_start_than_pg_ctl_waits_is_one_line_of_error(tmp_path: Path) -> None:
    # a recovery that outlasts pg_ctl's ten seconds (here: archive recovery whose restore command sleeps, with no
    # connections before it ends) made `pg_ctl start -w` raise TimeoutExpired out of pgserver as a traceback
    pg_data = tmp_path / "pg"
    server = EmbeddedPostgres(pg_data)
    server.start()
    server.stop()
    with (pg_data / "postgresql.auto.conf").open("a") as conf:
        conf.write("restore_command = 'sleep 20; false'\nhot_standby = off\n")
    (pg_data / "recovery.signal").touch()
    try:
        with pytest.raises(DataDirectoryError, match=r"was not ready within 10 s .* run the command again shortly"):
            EmbeddedPostgres(pg_data).start()
    finally:
        pid = postmaster_pid(pg_data)
        os.kill(pid, signal.SIGQUIT)  # the server goes on starting without us: stop it here
        assert gone(pid)
