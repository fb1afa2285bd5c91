"""Which PostgreSQL to use: DATABASE_URL when set, otherwise the embedded one in the data directory."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from service.config import Settings
from service.db.embedded import EmbeddedPostgres, ensure_database


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """Yield the URL of kamplan's database; an embedded server started here is stopped on exit."""
    if settings.database_url:
        yield settings.database_url
        return
    server = EmbeddedPostgres(settings.pg_data_dir)
    admin_url = server.start()
    try:
        yield asyncio.run(ensure_database(admin_url))
    finally:
        server.stop()
