"""An append that drew a position and has not committed, with committed appends above it: the situation every
gap-free reader must wait out (positions are drawn before commit, so commits land out of position order)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from service.db.pool import init_connection
from service.events import ANY, NewEvent, StreamAppend
from service.events.encoding import encode_unit
from service.events.writer import append_on
from tests.conftest import IsolatedDb


@dataclass(frozen=True)
class Held:
    """The open transaction, the position it holds, and the backend it runs in (pid)."""

    transaction: asyncpg.transaction.Transaction
    position: int
    pid: int


@asynccontextmanager
async def held_below_the_head(db: IsolatedDb, *, committed_after: int = 3) -> AsyncIterator[Held]:
    """One event on stream `held` left uncommitted, then `committed_after` events on stream `after` committed.
    Rolled back on the way out unless committed: an open transaction outliving a test holds back every reader."""
    blocker = await asyncpg.connect(db.url)
    try:
        await init_connection(blocker)
        tx = blocker.transaction()
        await tx.start()
        event = NewEvent(event_type="E", data={})
        appends = [StreamAppend(stream_id="held", stream_type="t", expected_version=ANY, events=[event])]
        held = await append_on(blocker, encode_unit(appends, {}, db.store.upcasters))
        for n in range(committed_after):
            await db.store.append("after", "t", ANY, [NewEvent(event_type="E", data={"n": n})])
        yield Held(tx, held.position, blocker.get_server_pid())
    finally:
        await blocker.close()
