"""`kamplan migrate`: alembic to head, in one transaction (but for a migration's autocommit blocks), serialised
between processes by an advisory lock held by the session; then the repair of an index built concurrently that was
left invalid (service/db/indexes.py), under the same lock."""

from __future__ import annotations

import asyncio
import logging
from importlib.resources import files

import asyncpg
from alembic import command, op
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.util import await_only

from service.db.indexes import repair_indexes
from service.db.urls import asyncpg_dsn

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x6B616D706C616E  # "kamplan": one migrator at a time per database
LOCK_POLL_SECONDS = 0.2


def run_script(sql: str) -> None:
    """Run a multi-statement SQL script inside the migration's transaction.

    SQLAlchemy prepares every statement, and PostgreSQL refuses several commands in a prepared
    statement; asyncpg's own `execute` uses the simple protocol, which takes a whole script.
    """
    driver = op.get_bind().connection.driver_connection
    await_only(driver.execute(sql))


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("service.migrations")))
    return config


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to the newest schema (or to `revision`, for tests of a migration's effect on
    data that an older schema left); safe to call from several processes at once."""
    # asyncpg connects itself, from the DSN the service's pool uses: SQLAlchemy's dialect would turn the URL's query
    # (libpq's `sslmode=require`, which managed servers ask for) into a keyword asyncpg.connect does not take
    engine = create_async_engine(
        "postgresql+asyncpg://", async_creator=lambda: asyncpg.connect(asyncpg_dsn(url)), poolclass=NullPool
    )
    try:
        async with engine.connect() as conn:
            # held by the session, as a migration's autocommit block commits the transaction; polled, as a migrator
            # waiting in pg_advisory_lock would hold a snapshot that CREATE INDEX CONCURRENTLY waits for: a deadlock
            while not (await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK})).scalar():
                await conn.commit()
                await asyncio.sleep(LOCK_POLL_SECONDS)
            await conn.commit()
            config = alembic_config()
            await conn.run_sync(_upgrade, config, revision)  # env.py begins and commits the transaction
            if revision == "head":  # under the lock still, outside any transaction, as the migrations build them
                await conn.commit()
                driver = (await conn.get_raw_connection()).driver_connection
                await repair_indexes(driver, ScriptDirectory.from_config(config))
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            await conn.commit()
    finally:
        await engine.dispose()
    log.info("database migrated to %s", revision)
