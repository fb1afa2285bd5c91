"""StreamFolder: folds from batches, a bounded cache and the store's gaps equal a full fold of the stream.

Projections rebuild from these states, so any difference would be a read table that disagrees with its
aggregate. Each case compares with the Repository, which folds the stream from the store.
"""

from __future__ import annotations

import random
from typing import Any

from service.events import ANY, EventStore, NewEvent, RecordedEvent
from service.events.aggregate import Repository
from service.events.upcasting import Upcasters
from service.projections.folding import StreamFolder
from tests.conftest import IsolatedDb
from tests.support.tally import TALLY, Tally, bumped


async def _log(db: IsolatedDb) -> list[RecordedEvent]:
    return await db.store.read_all(0, 100_000)


async def _fill(db: IsolatedDb, streams: int, events: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(events):
        stream = f"tally-{rng.randrange(streams)}"
        event = (
            NewEvent(event_type="Reset", data={"key": "a"})
            if rng.random() < 0.1
            else NewEvent(event_type="Bumped", data=bumped(rng.choice("abc"), rng.randint(1, 4)))
        )
        await db.store.append(stream, "tally", ANY, [event])
    await db.store.append("other-1", "other", ANY, [NewEvent(event_type="Noise", data={})])


async def _expected(db: IsolatedDb, streams: set[str], position: int) -> dict[str, Tally]:
    repository = Repository(db.store)
    return {s: (await repository.load(TALLY, s, position=position)).state for s in streams}


async def test_folding_batch_by_batch_equals_folding_each_stream_from_the_store(isolated: IsolatedDb) -> None:
    await _fill(isolated, streams=7, events=150, seed=1)
    log = await _log(isolated)
    for capacity, size in ((10_000, 13), (2, 13), (0, 40)):  # a warm cache, one that keeps evicting, none
        folder = StreamFolder(TALLY, isolated.store.upcasters, capacity=capacity)
        for start in range(0, len(log), size):
            batch = log[start : start + size]
            async with isolated.pool.acquire() as conn:
                folded = await folder.fold(conn, "g1", batch)
            touched = {e.stream_id for e in batch if e.stream_type == "tally"}
            assert set(folded.states) == touched
            assert folded.states == await _expected(isolated, touched, batch[-1].position)
            assert folded.started == {e.stream_id for e in batch if e.stream_type == "tally" and e.stream_version == 1}


async def test_a_folder_starting_mid_log_or_going_back_reads_what_it_lacks(isolated: IsolatedDb) -> None:
    await _fill(isolated, streams=3, events=60, seed=2)
    log = await _log(isolated)
    folder = StreamFolder(TALLY, isolated.store.upcasters)
    late, early = log[50:], log[20:21]  # a generation ahead warms the cache; one behind must not use it
    for batch in (late, early, log[21:50]):
        async with isolated.pool.acquire() as conn:
            folded = await folder.fold(conn, "g1", batch, also=["tally-0", "tally-1", "tally-2"])
        assert folded.states == await _expected(isolated, {"tally-0", "tally-1", "tally-2"}, batch[-1].position)


async def test_a_forgotten_person_is_not_served_from_the_cache(isolated: IsolatedDb) -> None:
    noted = NewEvent(event_type="Bumped", data={**bumped("a"), "note": "likes fishing"}, personal={"note": "person-1"})
    await isolated.store.append("tally-1", "tally", ANY, [noted])
    folder = StreamFolder(TALLY, isolated.store.upcasters)
    async with isolated.pool.acquire() as conn:
        folded = await folder.fold(conn, "g1", await _log(isolated))
    assert folded.states["tally-1"].last_note == "likes fishing"
    await isolated.store.forget_subject("person-1")
    forgotten = [e for e in await _log(isolated) if e.event_type == "SubjectForgotten"]
    async with isolated.pool.acquire() as conn:
        folded = await folder.fold(conn, "g1", forgotten, also=["tally-1"])
    assert folded.states["tally-1"] == Tally({"a": 1}, None)


async def test_a_generation_behind_cannot_put_a_forgotten_person_back_into_another_generations_cache(
    isolated: IsolatedDb,
) -> None:
    noted = NewEvent(event_type="Bumped", data={**bumped("a"), "note": "likes fishing"}, personal={"note": "person-1"})
    await isolated.store.append("tally-1", "tally", ANY, [noted])
    read_before_the_forget = await _log(isolated)  # a building generation's batch, read ahead
    await isolated.store.forget_subject("person-1")
    await isolated.store.append("tally-1", "tally", ANY, [NewEvent(event_type="Bumped", data=bumped("a"))])
    after = await _log(isolated)
    forgotten = [e for e in after if e.event_type == "SubjectForgotten"]
    later = [e for e in after if e.stream_id == "tally-1" and e.stream_version == 2]
    folder = StreamFolder(TALLY, isolated.store.upcasters)
    async with isolated.pool.acquire() as conn:
        await folder.fold(conn, "live", forgotten, also=["tally-1"])
        building = await folder.fold(conn, "building", read_before_the_forget)
        live = await folder.fold(conn, "live", later)
    assert building.states["tally-1"].last_note == "likes fishing"  # healed when its own batch reaches the forget
    assert live.states["tally-1"] == Tally({"a": 2}, None)


async def test_the_events_a_folder_reads_are_lifted_by_the_stores_upcasters(isolated: IsolatedDb) -> None:
    """The folder read the events a batch lacks with no upcasters at all: once an event's shape changed, a
    projection would fold old payloads as they were stored and fail on them, or disagree with its aggregate."""
    for n in range(3):  # Bumped v1 named its amount "amount"; v2 calls it "by"
        old = NewEvent(event_type="Bumped", data={"key": "a", "amount": n + 1}, schema_version=1)
        await isolated.store.append("tally-u", "tally", ANY, [old])
    upcasters = Upcasters()

    @upcasters.register("Bumped", 1)
    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**{k: v for k, v in data.items() if k != "amount"}, "by": data["amount"]}

    store = EventStore(isolated.pool, upcasters=upcasters)
    try:
        await store.append("tally-u", "tally", ANY, [NewEvent(event_type="Bumped", data=bumped("a", 10))])
        newest = (await store.read_all(0, 100))[-1:]
        expected = (await Repository(store).load(TALLY, "tally-u")).state
        assert expected.counts == {"a": 16}
        async with isolated.pool.acquire() as conn:  # a batch of the newest event only: the rest is read
            folded = await StreamFolder(TALLY, store.upcasters).fold(conn, "g1", newest)
        assert folded.states["tally-u"] == expected
    finally:
        await store.close()
