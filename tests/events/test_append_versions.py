"""Appending: a stream reads back in order, and expected versions (exact, no stream, any) hold under races."""

from __future__ import annotations

import asyncio

import pytest

from service.events import ANY, NO_STREAM, EventStore, WrongExpectedVersion
from tests.support.appends import ev, sid


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
