"""Appending to several streams at once: all or nothing, and a stream without events as a check of its version."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from service.db.pool import create_pool, init_connection
from service.events import ANY, NO_STREAM, EventStore, InvalidAppend, StreamAppend, WrongExpectedVersion
from service.events.encoding import encode_unit
from service.events.writer import append_on
from tests.conftest import IsolatedDb
from tests.support.appends import ev, sid


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
