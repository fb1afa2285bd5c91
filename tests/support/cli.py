"""What the tests of the kamplan command share: the command itself, an environment free of the suite's settings, a
free port."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

KAMPLAN = str(Path(sys.executable).parent / "kamplan")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("KAMPLAN_")}
    return {**env, "KAMPLAN_LOG_FORMAT": "text", **extra}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
