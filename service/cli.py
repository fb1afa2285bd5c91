"""The `kamplan` command: serve, migrate, verify, token, openapi."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import signal
import sys
from datetime import timedelta
from pathlib import Path

from service.config import Settings
from service.domain.actors import Role
from service.logs import configure_logging

OPENAPI_PATH = Path("openapi/openapi.json")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        return int(args.run(settings, args) or 0)
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kamplan",
        description="Event-sourced account planning for key account managers. Configuration comes from "
        "environment variables (DATABASE_URL, KAMPLAN_*); see the README. Without DATABASE_URL an "
        "embedded PostgreSQL runs in ./var/pg.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="migrate, then serve the API",
        description=(
            "Migrate the database to the newest schema, then serve the HTTP API with uvicorn until interrupted."
        ),
    )
    serve.add_argument("--host", help="interface to bind (default: KAMPLAN_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default: KAMPLAN_PORT or 8000)")
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser(
        "migrate",
        help="run migrations to head",
        description=("Apply every pending alembic migration in one transaction; safe to run from several processes."),
    )
    migrate.set_defaults(run=_migrate)

    verify = commands.add_parser(
        "verify",
        help="check every stream's hash chain",
        description=(
            "Recompute the hash chain of every stream and report the first broken event of each. "
            "Exits 1 when any stream is broken."
        ),
    )
    verify.add_argument("--stream", help="check only this stream")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.set_defaults(run=_verify)

    token = commands.add_parser(
        "token",
        help="mint a development JWT",
        description=(
            "Print a bearer token signed with the configured key (KAMPLAN_JWT_SECRET, or the generated "
            "development secret in the data directory)."
        ),
    )
    token.add_argument("--sub", required=True, help="subject: the user's id")
    token.add_argument("--role", required=True, choices=[r.value for r in Role], help="the user's role")
    token.add_argument("--team", help="the supervisor's team the user belongs to")
    token.add_argument("--ttl-hours", type=float, default=12.0, help="lifetime in hours (default 12)")
    token.set_defaults(run=_token)

    openapi = commands.add_parser(
        "openapi",
        help="write openapi/openapi.json",
        description=("Generate the OpenAPI document from the app (no database needed)."),
    )
    openapi.add_argument("--output", type=Path, default=OPENAPI_PATH, help=f"default {OPENAPI_PATH}")
    openapi.add_argument("--check", action="store_true", help="exit 1 if the file differs instead of writing")
    openapi.set_defaults(run=_openapi)
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from service.db.migrate import migrate
    from service.db.server import database_url
    from service.main import create_app

    # uvicorn shuts down gracefully on SIGTERM, then re-raises it; exiting cleanly here lets the
    # embedded PostgreSQL below be stopped instead of the process dying with it still running
    signal.signal(signal.SIGTERM, _exit_cleanly)
    with database_url(settings) as url:
        asyncio.run(migrate(url))
        app = create_app(settings, url)
        uvicorn.run(app, host=args.host or settings.host, port=args.port or settings.port, log_config=None)


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _migrate(settings: Settings, args: argparse.Namespace) -> None:
    from service.db.migrate import migrate
    from service.db.server import database_url

    with database_url(settings) as url:
        asyncio.run(migrate(url))
    print("database is at the newest schema")


def _verify(settings: Settings, args: argparse.Namespace) -> int:
    from service.db.server import database_url
    from service.verify import run_verify

    with database_url(settings) as url:
        report = asyncio.run(run_verify(settings, url, args.stream))
    if args.json:
        print(json.dumps(dataclasses.asdict(report), indent=2))
    else:
        for b in report.broken:
            print(f"BROKEN {b.stream_id} version {b.stream_version} (position {b.position}): {b.problem}")
        print(
            f"checked {report.events} events in {report.streams} streams: "
            f"{'all chains intact' if report.ok else f'{len(report.broken)} broken'}"
        )
    return 0 if report.ok else 1


def _token(settings: Settings, args: argparse.Namespace) -> None:
    from service.tokens import TokenKeys

    keys = TokenKeys.from_settings(settings)
    print(keys.mint(args.sub, Role(args.role), args.team, timedelta(hours=args.ttl_hours)))


def _openapi(settings: Settings, args: argparse.Namespace) -> int:
    from service.openapi import render

    text = render(settings)
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run `kamplan openapi`", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
