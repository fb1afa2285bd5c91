"""The embedded server's socket directory is private to the user PostgreSQL runs as.

pgserver puts the server's Unix socket in the data directory, which initdb keeps private (0700), unless that
path is too long for a socket name: then it uses a directory named by a hash of the data directory in the
runtime directory (`$XDG_RUNTIME_DIR/python_PostgresServer`, or /tmp when that does not exist). As root, it
opens that directory to every user (0777, no sticky bit) so that its `pgserver` user can create the socket
there; otherwise it leaves it at the umask's 0755. Either way the socket itself is 0777 and the server trusts
every local connection: any local user was superuser of the embedded database, and as root could also
replace the socket with a server of its own. While pgserver starts a server, the directory it chose is
instead owned by the data directory's owner (the user PostgreSQL runs as) and 0700: root still connects,
nobody else can reach the socket.
"""

from __future__ import annotations

import os
import stat
from contextlib import AbstractContextManager
from pathlib import Path, PosixPath
from typing import Any

from service.db.pgdata import DataDirectoryError
from service.db.pgserver_swap import Function, swapped

PRIVATE = 0o700


class _PrivateDirectory(PosixPath):
    """The socket directory pgserver chose, whose `chmod` keeps it private: pgserver asks for 0777."""

    def chmod(self, mode: int, *, follow_symlinks: bool = True) -> None:
        super().chmod(PRIVATE, follow_symlinks=follow_symlinks)


def make_private(directory: Path, owner: int, group: int) -> None:
    """Give `directory` to `owner` alone; refuse one that another user made first (it may hold their socket)."""
    status = directory.lstat()
    if not stat.S_ISDIR(status.st_mode) or status.st_uid not in (owner, os.geteuid()):
        raise DataDirectoryError(
            f"the embedded PostgreSQL's socket directory {directory} was made by another user (uid "
            f"{status.st_uid}) or is not a directory: remove it, or use a shorter KAMPLAN_PG_DATA"
        )
    if status.st_uid != owner or status.st_gid != group:
        os.chown(directory, owner, group)
    directory.chmod(PRIVATE)


def private_socket_directory() -> AbstractContextManager[None]:
    """While pgserver starts a server, make the socket directory it chooses outside the data directory private."""

    def privately(choose: Function) -> Function:
        def chosen_privately(pgdata: Path, runtime_path: Path) -> Any:
            directory = choose(pgdata, runtime_path)
            if directory == pgdata:  # initdb made it private already
                return directory
            data = pgdata.stat()  # PostgreSQL runs as the data directory's owner, or refuses to start
            make_private(directory, data.st_uid, data.st_gid)
            return _PrivateDirectory(directory)

        return chosen_privately

    return swapped("find_suitable_socket_dir", privately)
