"""Projection workers as separate processes: crash safety under SIGKILL, one applier at a time, take-over."""

from __future__ import annotations

import asyncio

from service.events import ANY, NewEvent
from service.projections.runner import ProjectionRunner
from tests.conftest import IsolatedDb, caught_up
from tests.projections.workers import start_worker
from tests.support.projections import Counter
from tests.support.tally import bumped


async def _append(db: IsolatedDb, streams: int, each: int) -> None:
    for s in range(streams):
        events = [NewEvent(event_type="Bumped", data=bumped(f"k{n % 3}")) for n in range(each)]
        await db.store.append(f"tally-{s}", "tally", ANY, events)


async def _checkpoint(db: IsolatedDb, name: str) -> int:
    async with db.pool.acquire() as conn:
        return (
            await conn.fetchval("SELECT position FROM projection_generations WHERE name = $1 AND status = 'live'", name)
            or 0
        )


async def _table(db: IsolatedDb, view: str, order: str) -> list[tuple]:
    async with db.pool.acquire() as conn:
        return [tuple(r) for r in await conn.fetch(f"SELECT * FROM read.{view} ORDER BY {order}")]


async def _inside_a_batch(db: IsolatedDb) -> None:
    """Wait until a worker has written a batch and not committed it (it sleeps inside the transaction)."""
    for _ in range(500):
        async with db.pool.acquire() as conn:
            if await conn.fetchval(
                """SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                   AND state = 'idle in transaction' AND query LIKE '%test_counter%applied + 1%'"""
            ):
                return
        await asyncio.sleep(0.01)
    raise AssertionError("no worker was seen inside a batch transaction")


async def _clean_replay(db: IsolatedDb, projection) -> None:
    """Build the projection again from position zero in a new generation and switch to it."""
    from service.projections import generations as gens
    from service.projections import sql

    async with db.pool.acquire() as conn:
        generation = await gens.start_rebuild(conn, projection)
    lease = await db.pool.acquire()
    assert await lease.fetchval(sql.TRY_LEASE, projection.name, generation.generation)
    await ProjectionRunner(db.store, [projection]).build(projection, generation, lease)


async def test_a_worker_killed_mid_batch_recovers_to_exactly_a_clean_replay(isolated: IsolatedDb) -> None:
    await _append(isolated, 20, 100)
    head = await isolated.store.head_position()
    slow = {"KAMPLAN_PROJECTION_BATCH_SIZE": "50", "KAMPLAN_TEST_SLOW_BATCH_SECONDS": "0.15"}
    for _ in range(3):  # kill it three times, each time in the middle of a batch transaction
        worker = start_worker(isolated.url, **slow)
        before = await _checkpoint(isolated, "test_counter")
        while await _checkpoint(isolated, "test_counter") <= before + 200:
            await asyncio.sleep(0.05)
            assert worker.alive(), worker.output()
        await _inside_a_batch(isolated)
        worker.kill()
        worker.output()
        position = await _checkpoint(isolated, "test_counter")
        assert position < head
        rows = await _table(isolated, "test_counter", "position")
        assert all(applied == 1 for _, _, applied in rows)
        assert max(p for _, p, _ in rows) == position  # what is applied is exactly what is checkpointed

    worker = start_worker(isolated.url)
    try:
        await caught_up(isolated, ["test_counter", "audit_log"], seconds=60)
    finally:
        worker.stop()
    recovered_counter = await _table(isolated, "test_counter", "position")
    recovered_audit = await _table(isolated, "audit_log", "position")
    assert len(recovered_counter) == 2000
    assert {applied for _, _, applied in recovered_counter} == {1}

    from service.projections.audit import AuditLog

    await _clean_replay(isolated, Counter())
    await _clean_replay(isolated, AuditLog())
    assert await _table(isolated, "test_counter", "position") == recovered_counter
    assert await _table(isolated, "audit_log", "position") == recovered_audit


async def test_two_workers_started_together_apply_each_event_once_and_one_takes_over(isolated: IsolatedDb) -> None:
    await _append(isolated, 10, 50)
    env = {"KAMPLAN_PROJECTION_BATCH_SIZE": "40", "KAMPLAN_TEST_SLOW_BATCH_SECONDS": "0.02"}
    first, second = start_worker(isolated.url, **env), start_worker(isolated.url, **env)
    try:
        for _ in range(5):  # keep writing while both run
            await _append(isolated, 4, 25)
            await asyncio.sleep(0.1)
        await caught_up(isolated, ["test_counter"], seconds=60)
        first.kill()  # whichever held the lease, the other must carry on
        await _append(isolated, 4, 25)
        await caught_up(isolated, ["test_counter"], seconds=60)
        second.kill()
        third = start_worker(isolated.url, **env)
        await _append(isolated, 2, 25)
        await caught_up(isolated, ["test_counter"], seconds=60)
        third.stop()
    finally:
        for worker in (first, second):
            if worker.alive():
                worker.kill()
            worker.output()
    rows = await _table(isolated, "test_counter", "position")
    assert len(rows) == 500 + 500 + 100 + 50
    assert {applied for _, _, applied in rows} == {1}
