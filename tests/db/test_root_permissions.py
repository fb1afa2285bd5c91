"""As root, the embedded server's parents become traversable for its `pgserver` user, not readable by all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from service.db.embedded import EmbeddedPostgres
from tests.support.embedded import answers

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="pgserver changes permissions only when run as root")


def test_a_private_parent_becomes_traversable_but_not_listable_and_the_server_runs(tmp_path: Path) -> None:
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    assert answers(EmbeddedPostgres(private / "var" / "pg")) == 1
    assert oct(private.stat().st_mode & 0o777) == "0o711"
