"""Group commit: appends that wait together share one statement, yet each gets its own result or failure."""

from __future__ import annotations

import asyncio

import asyncpg

from service.events import NO_STREAM, EventStore, StreamAppend, WrongExpectedVersion
from service.events.encoding import encode_unit
from service.events.model import AppendResult
from service.events.upcasting import Upcasters
from service.events.writer import GroupCommitWriter
from tests.support.appends import ev, sid


async def test_units_sharing_a_group_commit_get_their_own_results_around_a_rejected_one(store: EventStore) -> None:
    """Appends that wait together share one statement; the positions it returns are mapped back to each unit."""
    before, rejected, new, left, right = sid(), sid(), sid(), sid(), sid()
    await store.append(before, "t", NO_STREAM, [ev(), ev()])
    await asyncio.sleep(0.1)  # the writer releases a stream just after answering; then all four share a batch

    def pair(stream_a: str, stream_b: str) -> list[StreamAppend]:
        return [
            StreamAppend(stream_id=stream_a, stream_type="t", expected_version=NO_STREAM, events=[ev("L1"), ev("L2")]),
            StreamAppend(stream_id=stream_b, stream_type="t", expected_version=NO_STREAM, events=[ev("R1")]),
        ]

    outcomes = await asyncio.gather(
        store.append(before, "t", 2, [ev("B3"), ev("B4"), ev("B5")]),
        store.append(rejected, "t", 5, [ev("X")]),  # the stream is empty: rejected
        store.append_many(pair(left, right)),
        store.append(new, "t", NO_STREAM, [ev("N1")]),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], WrongExpectedVersion)
    written = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(written) == 3
    assert not any(result.replayed for result in written)  # each found its own rows, not by asking again
    for result in written:
        stored = await store.read_events([e.event_id for e in result.events])
        assert [(e.event_id, e.stream_id, e.stream_version, e.position) for e in stored] == [
            tuple(e) for e in sorted(result.events, key=lambda e: e.position)
        ]
        for landed in result.streams:  # a stream's events take increasing positions in version order
            assert list(landed.positions) == sorted(landed.positions)
    assert [e.stream_version for e in outcomes[0].events] == [3, 4, 5]
    async with store.pool.acquire() as conn:
        transactions = await conn.fetchval(
            "SELECT count(DISTINCT transaction_id) FROM events WHERE stream_id = ANY($1) AND stream_version > 2 "
            "OR stream_id = ANY($2)",
            [before],
            [left, right, new],
        )
    assert transactions == 1  # they did share one statement
    assert await store.read_stream(rejected) == []


async def test_a_unit_the_server_refuses_fails_alone_and_its_batch_mates_are_written(store: EventStore) -> None:
    appends = [
        StreamAppend(stream_id=sid(), stream_type="t", expected_version=NO_STREAM, events=[ev()]) for _ in range(21)
    ]
    units = [encode_unit([a], {}, Upcasters()) for a in appends]
    units[10].streams[0] = "bad\x00stream"  # past the client's checks, as any value only the server refuses
    writer = GroupCommitWriter(store.pool, max_inflight=1)  # one statement for all 21, unless split
    results = await asyncio.gather(*(writer.write(u) for u in units), return_exceptions=True)
    assert isinstance(results[10], asyncpg.DataError)
    written = [r for i, r in enumerate(results) if i != 10]
    assert all(isinstance(r, AppendResult) for r in written), written
    for unit in units[:10] + units[11:]:
        assert [e.stream_version for e in await store.read_stream(unit.streams[0])] == [1]
