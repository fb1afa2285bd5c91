"""The `kamplan` command line: its commands, their options and their help texts."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.cli import commands
from service.domain.actors import Role

OPENAPI_PATH = Path("openapi/openapi.json")
READ_SCHEMA_PATH = Path("docs/read-schema.md")


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kamplan",
        description="Event-sourced account planning for key account managers. Configuration comes from "
        "environment variables (DATABASE_URL, KAMPLAN_*); see the README. Without DATABASE_URL an "
        "embedded PostgreSQL runs in $KAMPLAN_PG_DATA (default: pg in $KAMPLAN_DATA_DIR, ./var).",
    )
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND", dest="command")

    serve = sub.add_parser(
        "serve",
        help="migrate, then serve the API",
        description=(
            "Migrate the database to the newest schema, then serve the HTTP API with uvicorn until interrupted. "
            "It also applies the projections and delivers the webhooks, unless KAMPLAN_PROJECTIONS=off or "
            "KAMPLAN_WEBHOOKS=off leaves them to `kamplan worker`s."
        ),
    )
    serve.add_argument("--host", help="interface to bind (default: KAMPLAN_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port to bind (default: KAMPLAN_PORT or 8000)")
    serve.set_defaults(run=commands.serve)

    migrate = sub.add_parser(
        "migrate",
        help="run migrations to head",
        description="Apply every pending alembic migration in one transaction; safe to run from several processes. "
        "Then rebuild, concurrently (appends go on), any index kamplan's migrations build concurrently that is found "
        "invalid or missing (events_purchase_documents), logging when it starts and how long it took; exits 1 with a "
        "line saying so if that fails, and the next run (or serve) tries again.",
    )
    migrate.set_defaults(run=commands.migrate)

    verify = sub.add_parser(
        "verify",
        help="check every stream's hash chain",
        description=(
            "Recompute the hash chain of every stream and report the first broken event of each. "
            "Exits 1 when any stream is broken, or when the stream given with --stream does not exist."
        ),
    )
    verify.add_argument("--stream", help="check only this stream")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.set_defaults(run=commands.verify)

    token = sub.add_parser(
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
    token.set_defaults(run=commands.token)

    worker = sub.add_parser(
        "worker",
        help="apply projections and deliver webhooks (no HTTP)",
        description="Apply the projections from the event log and deliver webhooks until interrupted. Run several "
        "for availability: each projection and each webhook subscription is served by one process at a time, and "
        "another takes over when it dies. Set KAMPLAN_PROJECTIONS=off and KAMPLAN_WEBHOOKS=off on `serve` when "
        "workers do this.",
    )
    worker.set_defaults(run=commands.worker)

    rebuild = sub.add_parser(
        "rebuild",
        help="rebuild a projection beside the live one",
        description="Build a new generation of the projection from position zero while the live one keeps "
        "serving, then switch to it atomically and drop the old tables. Shows progress (events done / total, "
        "rate). When another process builds it, follows that build (progress, and the server process holding its "
        "lease), and takes it over from its checkpoint once no process holds the lease any more; exits 1 if a process "
        "running a newer version "
        "of the projection gives the build up for its own, and refuses (exit 1) to rebuild a projection whose live or "
        "building generation is of a newer version than this code's.",
    )
    rebuild.add_argument(
        "name",
        help="the projection: audit_log, accounts, buying_centers, dossiers, opportunities, interactions, plans or "
        "purchases (or one from KAMPLAN_PROJECTION_MODULES); an unknown name is refused (exit 2)",
    )
    rebuild.set_defaults(run=commands.rebuild)

    demo = sub.add_parser(
        "demo",
        help="load two demo key accounts (a truck maker buying fuel filters, a valve wholesaler with a plan)",
        description="Load seed 004's story through the API: a truck maker with its dossier and buying-center "
        "map (engine-systems allies, the chassis department as a separate buying group, procurement, the "
        "technical director), a fuel-filter project carried from Entry to serial supply with its interactions, "
        "and a cross-sell of fuel-line components stalled at Finding an ally; and seed 001's wholesale buyer of "
        "valves and flanges with a three-year plan reviewed once and agreed. Safe to run twice: every step "
        "carries an Idempotency-Key.",
    )
    demo.set_defaults(run=commands.demo)

    read_schema = sub.add_parser(
        "read-schema",
        help="write docs/read-schema.md",
        description="Document the read schema (the BI contract) from the database's catalog and comments. It "
        "migrates the database first and creates the tables of any projection that has none, so run it against a "
        "development database (the embedded one when DATABASE_URL is unset), not production: where a projection's "
        "live tables are of an older version than this code, it documents those.",
    )
    read_schema.add_argument("--output", type=Path, default=READ_SCHEMA_PATH, help=f"default {READ_SCHEMA_PATH}")
    read_schema.add_argument(
        "--check", action="store_true", help="exit 1 if the file is stale or missing (writes nothing)"
    )
    read_schema.set_defaults(run=commands.read_schema)

    openapi = sub.add_parser(
        "openapi",
        help="write openapi/openapi.json",
        description=("Generate the OpenAPI document from the app (no database needed)."),
    )
    openapi.add_argument("--output", type=Path, default=OPENAPI_PATH, help=f"default {OPENAPI_PATH}")
    openapi.add_argument("--check", action="store_true", help="exit 1 if the file is stale or missing (writes nothing)")
    openapi.set_defaults(run=commands.openapi)
    return parser
