"""asyncpg pools with the codecs and the restricted role every kamplan connection uses."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from service.db.urls import asyncpg_dsn

JSONB_VERSION = b"\x01"


def encode_jsonb(value: Any) -> bytes:
    """Binary jsonb: a version byte then the JSON text; pre-encoded bytes pass through untouched."""
    if type(value) is bytes:
        return value
    return JSONB_VERSION + orjson.dumps(value)


def decode_jsonb(data: bytes) -> Any:
    return orjson.loads(data[1:])


async def init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=encode_jsonb, decoder=decode_jsonb, schema="pg_catalog", format="binary")


async def create_pool(
    url: str,
    *,
    role: str | None = None,
    min_size: int = 2,
    max_size: int = 20,
    idle_in_transaction_timeout_ms: int = 30_000,
) -> asyncpg.Pool:
    """A pool whose sessions run as `role` (set at connect, so a pool reset keeps it)."""
    settings = {
        "application_name": "kamplan",
        "idle_in_transaction_session_timeout": str(idle_in_transaction_timeout_ms),
        # the event store's checks read a fresh snapshot after waiting for their locks (events/sql.py): a server,
        # database or role default of repeatable read would hand them the snapshot taken before the wait
        "default_transaction_isolation": "read committed",
    }
    if role:
        settings["role"] = role
    pool = await asyncpg.create_pool(
        asyncpg_dsn(url),
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        server_settings=settings,
    )
    assert pool is not None
    return pool
