"""`kamplan verify`: check the hash chains with a short-lived pool."""

from __future__ import annotations

import logging
import sys

from service.config import Settings
from service.db.pool import create_pool
from service.events import EventStore, VerifyReport

log = logging.getLogger(__name__)


async def run_verify(settings: Settings, database_url: str, stream_id: str | None = None) -> VerifyReport:
    pool = await create_pool(database_url, role=settings.db_role or None, min_size=1, max_size=2)
    try:
        store = EventStore(pool)
        log.info("verifying hash chains", extra={"stream_id": stream_id, "events": await store.head_position()})
        return await store.verify(stream_id, progress=lambda n: print(f"... {n:,} events checked", file=sys.stderr))
    finally:
        await pool.close()
