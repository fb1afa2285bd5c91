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
    try:
        pool = await asyncpg.create_pool(
            asyncpg_dsn(url),
            min_size=min_size,
            max_size=max_size,
            init=init_connection,
            server_settings=settings,
        )
    except asyncpg.InvalidParameterValueError as error:
        # the same SQLSTATE refuses another setting (a timeout past its range): only the role's refusal names it
        if not role or str(error) != f'role "{role}" does not exist':
            raise
        raise RoleRefused(role, error.sqlstate) from error
    assert pool is not None
    return pool


class RoleRefused(Exception):
    """The server has no role of that name (a role it has but the user may not take is a privilege refused, which
    says so itself). Our own text: the foreign one is withheld where errors of work on stored events are logged, and
    it would then name only its class."""

    def __init__(self, role: str, sqlstate: str) -> None:
        self.role = role
        super().__init__(
            f"KAMPLAN_DB_ROLE {role!r} was refused by the server (SQLSTATE {sqlstate}): no role of that name; the "
            "migrations create kamplan_app, the default: name a role that exists, or none (empty) to stay the login "
            "user"
        )
