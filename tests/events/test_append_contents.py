"""What an append stores (business and system time, metadata) or refuses before writing, and reading by version
or time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.events import ANY, NO_STREAM, EventStore, InvalidAppend, NewEvent, StreamAppend
from tests.support.appends import ev, sid


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
