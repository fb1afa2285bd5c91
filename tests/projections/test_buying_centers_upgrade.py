"""An upgrade to the buying_centers version with retired_roles: the live generation an older process built has no such
column, so the new code builds its own beside it rather than writing rows of the new shape into the old tables."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Sequence

import asyncpg

from service.commands.aggregates import buying_center_stream, encode
from service.domain.buying_center.events import MemberAdded
from service.events import NO_STREAM, RecordedEvent
from service.projections.buying_centers import MEMBERS, RELATIONSHIPS, ROLE_SET, BuyingCenters
from service.projections.model import TableNames
from service.projections.runner import ProjectionRunner
from tests.conftest import IsolatedDb, caught_up
from tests.support.generations import generations


class Version5(BuyingCenters):
    """buying_centers as version 5 ran it: no retired_roles column, no role sets read. It only makes the live
    generation's tables here (the log is empty while it runs)."""

    version = 5
    tables = (dataclasses.replace(MEMBERS, columns=MEMBERS.columns[:-1]), RELATIONSHIPS)
    event_types = BuyingCenters.event_types - {ROLE_SET}

    async def refold(
        self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent], through: int
    ) -> None:
        raise AssertionError("the older process reads no event here")


async def _run_until_caught_up(db: IsolatedDb, runner: ProjectionRunner) -> None:
    task = asyncio.create_task(runner.run())
    try:
        for _ in range(200):  # its live generation made, on an empty log
            if await generations(db):
                break
            await asyncio.sleep(0.05)
        await caught_up(db, ["buying_centers"], seconds=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_new_version_reads_retired_roles_into_a_generation_of_its_own(isolated: IsolatedDb) -> None:
    db = isolated
    await _run_until_caught_up(db, ProjectionRunner(db.store, [Version5(db.store.upcasters)], poll_seconds=0.1))
    async with db.pool.acquire() as conn:
        assert "retired_roles" not in {r["attname"] for r in await conn.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'read.buying_center_members'::regclass")}  # fmt: skip

    account = str(uuid.uuid4())
    added = MemberAdded(account_id=account, member_id="m1", name="N", position="", department="", organisation="",
                        contacts=None, notes=None, roles=frozenset({"user"}), influence=3, attitude=0,
                        attitude_to_competitor=0)  # fmt: skip
    await db.store.append(buying_center_stream(account), "buying_center", NO_STREAM, [encode(added)], {"actor": "t"})
    await _run_until_caught_up(db, ProjectionRunner(db.store, [BuyingCenters(db.store.upcasters)], poll_seconds=0.1))
    async with db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT member_id, roles, retired_roles FROM read.buying_center_members")
    assert [tuple(r) for r in rows] == [("m1", ["user"], [])]
