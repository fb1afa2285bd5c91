"""The projection runtime in one process: exactly once, in order, checkpoint with the writes, retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import asyncpg
import pytest
from prometheus_client import REGISTRY

from service.events import ANY, NewEvent, RecordedEvent
from service.logs import JsonFormatter, TextFormatter
from service.projections import sql
from service.projections.audit import AuditLog
from service.projections.model import TableNames
from service.projections.runner import ProjectionRunner
from service.projections.status import projection_status
from tests.conftest import IsolatedDb, caught_up
from tests.support.projections import Counter, Tallies
from tests.support.tally import bumped
from tests.support.webhooks import eventually


async def _append(db: IsolatedDb, streams: int, each: int) -> None:
    for s in range(streams):
        await db.store.append(
            f"tally-{s}", "tally", ANY, [NewEvent(event_type="Bumped", data=bumped("k")) for _ in range(each)]
        )


async def test_every_event_is_applied_once_and_the_checkpoint_reaches_the_head(isolated: IsolatedDb, running) -> None:
    await _append(isolated, 5, 40)
    running([Counter(), AuditLog()], batch_size=37)
    head = await caught_up(isolated, ["test_counter", "audit_log"])
    async with isolated.pool.acquire() as conn:
        applied = await conn.fetch("SELECT applied, count(*) FROM read.test_counter GROUP BY applied")
        audit = await conn.fetchval("SELECT count(*) FROM read.audit_log")
        checkpoints = await conn.fetch("SELECT name, position, status FROM projection_generations ORDER BY name")
    assert [tuple(r) for r in applied] == [(1, 200)]
    assert audit == 200
    assert [tuple(r) for r in checkpoints] == [("audit_log", head, "live"), ("test_counter", head, "live")]


async def test_a_projection_sees_only_its_event_types_but_its_checkpoint_passes_every_event(
    isolated: IsolatedDb, running
) -> None:
    await _append(isolated, 2, 3)
    await isolated.store.append("other", "x", ANY, [NewEvent(event_type="Unrelated", data={})])
    running([Tallies()])
    head = await caught_up(isolated, ["test_tallies"])
    async with isolated.pool.acquire() as conn:
        rows = await conn.fetch("SELECT stream_id, key, count FROM read.test_tallies ORDER BY stream_id")
        position, applied = await conn.fetchrow(
            "SELECT position, events_applied FROM projection_generations WHERE name = 'test_tallies'"
        )
    assert [tuple(r) for r in rows] == [("tally-0", "k", 3), ("tally-1", "k", 3)]
    assert (position, applied) == (head, 6)


async def test_new_events_flow_in_live(isolated: IsolatedDb, running) -> None:
    running([Counter()])
    await caught_up(isolated, ["test_counter"])
    for n in range(3):
        await _append(isolated, 1, 10)
        await caught_up(isolated, ["test_counter"], seconds=5)
        async with isolated.pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM read.test_counter") == 10 * (n + 1)


class Flaky(Counter):
    """Fails on its first batches after writing them: the runner must roll the writes back and retry, without
    losing or repeating events (a batch committed despite the failure would count its events twice)."""

    failures = 2

    async def apply(self, conn, tables, events):
        await super().apply(conn, tables, events)
        if Flaky.failures:
            Flaky.failures -= 1
            raise RuntimeError("transient failure")


async def test_a_failing_batch_changes_nothing_and_is_retried(isolated: IsolatedDb, running) -> None:
    await _append(isolated, 3, 10)
    failed_before = REGISTRY.get_sample_value("kamplan_projection_failures_total", {"projection": "test_counter"})
    runner = running([Flaky()])
    runner.poll_seconds = 0.05
    await caught_up(isolated, ["test_counter"], seconds=20)
    failed = REGISTRY.get_sample_value("kamplan_projection_failures_total", {"projection": "test_counter"})
    assert failed - (failed_before or 0) == 2  # visible on /metrics, not only in the log
    async with isolated.pool.acquire() as conn:
        assert [tuple(r) for r in await conn.fetch("SELECT applied, count(*) FROM read.test_counter GROUP BY 1")] == [
            (1, 30)
        ]
    assert Flaky.failures == 0
    await asyncio.sleep(0)


class Poisoned(Counter):
    """Cannot apply an event of type "Poison" until `mended`: a batch that fails every time it is tried."""

    mended = False

    async def apply(self, conn, tables, events):
        if not Poisoned.mended and any(e.event_type == "Poison" for e in events):
            raise KeyError("amount")
        await super().apply(conn, tables, events)


SECRET = "Alice Secret-4711"


class QuotesItsInput(Counter):
    """Fails on a batch as a projection with a bug may: the database refuses a value of an event, quoting it."""

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            await conn.fetchval("SELECT $1::text::uuid", event.data["key"])


async def test_a_failing_generation_logs_what_failed_and_where_but_not_the_events_data(
    isolated: IsolatedDb, running, caplog: pytest.LogCaptureFixture
) -> None:
    await isolated.store.append("tally-1", "tally", ANY, [NewEvent(event_type="Bumped", data=bumped(SECRET))])
    caplog.set_level(logging.ERROR, logger="service.projections.runner")
    runner = running([QuotesItsInput()])
    runner.poll_seconds = 0.02
    failed = await eventually(
        lambda: asyncio.sleep(0, [r for r in caplog.records if r.name == "service.projections.runner"]), bool
    )
    for formatter in (JsonFormatter(), TextFormatter()):
        line = formatter.format(failed[0])
        assert SECRET not in line
        assert "InvalidTextRepresentationError" in line  # what failed
        assert "in apply" in line  # where: the frames
        assert "test_counter generation 1 failed on the events at positions" in line  # which events


def _failing_gauge() -> float | None:
    return REGISTRY.get_sample_value("kamplan_projection_failing", {"projection": "test_counter", "status": "live"})


async def test_a_failing_projection_is_reported_by_every_process_until_a_batch_commits(
    isolated: IsolatedDb, running
) -> None:
    """A batch that raised was only logged by the process holding the lease, and /readyz said ready everywhere."""
    Poisoned.mended = False
    await _append(isolated, 1, 4)  # two batches of two, then the poison alone
    await isolated.store.append("poison", "x", ANY, [NewEvent(event_type="Poison", data={})])
    poison = await isolated.store.head_position()
    runner = running([Poisoned()], batch_size=2)
    runner.poll_seconds = 0.02

    async def status() -> dict:
        entries = [e for e in await projection_status(isolated.pool, poison) if e["name"] == "test_counter"]
        return entries[0] if entries else {"position": None}  # until the runner has made its generation

    failing = await eventually(status, lambda e: e.get("failing", {}).get("attempts", 0) >= 2)
    assert failing["position"] == poison - 1  # the batches before it committed
    assert (failing["failing"]["error"], failing["failing"]["first_position"]) == ("KeyError", poison)
    assert failing["failing"]["last_position"] == poison
    assert failing["failing"]["since"] <= failing["failing"]["last_at"]
    assert _failing_gauge() == 1
    Poisoned.mended = True
    mended = await eventually(status, lambda e: e["position"] == poison)
    assert "failing" not in mended
    assert _failing_gauge() == 0


async def test_a_batch_committed_by_older_code_ends_a_recorded_failure(isolated: IsolatedDb, running) -> None:
    """Code from before migration 0015 moves the checkpoint without clearing `failure`: a rolling upgrade must not
    leave the projection reported failing after an older process applied its events."""
    await _append(isolated, 1, 1)
    running([Counter()])
    head = await caught_up(isolated, ["test_counter"])
    async with isolated.pool.acquire() as conn:
        await conn.execute(sql.RECORD_FAILURE, "test_counter", 1, "KeyError", head, head)
        [failing] = [e for e in await projection_status(isolated.pool, head) if e["name"] == "test_counter"]
        assert failing["failing"]["error"] == "KeyError"
        older_advance = "UPDATE projection_generations SET updated_at = now() WHERE name = 'test_counter'"
        await conn.execute(older_advance)  # what ADVANCE did before 0015
    [over] = [e for e in await projection_status(isolated.pool, head) if e["name"] == "test_counter"]
    assert "failing" not in over


async def test_the_failing_gauge_of_a_generation_that_left_that_status_is_not_left_at_1(isolated: IsolatedDb) -> None:
    """Found by review: a building generation read as failing, whose next batch committed and which went live before
    the next read, kept kamplan_projection_failing{status="building"} at 1 for as long as the process ran: no row was
    building any more to set it back, so an alert on it never ended."""
    runner = ProjectionRunner(isolated.store, [Counter()], poll_seconds=0.05)
    task = asyncio.create_task(runner.run())
    await _append(isolated, 1, 1)
    head = await caught_up(isolated, ["test_counter"])
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    building = {"projection": "test_counter", "status": "building"}
    async with isolated.pool.acquire() as conn:
        await conn.execute("UPDATE projection_generations SET status = 'building' WHERE name = 'test_counter'")
        await conn.execute(sql.RECORD_FAILURE, "test_counter", 1, "KeyError", head, head)
        await projection_status(isolated.pool, head)
        assert REGISTRY.get_sample_value("kamplan_projection_failing", building) == 1
        # a batch commits, and the generation goes live
        mended = "UPDATE projection_generations SET status = 'live', failure = NULL WHERE name = 'test_counter'"
        await conn.execute(mended)
    await projection_status(isolated.pool, head)
    assert not REGISTRY.get_sample_value("kamplan_projection_failing", building)
    assert _failing_gauge() == 0


async def test_the_lag_counts_the_events_a_stopped_projection_has_not_applied(isolated: IsolatedDb) -> None:
    """What /readyz and the lag gauges on /metrics report (service.projections.status)."""
    runner = ProjectionRunner(isolated.store, [Counter()], poll_seconds=0.05)
    task = asyncio.create_task(runner.run())
    await _append(isolated, 1, 3)
    caught = await caught_up(isolated, ["test_counter"])
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    [live] = [e for e in await projection_status(isolated.pool, caught) if e["name"] == "test_counter"]
    assert (live["position"], live["events_behind"], live["seconds_behind"]) == (caught, 0, 0.0)
    await _append(isolated, 2, 7)
    await asyncio.sleep(0.3)
    head = await isolated.store.head_position()
    [behind] = [e for e in await projection_status(isolated.pool, head) if e["name"] == "test_counter"]
    assert (behind["position"], behind["events_behind"]) == (caught, 14)
    assert 0.3 <= behind["seconds_behind"] < 30  # the age of the oldest event it has not applied
    assert REGISTRY.get_sample_value("kamplan_projection_lag_events", {"projection": "test_counter"}) == 14
    lag = REGISTRY.get_sample_value("kamplan_projection_lag_seconds", {"projection": "test_counter"})
    assert lag == behind["seconds_behind"]
