"""The kamplan command refuses bad settings, arguments, data directories and database URLs in one line, never a
traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.cli import KAMPLAN, _env


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("KAMPLAN_PORT", "abc", "migrate"),
        ("KAMPLAN_POOL_MAX", "0", "migrate"),
        ("KAMPLAN_LOG_LEVEL", "chatty", "migrate"),
        ("KAMPLAN_IDLE_IN_TRANSACTION_TIMEOUT_MS", "2147483648", "serve"),  # past PostgreSQL's range: no connection
        # these failed in the service's start-up, after the migration, with a traceback and exit 3
        ("KAMPLAN_JWT_SECRET", "short-secret", "serve"),
        ("KAMPLAN_JWT_PUBLIC_KEY", "/nonexistent/key.pem", "serve"),
        ("KAMPLAN_JWT_ALGORITHM", "RS256", "serve"),  # and no public key
        ("KAMPLAN_PROJECTION_MODULES", "nosuch.projections", "serve"),
        ("KAMPLAN_JWT_SECRET", "short-secret", "token"),  # a traceback and exit 1
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(variable: str, value: str, command: str, tmp_path: Path) -> None:
    arguments = ["--sub", "a", "--role", "admin"] if command == "token" else []
    result = subprocess.run(
        [KAMPLAN, command, *arguments],
        capture_output=True,
        text=True,
        env=_env(KAMPLAN_DATA_DIR=str(tmp_path), **{variable: value}),
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert variable in result.stderr
    assert value not in result.stderr.replace(variable, "")  # settings may be secrets: the value is not echoed
    assert not (tmp_path / "pg").exists(), "no embedded server is started for a refused configuration"


@pytest.mark.parametrize("command", ["token", "demo"])
def test_minting_rs256_tokens_without_the_private_key_is_one_line(command: str, tmp_path: Path) -> None:
    """README: KAMPLAN_JWT_PRIVATE_KEY is needed by `kamplan token` and `kamplan demo`. Without it, with the public
    key given, `token` ended in a traceback and exit 1, and `demo` did so after starting and migrating the database."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    arguments = ["--sub", "a", "--role", "admin"] if command == "token" else []
    result = subprocess.run(
        [KAMPLAN, command, *arguments],
        capture_output=True,
        text=True,
        env=_env(KAMPLAN_DATA_DIR=str(tmp_path), KAMPLAN_JWT_ALGORITHM="RS256", KAMPLAN_JWT_PUBLIC_KEY=pem),
    )
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "KAMPLAN_JWT_PRIVATE_KEY" in result.stderr
    assert not result.stdout
    assert not (tmp_path / "pg").exists(), "no embedded server is started for a refused configuration"


@pytest.mark.parametrize(
    "command",
    [
        ["serve", "--port", "0"],
        ["serve", "--port", "65536"],
        ["serve", "--port", "http"],
        ["token", "--sub", "a", "--role", "admin", "--ttl-hours", "0"],
        ["token", "--sub", "a", "--role", "admin", "--ttl-hours", "-1"],
        ["token", "--sub", "a", "--role", "admin", "--ttl-hours", "nan"],
        ["token", "--sub", "a", "--role", "admin", "--ttl-hours", "1e300"],
    ],
)
def test_an_argument_out_of_range_is_a_usage_error(command: list[str], tmp_path: Path) -> None:
    result = subprocess.run(
        [KAMPLAN, *command], capture_output=True, text=True, env=_env(KAMPLAN_DATA_DIR=str(tmp_path))
    )
    assert result.returncode == 2, result.stdout
    assert "usage: kamplan" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_data_directory_it_cannot_use_is_one_line_of_error_not_a_traceback(tmp_path: Path) -> None:
    pg_data = tmp_path / "pg"
    pg_data.mkdir()
    (pg_data / "notes.txt").write_text("mine")
    result = subprocess.run(
        [KAMPLAN, "migrate"], capture_output=True, text=True, env=_env(KAMPLAN_PG_DATA=str(pg_data)), timeout=60
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, result.stderr
    assert f"{pg_data} is not a PostgreSQL data directory" in errors[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("command", "port"),
    # a port that is no number either, or one out of range (a traceback of OverflowError from the socket)
    [("migrate", "1"), ("verify", "1"), ("serve", "1"), ("migrate", "notaport"), ("verify", "99999")],
)
def test_a_database_that_cannot_be_reached_is_one_line_naming_the_server(command: str, port: str) -> None:
    url = f"postgresql://kam:hunter2-secret@127.0.0.1:{port}/kamplan?sslmode=disable"
    result = subprocess.run([KAMPLAN, command], capture_output=True, text=True, env=_env(DATABASE_URL=url), timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [error] = result.stderr.splitlines()  # nothing else: not alembic's start-up lines either
    assert error.startswith(f"kamplan: cannot connect to postgresql://kam@127.0.0.1:{port}/kamplan?sslmode=disable: ")
    assert "hunter2" not in result.stderr
