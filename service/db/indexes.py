"""The indexes kamplan's migrations build CONCURRENTLY, and their repair once `kamplan migrate` is at head: one found
invalid (an operator's DROP INDEX CONCURRENTLY cut short) or missing after its migration was recorded is built
again, concurrently, as the planner ignores an invalid index and its lookups would scan the table silently. A failed
REINDEX CONCURRENTLY leaves the index valid, and its invalid copy (NAME_ccnew) to the operator."""

from __future__ import annotations

import logging
import time

import asyncpg
from alembic.script import ScriptDirectory

from service.logs import error_line

log = logging.getLogger(__name__)

# each index a migration builds CONCURRENTLY, by the revision whose module's INDEX statement builds it: checked on
# every migrate, so only these, not every index of the database
CONCURRENT_INDEXES: dict[str, str] = {"events_purchase_documents": "0016"}

VALID = "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)"
DROP = 'DROP INDEX CONCURRENTLY IF EXISTS "{name}"'


class IndexRebuildFailed(Exception):
    """An index of CONCURRENT_INDEXES could not be built again: it stays invalid (or missing) until a later
    `kamplan migrate`, or `serve` as it starts, builds it."""


async def repair_indexes(conn: asyncpg.Connection, scripts: ScriptDirectory) -> None:
    """Build each of CONCURRENT_INDEXES that is invalid or missing again. `conn` holds the migration lock and no
    transaction: CONCURRENTLY runs outside one, and appends go on meanwhile."""
    for name, revision in CONCURRENT_INDEXES.items():
        valid = await conn.fetchval(VALID, name)
        if valid:
            continue
        what = f"{'building missing' if valid is None else 'rebuilding invalid'} index {name}"
        log.warning("%s concurrently; appends go on meanwhile", what, extra={"index": name})
        started = time.monotonic()
        try:
            await conn.execute(DROP.format(name=name))  # its name is taken, and appends still update it
            await conn.execute(scripts.get_revision(revision).module.INDEX)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            raise IndexRebuildFailed(
                f"{what} failed after {time.monotonic() - started:.1f} s ({error_line(error, event_data=True)}); "
                "until it is built, the lookups it serves scan the table: run `kamplan migrate` again (`serve` does "
                "as it starts)"
            ) from error
        seconds = time.monotonic() - started
        log.info("%s: done in %.1f s", what, seconds, extra={"index": name, "seconds": round(seconds, 1)})
