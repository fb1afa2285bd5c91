"""As root, let pgserver's `pgserver` user pass through the data directory's parents without listing them.

Running as root, pgserver runs PostgreSQL as a system user `pgserver`, chowns the data directory to it, and
makes every parent directory of the data directory (and of its own binaries and socket directory) g+rx,o+rx,
up to `/`: a private home such as /root became listable by every user. Reaching the data directory needs only
the search bit (x) on its parents, so while pgserver starts the server its widening is swapped for ours.
"""

from __future__ import annotations

import stat
from contextlib import AbstractContextManager
from pathlib import Path

from service.db.pgserver_swap import swapped

TRAVERSE = stat.S_IXGRP | stat.S_IXOTH


def make_parents_traversable(path: Path) -> None:
    """Let other users pass through every parent of `path` (g+x,o+x) without letting them read any (no r)."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & TRAVERSE != TRAVERSE:
            parent.chmod(stat.S_IMODE(mode) | TRAVERSE)


def parents_only_traversable() -> AbstractContextManager[None]:
    """While pgserver starts a server as root, give its user the search bit on parents, not the read bit."""
    return swapped("ensure_prefix_permissions", lambda widen: make_parents_traversable)
