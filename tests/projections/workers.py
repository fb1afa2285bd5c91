"""Starting and stopping `kamplan worker` processes for the tests; their output goes to a file, not a pipe."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

KAMPLAN = str(Path(sys.executable).parent / "kamplan")
ROOT = Path(__file__).resolve().parents[2]


class Worker:
    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="kamplan-worker-", suffix=".log", delete=False)  # noqa: SIM115
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KAMPLAN_")},
            "DATABASE_URL": url,
            "PYTHONPATH": str(ROOT),
            "KAMPLAN_PROJECTION_MODULES": "tests.support.projections",
            "KAMPLAN_LOG_FORMAT": "text",
            "KAMPLAN_JWT_SECRET": "w" * 40,
            **env,
        }
        self.process = subprocess.Popen([KAMPLAN, "worker"], env=environment, stdout=self.log, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye, like a crash. A worker that is no longer running fails the test: it
        would have tested nothing."""
        assert self.alive(), f"the worker had exited already:\n{Path(self.log.name).read_text()}"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> str:
        if self.alive():
            self.process.terminate()
            self.process.wait(timeout=30)
        return self.output()

    def output(self) -> str:
        self.log.close()
        text = Path(self.log.name).read_text()
        Path(self.log.name).unlink(missing_ok=True)
        return text


def start_worker(url: str, **env: str) -> Worker:
    return Worker(url, env)
