"""Appending again: events with the same ids answer where they landed, and a partial or foreign reuse conflicts."""

from __future__ import annotations

import asyncio

import pytest

from service.events import ANY, NO_STREAM, EventStore, IdempotencyConflict, StreamAppend
from tests.support.appends import ev, sid


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
