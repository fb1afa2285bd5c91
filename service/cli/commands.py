"""What each `kamplan` command does, once its arguments are parsed and the settings read."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from service.config import Settings
from service.domain.actors import Role

STOPPED = 128 + signal.SIGTERM  # the shell's code for a process ended by SIGTERM: stopped, not done


@contextmanager
def migrated(settings: Settings, *, strict: bool = False) -> Iterator[str]:
    """The database's URL, migrated to the newest schema: an embedded server is started (or joined) for the block.

    An index the migrations build concurrently that could not be built again (service/db/indexes.py) fails only
    `kamplan migrate` (`strict`): the schema is at its newest all the same, and without the index its lookups scan the
    table, slower but right, so a service does not stay down for it (a statement timeout on a large log would fail the
    build at every start)."""
    from service.db.indexes import IndexRebuildFailed
    from service.db.migrate import migrate
    from service.db.server import database_url

    with database_url(settings) as url:
        try:
            asyncio.run(migrate(url))
        except IndexRebuildFailed as error:
            if strict:
                raise
            logging.getLogger("kamplan").error("%s; going on without it", error)
        yield url


UVICORN_STARTUP_FAILURE = 3  # uvicorn's exit code when it could not start serving


def serve(settings: Settings, args: argparse.Namespace) -> int | None:
    import uvicorn

    from service.heap import freeze_startup_heap
    from service.main import create_app

    with migrated(settings) as url:
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
            if stop.code == UVICORN_STARTUP_FAILURE:  # a port in use, a start-up that failed: its log says why
                return 1
            if stop.code != STOPPED:
                raise
            # uvicorn shut down gracefully on SIGTERM, then raised it again: the usual end of a service
    return None


def migrate(settings: Settings, args: argparse.Namespace) -> None:
    with migrated(settings, strict=True):
        pass  # an embedded server is let go of before the command says it is done
    print("database is at the newest schema")


def verify(settings: Settings, args: argparse.Namespace) -> int:
    import asyncpg

    from service.db.pool import RoleRefused
    from service.db.server import database_url
    from service.db.urls import redacted
    from service.verify import run_verify

    with database_url(settings) as url:
        try:
            report = asyncio.run(run_verify(settings, url, args.stream))
        except asyncpg.UndefinedTableError as error:  # verify changes nothing, so it does not migrate either
            print(
                f"kamplan: no event log to verify in {redacted(url)}: {error} (`kamplan migrate` creates it)",
                file=sys.stderr,
            )
            return 1
        except RoleRefused as error:  # the role set at connect: the default is missing from a cluster never migrated
            print(
                f"kamplan: no event log to verify in {redacted(url)}: the server has no role kamplan_app yet (`kamplan "
                "migrate` creates the event log and the role; KAMPLAN_DB_ROLE names the role kamplan uses)"
                if error.role == "kamplan_app"
                else f"kamplan: {error}",
                file=sys.stderr,
            )
            return 1
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


def worker(settings: Settings, args: argparse.Namespace) -> None:
    from service.heap import freeze_startup_heap
    from service.operations import work

    with migrated(settings) as url:
        freeze_startup_heap()
        asyncio.run(work(settings, url))


def rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from service.commands.aggregates import UPCASTERS
    from service.operations import rebuild
    from service.projections import registry

    try:
        registry.by_name(registry.load(settings.extra_projection_modules, UPCASTERS), args.name)
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return 2

    with migrated(settings) as url:
        return asyncio.run(rebuild(settings, url, args.name))


def _cannot_mint(settings: Settings) -> bool:
    """RS256 verifies with the public key alone, but `token` and `demo` sign: without the private key they would fail
    with a traceback (the demo after starting and migrating the database), where a missing setting is one line."""
    if settings.jwt_algorithm == "RS256" and not settings.jwt_private_key:
        print(
            "kamplan: invalid setting KAMPLAN_JWT_PRIVATE_KEY: required to mint RS256 tokens (token, demo)",
            file=sys.stderr,
        )
        return True
    return False


def demo(settings: Settings, args: argparse.Namespace) -> int | None:
    from service.demo.client import MANAGER, SUPERVISOR, TEAM
    from service.demo.run import run

    if _cannot_mint(settings):
        return 2
    with migrated(settings) as url:
        account_id = asyncio.run(run(settings, url))
    print(f"demo account: {account_id} (owner {MANAGER}, team {TEAM})")
    print(f"  token:   kamplan token --sub {MANAGER} --role manager --team {TEAM}")
    for view in ("", "/dossier", "/buying-center", "/buying-center.svg", "/timeline"):
        print(f"  GET /v1/accounts/{account_id}{view}")
    print("  GET /v1/pipeline    GET /v1/portfolio    GET /v1/plan-budgets    GET /v1/plan-reviews")
    print(f"  as the supervisor: kamplan token --sub {SUPERVISOR} --role supervisor --team {TEAM}")


def read_schema(settings: Settings, args: argparse.Namespace) -> int:
    from service.operations import read_schema

    with migrated(settings) as url:
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


def token(settings: Settings, args: argparse.Namespace) -> int | None:
    from service.tokens import TokenKeys

    if _cannot_mint(settings):
        return 2
    keys = TokenKeys.from_settings(settings)
    print(keys.mint(args.sub, Role(args.role), args.team, timedelta(hours=args.ttl_hours)))


def openapi(settings: Settings, args: argparse.Namespace) -> int:
    from service.openapi import render

    return _write_or_check(args.output, render(settings), "kamplan openapi", args.check)
