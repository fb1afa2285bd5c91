"""The `kamplan` command: serve, worker, migrate, rebuild, verify, token, read-schema, openapi."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from service.config import Settings
from service.db.pgdata import DataDirectoryError
from service.domain.actors import Role
from service.logs import configure_logging

OPENAPI_PATH = Path("openapi/openapi.json")
READ_SCHEMA_PATH = Path("docs/read-schema.md")


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 done, 1 failed (a broken chain, a stale file, the database out of reach or its directory
    unusable), 2 a bad argument or setting, 130 interrupted, 143 stopped by SIGTERM before done."""
    from service.db.server import DatabaseUnreachable

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"kamplan: {_refused_settings(error)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    # SIGTERM's default kills the process at once: an embedded PostgreSQL the command started (or joined) would keep
    # running; as an exception, it unwinds through database_url(), whose `finally` lets go of the server
    signal.signal(signal.SIGTERM, _stopped)
    try:
        return int(args.run(settings, args) or 0)
    except DatabaseUnreachable as error:
        print(f"kamplan: {error}", file=sys.stderr)
        return 1
    except DataDirectoryError as error:  # the embedded database's directory: one line that says what to do
        logging.getLogger("kamplan").error(str(error))
        return 1
    except KeyboardInterrupt:
        return 130


STOPPED = 128 + signal.SIGTERM  # the shell's code for a process ended by SIGTERM: stopped, not done


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(STOPPED)


def _refused_settings(error: ValidationError) -> str:
    """One line naming each refused variable; never its value, which may be a secret."""
    problems = []
    for e in error.errors(include_input=False, include_url=False):
        field = str(e["loc"][0]) if e["loc"] else ""
        problems.append(f"{Settings.variable(field)}: {e['msg']}")
    return "invalid setting " + "; ".join(problems)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is from 1 to 65535, not {port}")
    return port


def _hours(text: str) -> float:
    try:
        hours = float(text)
        ttl = timedelta(hours=hours)
        datetime.now(UTC) + ttl  # the token's expiry must be a date
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"not a number of hours a token can live: {text!r}") from None
    if not ttl > timedelta(0):
        raise argparse.ArgumentTypeError(f"a token lives more than 0 hours, not {text}")
    return hours


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kamplan",
        description="Event-sourced account planning for key account managers. Configuration comes from "
        "environment variables (DATABASE_URL, KAMPLAN_*); see the README. Without DATABASE_URL an "
        "embedded PostgreSQL runs in $KAMPLAN_PG_DATA (default: pg in $KAMPLAN_DATA_DIR, ./var).",
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
    serve.add_argument("--port", type=_port, help="port to bind (default: KAMPLAN_PORT or 8000)")
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
            "Exits 1 when any stream is broken, or when the stream given with --stream does not exist."
        ),
    )
    verify.add_argument("--stream", help="check only this stream")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.set_defaults(run=_verify)

    token = commands.add_parser(
        "token",
        help="mint a development JWT",
        description=(
            "Print a bearer token signed with the configured key: KAMPLAN_JWT_SECRET, or the generated "
            "development secret in the data directory (HS256); KAMPLAN_JWT_PRIVATE_KEY (RS256)."
        ),
    )
    token.add_argument("--sub", required=True, help="subject: the user's id")
    token.add_argument("--role", required=True, choices=[r.value for r in Role], help="the user's role")
    token.add_argument("--team", help="the supervisor's team the user belongs to")
    token.add_argument("--ttl-hours", type=_hours, default=12.0, help="lifetime in hours (default 12)")
    token.set_defaults(run=_token)

    worker = commands.add_parser(
        "worker",
        help="apply projections and deliver webhooks (no HTTP)",
        description="Apply the projections from the event log and deliver webhooks until interrupted. Run several "
        "for availability: each projection and each webhook subscription is served by one process at a time, and "
        "another takes over when it dies. Set KAMPLAN_PROJECTIONS=off and KAMPLAN_WEBHOOKS=off on `serve` when "
        "workers do this.",
    )
    worker.set_defaults(run=_worker)

    rebuild = commands.add_parser(
        "rebuild",
        help="rebuild a projection beside the live one",
        description="Build a new generation of the projection from position zero while the live one keeps "
        "serving, then switch to it atomically and drop the old tables. Shows progress (events done / total, "
        "rate).",
    )
    rebuild.add_argument("name", help="the projection, e.g. audit_log")
    rebuild.set_defaults(run=_rebuild)

    demo = commands.add_parser(
        "demo",
        help="load two demo key accounts (a truck maker buying fuel filters, a valve wholesaler with a plan)",
        description="Load seed 004's story through the API: a truck maker with its dossier and buying-center "
        "map (engine-systems allies, the chassis department as a separate buying group, procurement, the "
        "technical director), a fuel-filter project carried from Entry to serial supply with its interactions, "
        "and a cross-sell of fuel-line components stalled at Finding an ally; and seed 001's wholesale buyer of "
        "valves and flanges with a three-year plan reviewed once and agreed. Safe to run twice: every step "
        "carries an Idempotency-Key.",
    )
    demo.set_defaults(run=_demo)

    read_schema = commands.add_parser(
        "read-schema",
        help="write docs/read-schema.md",
        description="Document the read schema (the BI contract) from the database's catalog and comments.",
    )
    read_schema.add_argument("--output", type=Path, default=READ_SCHEMA_PATH, help=f"default {READ_SCHEMA_PATH}")
    read_schema.add_argument(
        "--check", action="store_true", help="exit 1 if the file is stale or missing (writes nothing)"
    )
    read_schema.set_defaults(run=_read_schema)

    openapi = commands.add_parser(
        "openapi",
        help="write openapi/openapi.json",
        description=("Generate the OpenAPI document from the app (no database needed)."),
    )
    openapi.add_argument("--output", type=Path, default=OPENAPI_PATH, help=f"default {OPENAPI_PATH}")
    openapi.add_argument("--check", action="store_true", help="exit 1 if the file is stale or missing (writes nothing)")
    openapi.set_defaults(run=_openapi)
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from service.db.migrate import migrate
    from service.db.server import database_url
    from service.heap import freeze_startup_heap
    from service.main import create_app

    with database_url(settings) as url:
        asyncio.run(migrate(url))
        app = create_app(settings, url)
        freeze_startup_heap()
        try:
            uvicorn.run(
                app,
                host=args.host or settings.host,
                port=args.port or settings.port,
                log_config=None,
                timeout_graceful_shutdown=settings.shutdown_grace_seconds,
            )
        except SystemExit as stop:
            if stop.code != STOPPED:
                raise
            # uvicorn shut down gracefully on SIGTERM, then raised it again: the usual end of a service


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
    if args.stream and not report.streams:  # a mistyped id checks nothing, which is no proof of anything
        print(f"no stream {args.stream} in the event log", file=sys.stderr)
        return 1
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


def _worker(settings: Settings, args: argparse.Namespace) -> None:
    from service.db.migrate import migrate
    from service.db.server import database_url
    from service.heap import freeze_startup_heap
    from service.operations import work

    with database_url(settings) as url:
        asyncio.run(migrate(url))
        freeze_startup_heap()
        asyncio.run(work(settings, url))


def _rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from service.db.migrate import migrate
    from service.db.server import database_url
    from service.operations import rebuild
    from service.projections import registry

    try:
        registry.by_name(registry.load(settings.extra_projection_modules), args.name)
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return 2

    with database_url(settings) as url:
        asyncio.run(migrate(url))
        return asyncio.run(rebuild(settings, url, args.name))


def _demo(settings: Settings, args: argparse.Namespace) -> None:
    from service.db.migrate import migrate
    from service.db.server import database_url
    from service.demo.client import MANAGER, SUPERVISOR, TEAM
    from service.demo.run import run

    with database_url(settings) as url:
        asyncio.run(migrate(url))
        account_id = asyncio.run(run(settings, url))
    print(f"demo account: {account_id} (owner {MANAGER}, team {TEAM})")
    print(f"  token:   kamplan token --sub {MANAGER} --role manager --team {TEAM}")
    for view in ("", "/dossier", "/buying-center", "/buying-center.svg", "/timeline"):
        print(f"  GET /v1/accounts/{account_id}{view}")
    print("  GET /v1/pipeline    GET /v1/portfolio    GET /v1/plan-budgets    GET /v1/plan-reviews")
    print(f"  as the supervisor: kamplan token --sub {SUPERVISOR} --role supervisor --team {TEAM}")


def _read_schema(settings: Settings, args: argparse.Namespace) -> int:
    from service.db.migrate import migrate
    from service.db.server import database_url
    from service.operations import read_schema

    with database_url(settings) as url:
        asyncio.run(migrate(url))
        text = asyncio.run(read_schema(settings, url))
    return _write_or_check(args.output, text, "kamplan read-schema", args.check)


def _write_or_check(path: Path, text: str, command: str, check: bool) -> int:
    if check:
        if not path.exists():
            print(f"{path} is missing: run `{command}`", file=sys.stderr)
            return 1
        if path.read_text() != text:
            print(f"{path} is stale: run `{command}`", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {path}")
    return 0


def _token(settings: Settings, args: argparse.Namespace) -> None:
    from service.tokens import TokenKeys

    keys = TokenKeys.from_settings(settings)
    print(keys.mint(args.sub, Role(args.role), args.team, timedelta(hours=args.ttl_hours)))


def _openapi(settings: Settings, args: argparse.Namespace) -> int:
    from service.openapi import render

    return _write_or_check(args.output, render(settings), "kamplan openapi", args.check)


if __name__ == "__main__":
    sys.exit(main())
