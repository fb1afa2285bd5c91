"""The log cannot be changed: the database refuses UPDATE, DELETE and TRUNCATE, whoever asks."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from service.events import NO_STREAM, EventStore, NewEvent

CHANGES = [
    "UPDATE events SET data = '{\"forged\": true}' WHERE stream_id = $1",
    "DELETE FROM events WHERE stream_id = $1",
    "TRUNCATE events",
]


@pytest.fixture
async def stream(store: EventStore) -> str:
    stream_id = f"immutable-{uuid.uuid4()}"
    await store.append(stream_id, "t", NO_STREAM, [NewEvent(event_type="Happened", data={"n": 1})])
    return stream_id


@pytest.mark.parametrize("statement", CHANGES)
async def test_the_trigger_refuses_changes_even_to_the_superuser(
    superuser: asyncpg.Connection, stream: str, statement: str, store: EventStore
) -> None:
    args = (stream,) if "$1" in statement else ()
    with pytest.raises(asyncpg.RestrictViolationError, match="events are immutable"):
        await superuser.execute(statement, *args)
    assert [e.data for e in await store.read_stream(stream)] == [{"n": 1}]


@pytest.mark.parametrize("statement", CHANGES)
async def test_the_application_role_has_no_privilege_to_change_events(
    pool: asyncpg.Pool, stream: str, statement: str, store: EventStore
) -> None:
    args = (stream,) if "$1" in statement else ()
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT current_user") == "kamplan_app"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(statement, *args)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("ALTER TABLE events DISABLE TRIGGER events_immutable")
    assert [e.data for e in await store.read_stream(stream)] == [{"n": 1}]
