"""Appending: expected versions, atomic multi-stream appends, idempotency, group commit."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest

from service.db.pool import create_pool, init_connection
from service.events import (
    ANY,
    NO_STREAM,
    EventStore,
    IdempotencyConflict,
    InvalidAppend,
    NewEvent,
    StreamAppend,
    WrongExpectedVersion,
)
from service.events.encoding import encode_unit
from service.events.model import AppendResult
from service.events.upcasting import Upcasters
from service.events.writer import GroupCommitWriter, append_on
from tests.conftest import IsolatedDb


def sid(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4()}"


def ev(kind: str = "Happened", **data: object) -> NewEvent:
    return NewEvent(event_type=kind, data=data)


async def test_appends_and_reads_back_a_stream_in_order(store: EventStore) -> None:
    stream = sid()
    result = await store.append(stream, "t_account", NO_STREAM, [ev("Opened", name="KAMAZ"), ev("Renamed", name="K")])
    events = await store.read_stream(stream)
    assert [(e.stream_version, e.event_type, e.data) for e in events] == [
        (1, "Opened", {"name": "KAMAZ"}),
        (2, "Renamed", {"name": "K"}),
    ]
    assert [e.position for e in events] == [a.position for a in result.events]
    assert events[0].position < events[1].position
    assert result.version(stream) == 2


async def test_exact_expected_version_must_match_the_stream(store: EventStore) -> None:
    stream = sid()
    await store.append(stream, "t", NO_STREAM, [ev()])
    await store.append(stream, "t", 1, [ev()])
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append(stream, "t", 1, [ev()])
    assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == (stream, 1, 2)
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append(stream, "t", 5, [ev()])
    assert caught.value.actual == 2
    assert len(await store.read_stream(stream)) == 2


async def test_no_stream_refuses_an_existing_stream_and_any_appends_anyway(store: EventStore) -> None:
    stream = sid()
    await store.append(stream, "t", ANY, [ev()])
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append(stream, "t", NO_STREAM, [ev()])
    assert caught.value.expected == "no_stream"
    assert caught.value.actual == 1
    await store.append(stream, "t", ANY, [ev()])
    assert [e.stream_version for e in await store.read_stream(stream)] == [1, 2]


async def test_two_concurrent_appends_with_the_same_expected_version_one_wins(store: EventStore) -> None:
    for _ in range(10):
        stream = sid()
        await store.append(stream, "t", NO_STREAM, [ev()])
        outcomes = await asyncio.gather(
            store.append(stream, "t", 1, [ev(who="a")]),
            store.append(stream, "t", 1, [ev(who="b")]),
            return_exceptions=True,
        )
        errors = [o for o in outcomes if isinstance(o, Exception)]
        assert len(errors) == 1, outcomes
        assert isinstance(errors[0], WrongExpectedVersion)
        assert errors[0].actual == 2
        assert len(await store.read_stream(stream)) == 2


async def test_concurrent_appends_from_separate_stores_race_cleanly(store: EventStore, pool) -> None:
    """Two stores (as two processes would) racing on one stream: the database arbitrates."""
    other = EventStore(pool)
    for _ in range(10):
        stream = sid()
        outcomes = await asyncio.gather(
            store.append(stream, "t", NO_STREAM, [ev(who="a")]),
            other.append(stream, "t", NO_STREAM, [ev(who="b")]),
            return_exceptions=True,
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["AppendResult", "WrongExpectedVersion"]
        assert len(await store.read_stream(stream)) == 1


async def test_any_appends_from_many_tasks_all_land_without_gaps(store: EventStore) -> None:
    stream = sid()
    await asyncio.gather(*(store.append(stream, "t", ANY, [ev(i=i)]) for i in range(40)))
    events = await store.read_stream(stream)
    assert [e.stream_version for e in events] == list(range(1, 41))
    assert sorted(e.data["i"] for e in events) == list(range(40))


async def test_a_multi_stream_append_is_all_or_nothing(store: EventStore) -> None:
    bc, dossier = sid("bc"), sid("dossier")
    await store.append(dossier, "t_dossier", NO_STREAM, [ev("DossierOpened")])
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append_many(
            [
                StreamAppend(stream_id=bc, stream_type="bc", expected_version=NO_STREAM, events=[ev("MemberAdded")]),
                StreamAppend(stream_id=dossier, stream_type="t_dossier", expected_version=NO_STREAM, events=[ev("X")]),
            ]
        )
    assert caught.value.stream_id == dossier
    assert await store.read_stream(bc) == []
    result = await store.append_many(
        [
            StreamAppend(stream_id=bc, stream_type="bc", expected_version=NO_STREAM, events=[ev("MemberAdded")]),
            StreamAppend(stream_id=dossier, stream_type="t_dossier", expected_version=1, events=[ev("AnswerRecorded")]),
        ]
    )
    assert result.version(bc) == 1
    assert result.version(dossier) == 2
    assert {e.stream_id for e in result.events} == {bc, dossier}


async def test_repeating_an_append_with_the_same_event_ids_returns_the_original(store: EventStore) -> None:
    stream = sid()
    events = [ev("A"), ev("B")]
    first = await store.append(stream, "t", NO_STREAM, events)
    again = await store.append(stream, "t", NO_STREAM, events)
    assert again.replayed
    assert not first.replayed
    assert [e.position for e in again.events] == [e.position for e in first.events]
    assert [e.stream_version for e in again.events] == [1, 2]
    assert len(await store.read_stream(stream)) == 2


async def test_repeating_a_multi_stream_append_returns_where_each_event_landed(store: EventStore) -> None:
    bc, dossier = sid("bc"), sid("dossier")
    await store.append(dossier, "t_dossier", NO_STREAM, [ev("DossierOpened")])
    appends = [
        StreamAppend(stream_id=bc, stream_type="bc", expected_version=NO_STREAM, events=[ev("A"), ev("B")]),
        StreamAppend(stream_id=dossier, stream_type="t_dossier", expected_version=1, events=[ev("C")]),
    ]
    first = await store.append_many(appends)
    again = await store.append_many(appends)
    assert again.replayed
    assert again.events == first.events
    assert [(e.stream_id, e.stream_version) for e in first.events] == [(bc, 1), (bc, 2), (dossier, 2)]
    assert [e.event_id for e in first.events] == [e.event_id for a in appends for e in a.events]
    assert (again.version(bc), again.version(dossier), again.position) == (2, 2, first.position)


async def test_a_retry_of_events_stored_by_different_appends_reports_their_real_versions(store: EventStore) -> None:
    stream, first, second = sid(), ev("A"), ev("B")
    await store.append(stream, "t", NO_STREAM, [first])
    await store.append(stream, "t", ANY, [ev("Between")])
    await store.append(stream, "t", ANY, [second])
    again = await store.append(stream, "t", ANY, [first, second])
    assert again.replayed
    assert [(e.event_id, e.stream_version) for e in again.events] == [(first.event_id, 1), (second.event_id, 3)]
    assert again.version(stream) == 3
    assert len(await store.read_stream(stream)) == 3


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


async def test_a_concurrent_duplicate_append_under_any_stores_one_copy(store: EventStore) -> None:
    stream = sid()
    events = [ev("A")]
    results = await asyncio.gather(*(store.append(stream, "t", ANY, events) for _ in range(5)))
    assert len({r.position for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert len(await store.read_stream(stream)) == 1


async def test_a_half_matching_retry_is_a_conflict_and_writes_nothing(store: EventStore) -> None:
    stream = sid()
    stored = ev("A")
    await store.append(stream, "t", NO_STREAM, [stored])
    fresh = ev("B")
    with pytest.raises(IdempotencyConflict) as caught:
        await store.append(stream, "t", ANY, [stored, fresh])
    assert caught.value.stored == [stored.event_id]
    assert caught.value.missing == [fresh.event_id]
    assert len(await store.read_stream(stream)) == 1


async def test_reusing_an_event_id_on_another_stream_is_a_conflict(store: EventStore) -> None:
    event = ev("A")
    await store.append(sid(), "t", NO_STREAM, [event])
    with pytest.raises(IdempotencyConflict):
        await store.append(sid(), "t", NO_STREAM, [event])


async def test_occurred_at_is_business_time_and_recorded_at_is_system_time(store: EventStore) -> None:
    stream = sid()
    last_week = datetime.now(UTC) - timedelta(days=7)
    await store.append(stream, "t", NO_STREAM, [NewEvent(event_type="MeetingHeld", data={}, occurred_at=last_week)])
    [event] = await store.read_stream(stream)
    assert event.occurred_at == last_week
    assert event.recorded_at > last_week + timedelta(days=6)


async def test_occurred_at_is_stored_to_the_microsecond_over_the_whole_calendar(store: EventStore) -> None:
    """The writer sends business time as microseconds since the epoch; the server must convert it exactly."""
    stream = sid()
    moments = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 11, 23, 9, 30, 15, 123_457, tzinfo=timezone(timedelta(hours=3))),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ]
    events = [NewEvent(event_type="MeetingHeld", data={}, occurred_at=m) for m in moments]
    result = await store.append(stream, "t", NO_STREAM, [*events, ev("Noted")])
    stored = await store.read_stream(stream)
    assert [e.occurred_at for e in stored[:-1]] == moments
    assert abs(stored[-1].occurred_at - result.recorded_at) < timedelta(minutes=1)  # None means "now"
    assert (await store.verify(stream)).broken == ()


async def test_metadata_is_stored_with_every_event(store: EventStore) -> None:
    stream = sid()
    await store.append(stream, "t", NO_STREAM, [ev(), ev()], {"actor": "alice", "request_id": "r-1"})
    assert [e.metadata for e in await store.read_stream(stream)] == [{"actor": "alice", "request_id": "r-1"}] * 2


async def test_read_stream_bounds_by_version_and_by_recorded_time(store: EventStore) -> None:
    stream = sid()
    await store.append(stream, "t", NO_STREAM, [ev(n=1), ev(n=2)])
    between = datetime.now(UTC)
    await asyncio.sleep(0.01)
    await store.append(stream, "t", 2, [ev(n=3)])
    assert [e.data["n"] for e in await store.read_stream(stream, from_version=1)] == [2, 3]
    assert [e.data["n"] for e in await store.read_stream(stream, to_version=2)] == [1, 2]
    assert [e.data["n"] for e in await store.read_stream(stream, as_of=between)] == [1, 2]
    assert await store.read_stream(stream, as_of=between - timedelta(days=1)) == []


@pytest.mark.parametrize(
    ("appends", "message"),
    [
        ([], "at least one stream"),
        ([StreamAppend(stream_id="s", stream_type="t", expected_version=ANY, events=[])], "no events"),
        ([StreamAppend(stream_id="s", stream_type="t", expected_version=-1, events=[ev()])], "expected version"),
        (
            [StreamAppend(stream_id="s", stream_type="t", expected_version=ANY, events=[ev()])] * 2,
            "only once",
        ),
        (
            [
                StreamAppend(
                    stream_id="s",
                    stream_type="t",
                    expected_version=ANY,
                    events=[NewEvent(event_type="E", data={}, occurred_at=datetime(2026, 1, 1))],
                )
            ],
            "time zone",
        ),
        (  # within Python's range where it was written, before year 1 in UTC: it could never be read back
            [
                StreamAppend(
                    stream_id="s",
                    stream_type="t",
                    expected_version=ANY,
                    events=[
                        NewEvent(
                            event_type="E", data={}, occurred_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=3)))
                        )
                    ],
                )
            ],
            "years 1 to 9999",
        ),
        (
            [
                StreamAppend(
                    stream_id="s",
                    stream_type="t",
                    expected_version=ANY,
                    events=[
                        NewEvent(
                            event_type="E",
                            data={},
                            occurred_at=datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=3))),
                        )
                    ],
                )
            ],
            "years 1 to 9999",
        ),
        ([StreamAppend(stream_id="s", stream_type="t", expected_version=ANY, events=[ev(note="a\x00b")])], "NUL"),
        ([StreamAppend(stream_id="s", stream_type="t", expected_version=ANY, events=[ev(k={"x\x00": 1})])], "NUL"),
        ([StreamAppend(stream_id="s\x00", stream_type="t", expected_version=ANY, events=[ev()])], "NUL"),
        ([StreamAppend(stream_id="s", stream_type="t", expected_version=ANY, events=[ev("E\x00")])], "NUL"),
        (  # sealed, the server would never see it; opened, no read table could hold it
            [
                StreamAppend(
                    stream_id="s",
                    stream_type="t",
                    expected_version=ANY,
                    events=[NewEvent(event_type="E", data={"name": "A\x00"}, personal={"name": "person-nul"})],
                )
            ],
            "NUL",
        ),
    ],
)
async def test_malformed_appends_are_refused_before_anything_is_written(
    store: EventStore, appends: list[StreamAppend], message: str
) -> None:
    before = await store.head_position()
    with pytest.raises(InvalidAppend, match=message):
        await store.append_many(appends)
    assert await store.head_position() == before


async def test_metadata_holding_nul_is_refused_and_a_literal_backslash_u0000_is_kept(store: EventStore) -> None:
    before = await store.head_position()
    with pytest.raises(InvalidAppend, match="NUL"):
        await store.append(sid(), "t", ANY, [ev()], {"actor": "a\x00"})
    assert await store.head_position() == before
    stream = sid()
    await store.append(stream, "t", NO_STREAM, [ev(note="C:\\u0000 is six characters")])
    [stored] = await store.read_stream(stream)
    assert stored.data == {"note": "C:\\u0000 is six characters"}


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


async def test_a_stream_appended_without_events_is_a_check_of_its_version(store: EventStore) -> None:
    """A decision made on a stream read but not written lands only while that stream is where it was read."""
    read, written = sid("read"), sid("written")
    await store.append(read, "t", NO_STREAM, [ev()])
    check = StreamAppend(stream_id=read, stream_type="t", expected_version=1, events=[])
    landed = await store.append_many(
        [check, StreamAppend(stream_id=written, stream_type="t", expected_version=NO_STREAM, events=[ev("Decided")])]
    )
    assert [(e.stream_id, e.stream_version) for e in landed.events] == [(written, 1)]
    assert landed.version(written) == 1
    assert len(await store.read_stream(read)) == 1  # the checked stream got nothing

    await store.append(read, "t", 1, [ev("Moved")])
    with pytest.raises(WrongExpectedVersion) as conflict:
        await store.append_many(
            [check, StreamAppend(stream_id=written, stream_type="t", expected_version=1, events=[ev("Decided")])]
        )
    assert (conflict.value.stream_id, conflict.value.actual) == (read, 2)
    assert len(await store.read_stream(written)) == 1  # nothing written

    first = ev("Once")
    retried = [
        StreamAppend(stream_id=read, stream_type="t", expected_version=2, events=[]),
        StreamAppend(stream_id=written, stream_type="t", expected_version=1, events=[first]),
    ]
    assert (await store.append_many(retried)).replayed is False
    replay = await store.append_many(retried)
    assert replay.replayed is True
    assert [(e.stream_id, e.stream_version) for e in replay.events] == [(written, 2)]


async def test_a_check_needs_a_version_and_an_append_needs_an_event(store: EventStore) -> None:
    stream = sid()
    with pytest.raises(InvalidAppend, match="no version to check"):
        await store.append_many(
            [
                StreamAppend(stream_id=stream, stream_type="t", expected_version=ANY, events=[]),
                StreamAppend(stream_id=sid(), stream_type="t", expected_version=ANY, events=[ev()]),
            ]
        )
    with pytest.raises(InvalidAppend, match="at least one event"):
        await store.append_many(
            [StreamAppend(stream_id=stream, stream_type="t", expected_version=NO_STREAM, events=[])]
        )


@pytest.mark.parametrize("server_default", ["read committed", "repeatable read"])
async def test_a_check_waits_for_an_append_in_flight_to_its_stream_in_another_process(
    isolated: IsolatedDb, server_default: str
) -> None:
    """Another process's append to the checked stream, positions drawn and not yet committed, would precede the
    checking append in the log: the check waits for it and then meets it as a conflict. Also where the database's
    default isolation is repeatable read, whose snapshot would be taken before the wait."""
    superuser = await asyncpg.connect(isolated.url)
    try:
        await superuser.execute(f"ALTER DATABASE {superuser._params.database} SET default_transaction_isolation = "
                                f"'{server_default}'")  # fmt: skip
    finally:
        await superuser.close()
    pool = await create_pool(isolated.url, role="kamplan_app", min_size=1, max_size=4)  # sessions after the change
    store, read, written = EventStore(pool), sid("read"), sid("written")
    await store.append(read, "t", NO_STREAM, [ev()])
    other = await asyncpg.connect(isolated.url)  # another process's connection
    try:
        await init_connection(other)
        in_flight = other.transaction()
        await in_flight.start()
        moved = StreamAppend(stream_id=read, stream_type="t", expected_version=1, events=[ev("Moved")])
        await append_on(other, encode_unit([moved], {}, store.upcasters))
        checking = asyncio.create_task(
            store.append_many(
                [
                    StreamAppend(stream_id=read, stream_type="t", expected_version=1, events=[]),
                    StreamAppend(stream_id=written, stream_type="t", expected_version=NO_STREAM, events=[ev()]),
                ]
            )
        )
        await asyncio.sleep(0.3)
        assert not checking.done()  # waiting for the append in flight, not deciding past it
        await in_flight.commit()
    finally:
        await other.close()
    with pytest.raises(WrongExpectedVersion) as conflict:
        await asyncio.wait_for(checking, 10)
    assert (conflict.value.stream_id, conflict.value.actual) == (read, 2)
    assert await store.read_stream(written) == []
    await store.close()
    await pool.close()


async def test_an_append_during_a_check_lands_after_it_in_the_log(isolated: IsolatedDb) -> None:
    """The other way round: a check holding its stream makes an append to that stream draw its positions after the
    check's commit, so the decision made on the stream's earlier state comes first in the log."""
    store, read, written = isolated.store, sid("read"), sid("written")
    await store.append(read, "t", NO_STREAM, [ev()])
    checker = await asyncpg.connect(isolated.url)
    try:
        await init_connection(checker)
        holding = checker.transaction()
        await holding.start()
        check = StreamAppend(stream_id=read, stream_type="t", expected_version=1, events=[])
        decided = StreamAppend(stream_id=written, stream_type="t", expected_version=NO_STREAM, events=[ev()])
        checked = await append_on(checker, encode_unit([check, decided], {}, store.upcasters))
        moving = asyncio.create_task(store.append(read, "t", 1, [ev("Moved")]))
        await asyncio.sleep(0.3)
        assert not moving.done()
        await holding.commit()
    finally:
        await checker.close()
    moved = await asyncio.wait_for(moving, 10)
    assert moved.position > checked.position
