"""A forget reaches every generation of a projection.

The forget is an event in the log (`SubjectForgotten`), so each generation takes it when its own runner gets there:
a generation newer code builds during a rolling upgrade, and one stuck on a failing batch, as much as the live one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import httpx

from service.config import Settings
from service.domain.actors import Role
from service.events import RecordedEvent
from service.main import create_app
from service.projections.buying_centers import BuyingCenters
from service.projections.model import TableNames
from service.projections.runner import ProjectionRunner
from tests.conftest import IsolatedDb, caught_up
from tests.support.webhooks import eventually

MARKER = "Alice Secret-4711"


@contextlib.asynccontextmanager
async def _client(db: IsolatedDb, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"projections": "off"}), db.url)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kamplan") as client,
    ):
        yield client


async def _names(db: IsolatedDb, table: str = "buying_center_members") -> list[str | None]:
    async with db.pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT name FROM read.{table} ORDER BY name NULLS FIRST")
    return [r["name"] for r in rows]


async def _generations(db: IsolatedDb) -> list[tuple]:
    async with db.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT generation, version, status, position, failure IS NOT NULL AS failing FROM projection_generations"
            " WHERE name = 'buying_centers' ORDER BY generation"
        )
    return [tuple(r) for r in rows]


class Stuck(BuyingCenters):
    """Fails on every batch from `fail_from` on until mended: a projection stuck (`failure`) until a fix is deployed."""

    fail_from: int | None = None

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent]) -> None:
        if Stuck.fail_from is not None and events[-1].position >= Stuck.fail_from:
            raise KeyError("stuck")
        await super().apply(conn, tables, events)


async def test_a_stuck_generation_forgets_once_it_recovers(
    isolated: IsolatedDb, settings: Settings, auth, running
) -> None:
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    Stuck.fail_from = None
    async with _client(isolated, settings) as client:
        account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
        members = f"/v1/accounts/{account['account_id']}/buying-center/members"
        alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
        runner = running([Stuck(isolated.store.upcasters)], batch_size=1)
        runner.poll_seconds = 0.02
        Stuck.fail_from = await caught_up(isolated, ["buying_centers"]) + 1
        assert (await client.post(members, json={"name": "Bob"}, headers=kam)).status_code == 201
        await eventually(lambda: _generations(isolated), lambda g: g[0][-1])  # failing on Bob's batch
        forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
        assert forgot.status_code == 200, forgot.text
        await asyncio.sleep(0.2)
        assert await _names(isolated) == [MARKER]  # stuck behind Bob: the forget waits with the rest
        Stuck.fail_from = None  # the fix is deployed
        await caught_up(isolated, ["buying_centers"])
    assert await _names(isolated) == [None, "Bob"]
    assert not (await _generations(isolated))[0][-1]


class NewerCode(BuyingCenters):
    """The next version of the projection."""

    version = BuyingCenters.version + 1


class HeldRunner(ProjectionRunner):
    """Holds every batch past `hold_after` until `go` is set, outside its transaction: the newer code's process
    paused (a rolling upgrade halted, say) with a batch it read in hand."""

    def __init__(self, *args: Any, hold_after: int, **options: Any) -> None:
        super().__init__(*args, **options)
        self.hold_after, self.go = hold_after, asyncio.Event()

    async def _apply_batch(self, projection: Any, generation: Any, lease: Any, names: Any, batch: Any) -> Any:
        if batch.events and batch.events[-1].position > self.hold_after:
            await self.go.wait()
        return await super()._apply_batch(projection, generation, lease, names, batch)


async def test_a_generation_newer_code_builds_forgets_once_it_catches_up_and_goes_live(
    isolated: IsolatedDb, settings: Settings, auth, running
) -> None:
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    async with _client(isolated, settings) as client:
        account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
        members = f"/v1/accounts/{account['account_id']}/buying-center/members"
        alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
        hold_after = await isolated.store.head_position()
        assert (await client.post(members, json={"name": "Bob"}, headers=kam)).status_code == 201
        old = BuyingCenters(isolated.store.upcasters)
        running([old], batch_size=1)
        await caught_up(isolated, ["buying_centers"])  # the older code serves generation 1
        newer = HeldRunner(
            isolated.store, [NewerCode(isolated.store.upcasters)], hold_after=hold_after, poll_seconds=0.1,
            batch_size=1, build_batch_size=1,
        )  # fmt: skip
        newer_task = asyncio.create_task(newer.run())
        try:
            await _forget_while_newer_code_is_held(isolated, client, newer, alice, admin)
        finally:
            newer_task.cancel()
            await asyncio.gather(newer_task, return_exceptions=True)
    assert await _names(isolated) == [None, "Bob"]
    async with isolated.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM read.buying_center_members_g2 WHERE name = $1", MARKER) == 0


async def _forget_while_newer_code_is_held(
    isolated: IsolatedDb, client: httpx.AsyncClient, newer: HeldRunner, alice: str, admin: dict[str, str]
) -> None:
    building = await eventually(lambda: _generations(isolated), lambda g: len(g) == 2)
    assert building[1][:3] == (2, NewerCode.version, "building")
    await eventually(lambda: _names(isolated, "buying_center_members_g2"), lambda n: n == [MARKER])
    forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
    assert forgot.status_code == 200, forgot.text
    await caught_up(isolated, ["buying_centers"])
    assert await _names(isolated) == [None, "Bob"]  # the older code's live generation forgot her
    newer.go.set()  # the newer process goes on, with Bob's batch read before the forget
    await eventually(lambda: _generations(isolated), lambda g: [s for _, _, s, *_ in g] == ["retired", "live"])
    await caught_up(isolated, ["buying_centers"])
