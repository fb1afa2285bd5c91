"""Time travel: folding a stream as of a moment gives what the projections showed at that moment."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from service.domain.decider import fold
from service.events import ANY, NewEvent, RecordedEvent
from service.events.aggregate import SNAPSHOT_EVERY, Repository
from tests.conftest import IsolatedDb, caught_up
from tests.support.projections import Tallies
from tests.support.tally import TALLY, Tally, bumped, decode


async def _projected(db: IsolatedDb, stream: str) -> dict[str, int]:
    async with db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT key, count FROM read.test_tallies WHERE stream_id = $1", stream)
    return {r["key"]: r["count"] for r in rows}


async def test_a_fold_as_of_t_equals_what_the_projection_showed_at_t(isolated: IsolatedDb, running) -> None:
    running([Tallies()])
    rng = random.Random(7)
    seen: list[tuple[datetime, int, dict[str, int]]] = []
    for _ in range(25):
        key = rng.choice("abcd")
        event = (
            NewEvent(event_type="Reset", data={"key": key})
            if rng.random() < 0.2
            else NewEvent(event_type="Bumped", data=bumped(key, rng.randint(1, 5)))
        )
        await isolated.store.append("tally-1", "tally", ANY, [event])
        await caught_up(isolated, ["test_tallies"])
        await asyncio.sleep(0.005)
        moment, position = datetime.now(UTC), await isolated.store.head_position()
        seen.append((moment, position, await _projected(isolated, "tally-1")))
        await asyncio.sleep(0.005)
    repository = Repository(isolated.store)
    for moment, position, projected in seen:
        assert (await repository.load(TALLY, "tally-1", as_of=moment)).state.counts == projected
        assert (await repository.load(TALLY, "tally-1", position=position)).state.counts == projected
    before = await repository.load(TALLY, "tally-1", as_of=datetime(2000, 1, 1, tzinfo=UTC))
    assert (before.state, before.version) == (Tally(), 0)


async def test_snapshots_keep_an_as_of_fold_of_a_10000_event_stream_short(isolated: IsolatedDb) -> None:
    moments: list[datetime] = []
    for batch in range(100):
        events = [NewEvent(event_type="Bumped", data=bumped(f"k{n % 7}", n % 3 + 1)) for n in range(100)]
        await isolated.store.append("long", "tally", ANY, events)
        if batch % 10 == 9:
            moments.append(datetime.now(UTC))
            await asyncio.sleep(0.002)
    every = await isolated.store.read_stream("long")
    assert len(every) == 10_000
    repository = Repository(isolated.store)
    first = await repository.load(TALLY, "long")
    assert first.events_folded == 10_000
    assert first.version == 10_000
    async with isolated.pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM snapshots WHERE stream_id = 'long'") == 10_000 // SNAPSHOT_EVERY
        )
    for moment in moments:
        loaded = await repository.load(TALLY, "long", as_of=moment)
        expected = fold(TALLY.decider.evolve, (decode(e) for e in every if e.recorded_at <= moment), Tally())
        assert loaded.state == expected
        assert loaded.events_folded < SNAPSHOT_EVERY
    latest = await repository.load(TALLY, "long")
    assert latest.events_folded == 0
    assert latest.state == first.state


async def test_forgetting_a_subject_purges_the_snapshots_holding_its_decrypted_data(isolated: IsolatedDb) -> None:
    events = [
        NewEvent(event_type="Bumped", data={"key": "calls", "by": 1, "note": "Ivan Petrov"}, personal={"note": "p-1"})
        for _ in range(SNAPSHOT_EVERY)
    ]
    await isolated.store.append("personal", "tally", ANY, events)
    repository = Repository(isolated.store)
    assert (await repository.load(TALLY, "personal")).state.last_note == "Ivan Petrov"

    async def snapshots() -> int:
        async with isolated.pool.acquire() as conn:
            return await conn.fetchval("SELECT count(*) FROM snapshots WHERE stream_id = 'personal'")

    assert await snapshots() == 1
    await isolated.store.forget_subject("p-1")
    assert await snapshots() == 0
    reloaded = await repository.load(TALLY, "personal")
    assert reloaded.events_folded == SNAPSHOT_EVERY
    assert (reloaded.state.counts, reloaded.state.last_note) == ({"calls": SNAPSHOT_EVERY}, None)
    assert await snapshots() == 1  # saved again by a load that began after the forget: it read no plaintext
    async with isolated.pool.acquire() as conn:
        assert "Ivan" not in await conn.fetchval("SELECT state FROM snapshots WHERE stream_id = 'personal'")
    again = await repository.load(TALLY, "personal")
    assert (again.events_folded, again.state.last_note) == (0, None)  # a stream with a forgotten subject stays fast


async def test_a_load_that_began_before_a_forget_saves_no_snapshot_of_what_it_read(
    isolated: IsolatedDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forget commits between the load's reads and its save: the state it folded holds the plaintext."""
    events = [
        NewEvent(event_type="Bumped", data={"key": "calls", "by": 1, "note": "Ivan Petrov"}, personal={"note": "p-1"})
        for _ in range(SNAPSHOT_EVERY)
    ]
    await isolated.store.append("racing", "tally", ANY, events)
    read_stream = isolated.store.read_stream

    async def read_then_forget(*args: Any, **kwargs: Any) -> list[RecordedEvent]:
        read = await read_stream(*args, **kwargs)
        await isolated.store.forget_subject("p-1")
        return read

    monkeypatch.setattr(isolated.store, "read_stream", read_then_forget)
    loaded = await Repository(isolated.store).load(TALLY, "racing")
    assert loaded.state.last_note == "Ivan Petrov"  # read before the forget
    async with isolated.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM snapshots WHERE stream_id = 'racing'") == 0


async def test_a_state_from_a_snapshot_keeps_the_order_of_its_maps(isolated: IsolatedDb) -> None:
    """Views list a state's maps (members, links, answers) in the order the fold made them; jsonb snapshots
    stored keys shortest first, so a view changed its order once a snapshot existed."""
    keys = ["a-long-key-made-first", "mid-key", "k"]
    await isolated.store.append("ordered", "tally", ANY, [NewEvent(event_type="Bumped", data=bumped(k)) for k in keys])
    repository = Repository(isolated.store, snapshot_every=3)
    folded = await repository.load(TALLY, "ordered")  # folds all three events and saves a snapshot at version 3
    restored = await Repository(isolated.store).load(TALLY, "ordered")
    assert (folded.events_folded, restored.events_folded) == (3, 0)  # the second load came from the snapshot
    assert list(folded.state.counts) == list(restored.state.counts) == keys


async def test_a_subject_forgotten_by_older_code_keeps_its_streams_snapshots_off(isolated: IsolatedDb) -> None:
    """Older code running beside migration 0014 forgets without naming its transaction: no load can tell whether it
    began after that forget, so none saves a snapshot of the stream."""
    events = [
        NewEvent(event_type="Bumped", data={"key": "calls", "by": 1, "note": "Anna"}, personal={"note": "p-2"})
        for _ in range(SNAPSHOT_EVERY)
    ]
    await isolated.store.append("older", "tally", ANY, events)
    await isolated.store.forget_subject("p-2")
    async with isolated.pool.acquire() as conn:
        await conn.execute("UPDATE subject_keys SET forgotten_xid = NULL WHERE subject_id = 'p-2'")
    assert (await Repository(isolated.store).load(TALLY, "older")).state.last_note is None
    async with isolated.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM snapshots WHERE stream_id = 'older'") == 0
