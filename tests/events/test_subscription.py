"""Live subscription: every committed event exactly once, in position order, even when commits interleave."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncGenerator
from typing import Any

import asyncpg
import pytest
from prometheus_client import REGISTRY

from service.events import ANY, Batch, EventStore, NewEvent, RecordedEvent, StreamAppend, envelopes_of, events_of
from service.events.encoding import encode_unit
from service.events.envelope import ENVELOPE_FIELDS, ENVELOPE_METADATA
from service.events.subscription import StallWatch
from service.events.writer import append_on
from tests.conftest import IsolatedDb
from tests.support.held import held_below_the_head

WRITERS = 8
EVENTS_PER_WRITER = 500


async def _collect(store: EventStore, after: int, until: int, name: str, out: list[RecordedEvent]) -> None:
    async with contextlib.aclosing(store.subscribe(after, batch_size=100, name=name)) as batches:
        async for batch in batches:
            out.extend(batch)
            if len(out) >= until:
                return


def _unit(store: EventStore, stream: str, n: int):
    appends = [
        StreamAppend(
            stream_id=stream, stream_type="t", expected_version=ANY, events=[NewEvent(event_type="E", data={"n": n})]
        )
    ]
    return encode_unit(appends, {}, store.upcasters)


async def _slow_transactions(db: IsolatedDb, writer: int, count: int) -> int:
    """Appends that draw their position, then wait before committing; one in ten rolls back."""
    committed = 0
    rng = random.Random(writer)
    async with db.pool.acquire() as conn:
        while committed < count:
            tx = conn.transaction()
            await tx.start()
            await append_on(conn, _unit(db.store, f"slow-{writer}", committed))
            await asyncio.sleep(rng.random() * 0.004)
            if rng.random() < 0.1:
                await tx.rollback()
            else:
                await tx.commit()
                committed += 1
    return committed


async def _fast_appends(db: IsolatedDb, writer: int, count: int) -> int:
    for n in range(count):
        await db.store.append(f"fast-{writer}", "t", ANY, [NewEvent(event_type="E", data={"n": n})])
    return count


async def test_a_live_reader_sees_every_event_once_in_order_under_concurrent_writers(isolated: IsolatedDb) -> None:
    total = WRITERS * EVENTS_PER_WRITER
    received: list[RecordedEvent] = []
    reader = asyncio.create_task(_collect(isolated.store, 0, total, "ordering-test", received))
    writers = [(_slow_transactions if w % 2 else _fast_appends)(isolated, w, EVENTS_PER_WRITER) for w in range(WRITERS)]
    assert sum(await asyncio.gather(*writers)) == total
    await asyncio.wait_for(reader, timeout=60)

    async with isolated.pool.acquire() as conn:
        committed = [r["position"] for r in await conn.fetch("SELECT position FROM events ORDER BY position")]
    positions = [e.position for e in received]
    assert len(committed) == total
    assert positions == committed  # each committed event, once, in increasing position
    assert len(set(e.event_id for e in received)) == total


async def test_an_open_transaction_stalls_the_reader_visibly_and_it_skips_nothing(
    isolated: IsolatedDb, caplog: pytest.LogCaptureFixture
) -> None:
    store = isolated.store
    start = await store.head_position()
    received: list[RecordedEvent] = []
    reader = asyncio.create_task(_collect(store, start, 21, "stall-test", received))

    try:  # however this test ends, the reader must not outlive it
        async with held_below_the_head(isolated, committed_after=20) as held:
            with caplog.at_level(logging.WARNING, logger="service.events.subscription"):
                await asyncio.sleep(1.6)
                assert received == []  # waiting, not skipping ahead of the open transaction
                stalled = REGISTRY.get_sample_value("kamplan_subscription_stall_seconds", {"subscriber": "stall-test"})
                assert stalled is not None
                assert stalled > 1.0
            [line] = [r for r in caplog.records if "held back" in r.getMessage()]
            assert line.blocker["age_seconds"] >= 1.0
            assert line.blocker["pid"] == held.pid

            await held.transaction.commit()
    except BaseException:
        reader.cancel()
        raise
    await asyncio.wait_for(reader, timeout=10)
    assert received[0].position == held.position
    assert [e.position for e in received] == sorted(e.position for e in received)
    assert [e.stream_id for e in received] == ["held"] + ["after"] * 20
    assert REGISTRY.get_sample_value("kamplan_subscription_stall_seconds", {"subscriber": "stall-test"}) == 0


async def test_read_all_returns_final_events_in_position_order(isolated: IsolatedDb) -> None:
    for i in range(5):
        await isolated.store.append(f"s-{i}", "t", ANY, [NewEvent(event_type="E", data={"i": i})] * 1)
    first = await isolated.store.read_all(0, limit=3)
    rest = await isolated.store.read_all(first[-1].position, limit=10)
    assert [e.data["i"] for e in first + rest] == [0, 1, 2, 3, 4]


async def _until_idle(batches: AsyncGenerator[Batch[Any], None]) -> list[Batch[Any]]:
    """The batches a follower gets up to and including the first announcement that it waits (through unchanged)."""
    got: list[Batch[Any]] = []
    async with asyncio.timeout(10), contextlib.aclosing(batches):
        async for batch in batches:
            got.append(batch)
            if not batch.events and len(got) > 1 and batch.through == got[-2].through:
                return got
    raise AssertionError("the subscription ended")


async def test_an_envelope_reader_gets_every_event_without_its_payload(isolated: IsolatedDb) -> None:
    metadata = {"actor": "kam", "source": 7, "custom": "not an envelope field"}
    for i in range(3):
        await isolated.store.append(f"env-{i}", "t", ANY, [NewEvent(event_type="E", data={"i": i})], metadata)
    full = [
        e for b in await _until_idle(isolated.store.follow(0, events_of(isolated.store.upcasters))) for e in b.events
    ]
    bare = [e for b in await _until_idle(isolated.store.follow(0, envelopes_of())) for e in b.events]
    assert [e.data for e in full] == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert full[0].metadata == metadata
    standard = dict.fromkeys(ENVELOPE_METADATA) | {"actor": "kam", "source": "7"}  # as text, ready for a text column
    assert [e.metadata for e in bare] == [standard] * 3
    envelope = ("position", "event_id", "stream_id", "stream_type", "stream_version", "event_type")
    envelope += ("occurred_at", "recorded_at")
    assert [[getattr(e, f) for f in envelope] for e in bare] == [[getattr(e, f) for f in envelope] for e in full]
    # Its items are ENVELOPE_FIELDS in order, which is what the audit log writes out unchanged.
    assert [tuple(e) for e in bare] == [tuple(getattr(e, f) for f in envelope[:6]) + tuple(standard.values())
                                        + (e.occurred_at, e.recorded_at) for e in full]  # fmt: skip
    assert [list(e.keys()) for e in bare] == [list(ENVELOPE_FIELDS)] * 3


async def test_a_reader_of_some_types_gets_only_those_and_still_learns_how_far_it_read(isolated: IsolatedDb) -> None:
    types = ["A", "B", "B", "C", "C", "C", "A", "C"]  # positions 1..8: the log ends with a type nobody asked for
    for i, event_type in enumerate(types):
        await isolated.store.append(f"typed-{i}", "t", ANY, [NewEvent(event_type=event_type, data={"i": i})])
    for read in (events_of(isolated.store.upcasters, {"A", "B"}), envelopes_of({"A", "B"})):
        batches = await _until_idle(isolated.store.follow(0, read, batch_size=3))
        # three rows per read: [A B B] [C C C] [A C] then idle; the middle read has no event but moves on
        assert [[e.position for e in b.events] for b in batches] == [[1, 2, 3], [], [7], []]
        assert [(b.through, b.full) for b in batches] == [(3, True), (6, True), (8, False), (8, False)]
    async with isolated.store.pool.acquire() as conn:  # the events it does return are whole
        only_a = await events_of(isolated.store.upcasters, {"A"})(conn, 0, 8, 10)
    assert [(e.event_type, e.data) for e in only_a.events] == [("A", {"i": 0}), ("A", {"i": 6})]
    assert (only_a.through, only_a.full) == (8, False)


async def test_the_stall_warning_names_the_blocking_session_but_not_its_query(
    isolated: IsolatedDb, caplog: pytest.LogCaptureFixture
) -> None:
    """The warning carried the first 200 characters of the blocker's statement: whatever another session of the server
    had written there (a person's name, a password) went into kamplan's logs."""
    other = await isolated.pool.acquire()
    pid = other.get_server_pid()
    try:
        async with other.transaction():
            await other.fetchval("SELECT txid_current(), 'Alice Smith alice@example.com pw=hunter2'")
            watch = StallWatch("leak-test")
            watch.since = time.monotonic() - 5.0  # held back for a while already
            with caplog.at_level(logging.WARNING, logger="service.events.subscription"):
                await watch.waiting(isolated.pool, 0)
    finally:
        await isolated.pool.release(other)
    [line] = [r for r in caplog.records if "held back" in r.getMessage()]
    assert (line.blocker["pid"], line.blocker["state"]) == (pid, "idle in transaction")
    assert line.blocker["database"] == await isolated.pool.fetchval("SELECT current_database()")
    assert "hunter2" not in repr(line.__dict__)


async def test_a_subscription_after_the_listen_connection_was_cut_follows_the_log_again(isolated: IsolatedDb) -> None:
    """When the server ended the LISTEN connection, asyncpg took it back into the pool, where every call on it
    raises: each later subscription failed at once, so projections and webhooks stopped for good (and the
    store's close failed too), while `/readyz` still said ready."""
    first = await isolated.store.append("cut-1", "t", ANY, [NewEvent(event_type="E", data={})])
    seen: list[RecordedEvent] = []
    await asyncio.wait_for(_collect(isolated.store, 0, 1, "before-the-cut", seen), 10)
    admin = await asyncpg.connect(isolated.url)
    try:  # every session of the database but this one, as a restart or a failover would
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    await asyncio.sleep(0.2)
    second = await isolated.store.append("cut-2", "t", ANY, [NewEvent(event_type="E", data={})])
    after: list[RecordedEvent] = []
    await asyncio.wait_for(_collect(isolated.store, first.position, 1, "after-the-cut", after), 10)
    assert [e.position for e in after] == [second.position]
