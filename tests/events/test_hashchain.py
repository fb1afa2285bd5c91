"""The per-stream hash chain: intact logs verify, and any edit behind the trigger's back is found."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import asyncpg
import pytest

from service.db.pool import init_connection
from service.events import ANY, NO_STREAM, NewEvent
from service.events.hashing import chain_hash
from service.events.verify import row_digest
from tests.conftest import IsolatedDb


async def _fill(db: IsolatedDb) -> None:
    for i in range(3):
        await db.store.append(f"acc-{i}", "account", NO_STREAM, [NewEvent(event_type="Opened", data={"i": i})])
        await db.store.append(
            f"acc-{i}", "account", 1, [NewEvent(event_type="Renamed", data={"n": n}) for n in range(3)]
        )
        await db.store.append(f"acc-{i}", "account", ANY, [NewEvent(event_type="Noted", data={"text": "ok"})])


async def _tamper(db: IsolatedDb, statement: str) -> None:
    """What an attacker with superuser rights could do: switch the guard off, edit, switch it on."""
    conn = await asyncpg.connect(db.url)
    try:
        async with conn.transaction():
            await conn.execute("ALTER TABLE events DISABLE TRIGGER events_immutable")
            await conn.execute(statement)
            await conn.execute("ALTER TABLE events ENABLE TRIGGER events_immutable")
    finally:
        await conn.close()


async def test_an_untouched_log_verifies(isolated: IsolatedDb) -> None:
    await _fill(isolated)
    report = await isolated.store.verify()
    assert report.ok
    assert (report.events, report.streams) == (15, 3)


async def test_an_edited_payload_is_reported_with_its_stream_and_version(isolated: IsolatedDb) -> None:
    await _fill(isolated)
    await _tamper(
        isolated,
        "UPDATE events SET data = jsonb_set(data, '{n}', '42') WHERE stream_id = 'acc-1' AND stream_version = 3",
    )
    report = await isolated.store.verify()
    assert [(b.stream_id, b.stream_version, b.problem) for b in report.broken] == [("acc-1", 3, "hash mismatch")]


async def test_edited_metadata_and_times_are_found_too(isolated: IsolatedDb) -> None:
    await _fill(isolated)
    await _tamper(
        isolated,
        "UPDATE events SET metadata = '{\"actor\": \"mallory\"}' WHERE stream_id = 'acc-0' AND stream_version = 1",
    )
    await _tamper(
        isolated,
        "UPDATE events SET recorded_at = recorded_at - interval '1 day' "
        "WHERE stream_id = 'acc-2' AND stream_version = 5",
    )
    report = await isolated.store.verify()
    assert [(b.stream_id, b.stream_version) for b in report.broken] == [("acc-0", 1), ("acc-2", 5)]


async def test_a_recomputed_hash_still_breaks_the_chain_after_it(isolated: IsolatedDb) -> None:
    """Fixing up the edited event's own hash is not enough: the next append links to the old one."""
    await _fill(isolated)
    conn = await asyncpg.connect(isolated.url)
    await init_connection(conn)
    row = await conn.fetchrow("SELECT * FROM events WHERE stream_id = 'acc-1' AND stream_version = 1")
    new_hash = chain_hash(b"", row["position"], 1, row["recorded_at"], row_digest({**row, "data": {"i": 99}}))
    await conn.close()
    await _tamper(
        isolated,
        f"UPDATE events SET data = '{{\"i\": 99}}', hash = '\\x{new_hash.hex()}' "
        "WHERE stream_id = 'acc-1' AND stream_version = 1",
    )
    report = await isolated.store.verify()
    assert [(b.stream_id, b.stream_version) for b in report.broken] == [("acc-1", 2)]


async def test_a_multi_event_append_written_before_digests_were_chained_still_verifies(isolated: IsolatedDb) -> None:
    """Appends written before each digest named the one before it were hashed unchained: `verify` accepts them."""
    await _fill(isolated)  # acc-1: version 1, then 2 to 4 in one append, then 5
    conn = await asyncpg.connect(isolated.url)
    await init_connection(conn)
    rows = await conn.fetch("SELECT * FROM events WHERE stream_id = 'acc-1' ORDER BY stream_version")
    await conn.close()
    link, legacy = bytes(rows[0]["hash"]), {}
    for row in rows[1:4]:  # the old rule: every event of the append linked to the hash before it, nothing more
        legacy[row["stream_version"]] = chain_hash(link, row["position"], row["stream_version"], row["recorded_at"],
                                                   row_digest(row))  # fmt: skip
    five = rows[4]
    legacy[5] = chain_hash(legacy[4], five["position"], 5, five["recorded_at"], row_digest(five))
    rewrite = "UPDATE events SET hash = '\\x{}' WHERE stream_id = 'acc-1' AND stream_version = {}"
    await _tamper(isolated, ";".join(rewrite.format(h.hex(), v) for v, h in legacy.items()))
    report = await isolated.store.verify()
    assert report.ok, report.broken


@pytest.mark.parametrize(("edited", "broken"), [(2, 3), (3, 4), (4, 5)])
async def test_an_event_edited_inside_a_multi_event_append_breaks_the_chain_after_it(
    isolated: IsolatedDb, edited: int, broken: int
) -> None:
    """Found by review: the events of one append all linked to the hash before the append, and only the last one's
    hash went into the next append, so an event edited before the last, its own hash fixed up, verified. Each event's
    digest now names the one before it in its append, so the edit breaks the next event's check."""
    await _fill(isolated)  # acc-1: version 1, then 2 to 4 in one append, then 5
    conn = await asyncpg.connect(isolated.url)
    await init_connection(conn)
    rows = await conn.fetch("SELECT * FROM events WHERE stream_id = 'acc-1' ORDER BY stream_version")
    await conn.close()
    link, previous = bytes(rows[0]["hash"]), b""  # what the attacker recomputes, knowing the rules
    for row in rows[1 : edited - 1]:  # the events before it in its append
        previous = row_digest(row, previous)
    forged = {"n": 99}
    new_hash = chain_hash(link, rows[edited - 1]["position"], edited, rows[edited - 1]["recorded_at"],
                          row_digest({**rows[edited - 1], "data": forged}, previous))  # fmt: skip
    await _tamper(
        isolated,
        f"UPDATE events SET data = '{{\"n\": 99}}', hash = '\\x{new_hash.hex()}' "
        f"WHERE stream_id = 'acc-1' AND stream_version = {edited}",
    )
    report = await isolated.store.verify()
    assert [(b.stream_id, b.stream_version, b.problem) for b in report.broken] == [("acc-1", broken, "hash mismatch")]


async def test_a_deleted_event_shows_as_a_version_gap(isolated: IsolatedDb) -> None:
    await _fill(isolated)
    await _tamper(isolated, "DELETE FROM events WHERE stream_id = 'acc-2' AND stream_version = 2")
    report = await isolated.store.verify()
    assert [(b.stream_id, b.stream_version, b.problem) for b in report.broken] == [("acc-2", 3, "version gap")]


async def test_kamplan_verify_exits_1_and_names_the_broken_event(isolated: IsolatedDb, tmp_path) -> None:
    await _fill(isolated)
    env = {"DATABASE_URL": isolated.url, "KAMPLAN_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    verify = [sys.executable, "-m", "service.cli", "verify"]
    ok = await asyncio.to_thread(subprocess.run, verify, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "checked 15 events in 3 streams: all chains intact" in ok.stdout
    await _tamper(isolated, "UPDATE events SET event_type = 'Forged' WHERE stream_id = 'acc-0' AND stream_version = 4")
    bad = await asyncio.to_thread(subprocess.run, verify, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "BROKEN acc-0 version 4" in bad.stdout


async def test_numbers_jsonb_renders_differently_still_verify(isolated: IsolatedDb) -> None:
    """1e16 comes back from jsonb as an int and -0.0 as 0.0; the chain must not cry wolf over them."""
    awkward = {
        "big": 1e16,
        "huge": -2.5e300,
        "u64": 1e19,
        "i64": -9e18,
        "negative_zero": -0.0,
        "tiny": 1e-7,
        "pi": 3.14159,
        "int": 10**18,
        "nested": [{"x": 1.5e20, "text": "3e5 and -0.0 inside a string"}],
    }
    await isolated.store.append("numbers", "t", NO_STREAM, [NewEvent(event_type="Measured", data=awkward)])
    [event] = await isolated.store.read_stream("numbers")
    assert event.data["big"] == 10**16
    assert event.data["huge"] == -2.5e300
    assert event.data["tiny"] == 1e-7
    assert event.data["nested"][0]["text"] == "3e5 and -0.0 inside a string"
    assert (await isolated.store.verify()).ok
