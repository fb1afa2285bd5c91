"""The kamplan command explains itself, and `kamplan token` mints a JWT the service accepts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from service.config import Settings
from service.domain.actors import Role
from service.events.upcasting import Upcasters
from service.projections import registry
from service.tokens import TokenKeys
from tests.support.cli import KAMPLAN, _env


@pytest.mark.parametrize(
    "command", [[], ["serve"], ["migrate"], ["verify"], ["token"], ["openapi"], ["demo"], ["worker"], ["rebuild"]]
)
def test_every_command_explains_itself(command: list[str]) -> None:
    result = subprocess.run([KAMPLAN, *command, "--help"], capture_output=True, text=True, env=_env())
    assert result.returncode == 0
    assert "usage: kamplan" in result.stdout
    assert len(result.stdout.splitlines()) > 4


def test_rebuild_help_names_every_builtin_projection() -> None:
    result = subprocess.run([KAMPLAN, "rebuild", "--help"], capture_output=True, text=True, env=_env(), check=True)
    text = " ".join(result.stdout.split())  # argparse wraps the help
    assert all(p.name in text for p in registry.builtin(Upcasters()))


def test_token_mints_a_jwt_the_service_accepts(tmp_path: Path) -> None:
    result = subprocess.run(
        [KAMPLAN, "token", "--sub", "alice", "--role", "supervisor", "--team", "north"],
        capture_output=True,
        text=True,
        env=_env(KAMPLAN_DATA_DIR=str(tmp_path)),
        check=True,
    )
    actor = TokenKeys.from_settings(Settings(data_dir=tmp_path)).actor(result.stdout.strip())
    assert (actor.sub, actor.role, actor.team) == ("alice", Role.SUPERVISOR, "north")
    assert oct((tmp_path / "jwt-secret").stat().st_mode & 0o777) == "0o600"


def test_token_refuses_an_unknown_role(tmp_path: Path) -> None:
    result = subprocess.run(
        [KAMPLAN, "token", "--sub", "a", "--role", "ceo"],
        capture_output=True,
        text=True,
        env=_env(KAMPLAN_DATA_DIR=str(tmp_path)),
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
