"""Which PostgreSQL to use: DATABASE_URL when set, otherwise the embedded one in the data directory."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import asyncpg

from service.config import Settings
from service.db.embedded import EmbeddedPostgres, ensure_database
from service.db.urls import asyncpg_dsn, redacted


class DatabaseUnreachable(Exception):
    """DATABASE_URL's server did not take a connection; the message names it, without the password."""


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """Yield the URL of kamplan's database, once it answers; an embedded server started here is stopped on exit."""
    if settings.database_url:
        asyncio.run(_connect_once(settings.database_url))
        yield settings.database_url
        return
    server = EmbeddedPostgres(settings.pg_data_dir)
    try:
        with _signals_held():
            admin_url = server.start()
        yield asyncio.run(ensure_database(admin_url))
    finally:
        with _signals_ignored():
            server.stop()  # nothing to let go of when it did not start


@contextmanager
def _signals_held() -> Iterator[None]:
    """Starting the server is not cut short: a SIGTERM or Ctrl-C meanwhile is delivered once the start is over.
    Raised inside `pg_ctl start`, it left PostgreSQL running with no handle recorded and nobody to stop it; once
    the start is over, the way out lets go of the server like any other."""
    held: list[int] = []
    try:
        with _signals_handled(lambda signum, _: held.append(signum)):
            yield
    finally:
        if held:
            signal.raise_signal(held[0])  # to the handler the process had: SystemExit, or KeyboardInterrupt


def _signals_ignored() -> AbstractContextManager[None]:
    """Letting go of the server is the way out; a SIGTERM or Ctrl-C repeated meanwhile would cut it short (killing
    `pg_ctl stop` and leaving PostgreSQL running) instead of ending the process any sooner."""
    return _signals_handled(signal.SIG_IGN)


@contextmanager
def _signals_handled(handler: Any) -> Iterator[None]:
    """SIGTERM and SIGINT go to `handler` for the block, then to the handlers they had; only the main thread may
    set handlers, so in another one the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {signum: signal.signal(signum, handler) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, previous in before.items():
            signal.signal(signum, previous)


async def _connect_once(url: str) -> None:
    try:
        conn = await asyncpg.connect(asyncpg_dsn(url))
    # ValueError: a bad URL; OverflowError: a port beyond 65535, refused by the socket
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError, OverflowError) as error:
        reason = str(error) or type(error).__name__
        raise DatabaseUnreachable(f"cannot connect to {redacted(url)}: {reason}") from error
    await conn.close()
