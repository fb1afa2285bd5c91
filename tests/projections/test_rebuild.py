"""Rebuilds without downtime: reads answer from the old generation until the new one has caught up."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest

from service.config import Settings
from service.events import ANY, NewEvent
from service.operations import rebuild
from service.projections import generations as gens
from service.projections import sql
from service.projections.audit import AuditLog
from service.projections.status import projection_status
from tests.conftest import IsolatedDb, caught_up
from tests.support.projections import Counter
from tests.support.tally import bumped

KAMPLAN = str(Path(sys.executable).parent / "kamplan")
MARKER = "Marker-4711 Alice"
ROOT = Path(__file__).resolve().parents[2]


async def _append(db: IsolatedDb, streams: int, each: int, key: str = "k") -> None:
    for s in range(streams):
        await db.store.append(
            f"t-{s}", "tally", ANY, [NewEvent(event_type="Bumped", data=bumped(key)) for _ in range(each)]
        )


async def _generations(db: IsolatedDb, name: str) -> list[tuple]:
    async with db.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT generation, version, status FROM projection_generations WHERE name = $1 ORDER BY generation", name
        )
    return [tuple(r) for r in rows]


async def _until_generations(db: IsolatedDb, name: str, expected: list[tuple]) -> None:
    """Wait up to 10 s for the projection's generations to be `expected` (a switch or a retirement elsewhere)."""
    for _ in range(200):
        if await _generations(db, name) == expected:
            return
        await asyncio.sleep(0.05)
    assert await _generations(db, name) == expected


async def _counter_rows(db: IsolatedDb) -> list[tuple]:
    async with db.pool.acquire() as conn:
        return [
            tuple(r)
            for r in await conn.fetch("SELECT event_id, position, applied FROM read.test_counter ORDER BY position")
        ]


async def _expected_counter(db: IsolatedDb) -> list[tuple]:
    events = await db.store.read_all(0, limit=100_000)
    return [(e.event_id, e.position, 1) for e in events]


async def test_reads_answer_from_the_old_generation_during_a_rebuild_then_from_a_clean_replay(
    isolated: IsolatedDb, running
) -> None:
    await _append(isolated, 10, 100)
    running([Counter(), AuditLog()])
    await caught_up(isolated, ["test_counter"])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KAMPLAN_")},
        "DATABASE_URL": isolated.url,
        "PYTHONPATH": str(ROOT),
        "KAMPLAN_JWT_SECRET": "r" * 40,
        "KAMPLAN_PROJECTION_MODULES": "tests.support.projections",
        "KAMPLAN_PROJECTION_BUILD_BATCH_SIZE": "100",
        "KAMPLAN_TEST_SLOW_BATCH_SECONDS": "0.2",
        "KAMPLAN_LOG_FORMAT": "text",
    }
    rebuild = await asyncio.create_subprocess_exec(
        KAMPLAN, "rebuild", "test_counter", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    seen_building, reads = False, 0
    while rebuild.returncode is None:
        statuses = [status for _, _, status in await _generations(isolated, "test_counter")]
        seen_building |= "building" in statuses
        rows = await _counter_rows(isolated)  # the live (old) generation answers, complete, all along
        assert len(rows) >= 1000
        assert {applied for *_, applied in rows} == {1}
        reads += 1
        if reads % 5 == 0:
            await _append(isolated, 1, 10)  # and keeps applying new events meanwhile
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(rebuild.wait(), 0.1)
    stdout, stderr = await rebuild.communicate()
    assert rebuild.returncode == 0, stderr.decode()
    assert seen_building
    assert reads > 5
    assert "events/s" in stderr.decode()
    assert "/ " in stderr.decode()
    assert "test_counter generation 2 is live" in stdout.decode()

    assert await _generations(isolated, "test_counter") == [(1, 1, "retired"), (2, 1, "live")]
    await caught_up(isolated, ["test_counter"])
    assert await _counter_rows(isolated) == await _expected_counter(isolated)
    async with isolated.pool.acquire() as conn:
        assert await conn.fetchval("SELECT to_regclass('read.test_counter_g1')") is None  # old tables dropped


class CounterV2(Counter):
    version = 2


async def test_a_new_projection_version_is_built_beside_the_old_one_and_switched_automatically(
    isolated: IsolatedDb, running
) -> None:
    await _append(isolated, 5, 100)
    running([Counter()])
    await caught_up(isolated, ["test_counter"])
    running([CounterV2()])  # a rolling deploy: the new code starts while the old one still runs
    await _until_generations(isolated, "test_counter", [(1, 1, "retired"), (2, 2, "live")])
    await caught_up(isolated, ["test_counter"])
    assert await _counter_rows(isolated) == await _expected_counter(isolated)


async def test_the_retired_generation_lets_its_lease_and_connection_go_though_nothing_is_written(
    isolated: IsolatedDb, running
) -> None:
    """The runner of a generation noticed it was retired only when a batch with events came: on a quiet system it
    kept its lease and a pooled connection after every switch for as long as nothing was written."""
    await _append(isolated, 2, 10)
    running([Counter()])
    await caught_up(isolated, ["test_counter"])
    running([CounterV2()])
    await _until_generations(isolated, "test_counter", [(1, 1, "retired"), (2, 2, "live")])
    async with isolated.pool.acquire() as conn:
        for _ in range(100):  # the old runner looks at its checkpoint each time it has caught up and waits (1 s)
            if await conn.fetchval(sql.TRY_LEASE, "test_counter", 1):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("generation 1 is retired, yet its lease is held 5 s on")
        await conn.fetchval(sql.RELEASE_LEASE, "test_counter", 1)


class CounterV5(Counter):
    version = 5


async def test_a_rebuild_whose_generation_newer_code_gave_up_says_so_and_fails(
    isolated: IsolatedDb, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kamplan rebuild` following another process's build went on printing progress for ever once newer code had
    given that build up for its own."""
    await _append(isolated, 2, 10)
    async with isolated.pool.acquire() as conn:
        await gens.ensure(conn, Counter())
        assert await conn.fetchval(sql.TRY_LEASE, "test_counter", 2)  # "another process" holds the next build
        rebuilding = asyncio.create_task(rebuild(settings, isolated.url, "test_counter"))
        for _ in range(200):
            if (await _generations(isolated, "test_counter"))[-1] == (2, 1, "building"):
                break
            await asyncio.sleep(0.05)
        await gens.ensure(conn, CounterV5())  # a newer version starts, and gives the older build up
        assert await asyncio.wait_for(rebuilding, 10) == 1
        await conn.fetchval(sql.RELEASE_LEASE, "test_counter", 2)
    assert await _generations(isolated, "test_counter") == [(1, 1, "live"), (2, 1, "retired"), (3, 5, "building")]
    assert "test_counter generation 2 was given up" in capsys.readouterr().err


async def test_a_rebuild_whose_projection_fails_on_an_event_says_where_in_one_line(
    isolated: IsolatedDb, settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It ended in a traceback, which named neither the projection's failing events nor what became of the build. Then
    the line quoted the error's text, which may quote an event's data (here a server's error, the value it refused):
    it names the error's class and what the server says of it, as the log does, and not the text."""
    await _append(isolated, 2, 10, key=MARKER)
    async with isolated.pool.acquire() as conn:
        await gens.ensure(conn, Counter())
        failing = await conn.fetchval("SELECT position FROM events ORDER BY position OFFSET 12 LIMIT 1")
    monkeypatch.setenv("KAMPLAN_TEST_COUNTER_FAIL_AT", str(failing))
    assert await rebuild(settings, isolated.url, "test_counter") == 1
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "failed on the events" in line]
    assert len(said) == 1, said
    assert said[0].startswith("test_counter generation 2 failed on the events at positions "), said
    first, last = (int(p) for p in said[0].split("positions ")[1].split(":")[0].split(" to "))
    assert first <= failing <= last
    assert ": InvalidTextRepresentationError: its text withheld, as it may quote event data [sqlstate=22P02]" in said[0]
    assert MARKER not in err
    assert "The live generation serves on" in said[0]
    assert await _generations(isolated, "test_counter") == [(1, 1, "live"), (2, 1, "building")]
    head = await isolated.store.head_position()
    [building] = [e for e in await projection_status(isolated.pool, head) if e["generation"] == 2]
    assert building["failing"]["first_position"] <= failing <= building["failing"]["last_position"]  # /readyz too
    monkeypatch.delenv("KAMPLAN_TEST_COUNTER_FAIL_AT")
    assert await rebuild(settings, isolated.url, "test_counter") == 0  # mended, it takes the same build up
    assert await _generations(isolated, "test_counter") == [(1, 1, "retired"), (2, 1, "live")]
    [live] = [e for e in await projection_status(isolated.pool, head) if e["name"] == "test_counter"]
    assert "failing" not in live


class CounterWithNotes(Counter):
    """A version with a second table, which the next version does without."""

    version = 2
    tables = (*Counter.tables, replace(Counter.tables[0], name="test_counter_notes", comment="Test: a table dropped"))


class CounterV3(Counter):
    version = 3


class CounterV4(Counter):
    version = 4


async def _relations(db: IsolatedDb, like: str) -> list[tuple[str, str]]:
    async with db.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'read' AND c.relkind IN ('r', 'v') AND c.relname LIKE $1 ORDER BY 1",
            like,
        )
    return [(r["relname"], r["relkind"]) for r in rows]


async def test_a_table_a_new_version_does_without_goes_with_the_old_generation_view_and_all(
    isolated: IsolatedDb, running
) -> None:
    """The switch dropped only the tables the new version declares: a table it does without stayed, with its view
    in `read` on the retired generation, which BI tools went on reading as if it were current."""
    await _append(isolated, 2, 10)
    running([CounterWithNotes()])
    await caught_up(isolated, ["test_counter"])
    assert await _relations(isolated, "test_counter_notes%") == [
        ("test_counter_notes", "v"),
        ("test_counter_notes_g1", "r"),
    ]
    async with isolated.pool.acquire() as conn:  # older code's build, overtaken by newer code before it switched
        await gens.ensure(conn, CounterV3())
        await gens.ensure(conn, CounterV4())
    assert await _relations(isolated, "test_counter_notes%") == [
        ("test_counter_notes", "v"),
        ("test_counter_notes_g1", "r"),
    ]
    running([CounterV4()])
    for _ in range(200):
        if (await _generations(isolated, "test_counter"))[-1] == (3, 4, "live"):
            break
        await asyncio.sleep(0.05)
    assert await _generations(isolated, "test_counter") == [(1, 2, "retired"), (2, 3, "retired"), (3, 4, "live")]
    assert await _relations(isolated, "test_counter%") == [("test_counter", "v"), ("test_counter_g3", "r")]
    await caught_up(isolated, ["test_counter"])
    assert await _counter_rows(isolated) == await _expected_counter(isolated)


def test_rebuilding_an_unknown_projection_says_which_exist(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAMPLAN_") and k != "DATABASE_URL"}
    result = subprocess.run(
        [KAMPLAN, "rebuild", "nope"], env={**env, "KAMPLAN_DATA_DIR": str(tmp_path)}, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "no projection 'nope'; known: audit_log" in result.stderr


async def test_a_rebuild_by_older_code_leaves_a_newer_live_generation_alone(
    isolated: IsolatedDb, running, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kamplan rebuild` of code with an older version of the projection (a machine not yet upgraded in a rolling
    deploy) built its own version and switched it live in place of the newer one: the processes running the newer
    version apply only their version's generations, so the projection stopped following the log, silently."""
    await _append(isolated, 2, 10)
    running([CounterV2()])
    await caught_up(isolated, ["test_counter"])
    assert await asyncio.wait_for(rebuild(settings, isolated.url, "test_counter"), 30) == 1  # Counter is version 1
    assert "is version 2, newer than this code's version 1" in capsys.readouterr().err
    assert await _generations(isolated, "test_counter") == [(1, 2, "live")]
    await _append(isolated, 1, 1)
    await caught_up(isolated, ["test_counter"])  # the newer code still applies it
    assert await _counter_rows(isolated) == await _expected_counter(isolated)


async def test_a_switch_waiting_for_a_reader_of_the_view_holds_up_neither_reads_nor_the_log(
    isolated: IsolatedDb, running
) -> None:
    """A BI session with a transaction open on a view (a long query, or a client that opens one and idles) made the
    switch wait for its lock while holding its own: every read of the view queued behind the switch, and the switch's
    transaction id, taken before it waited, held back every reader of the log (all projections, webhooks) until the BI
    session ended."""
    await _append(isolated, 2, 10)
    running([Counter(), AuditLog()])
    await caught_up(isolated, ["test_counter", "audit_log"])
    bi = await asyncpg.connect(isolated.url)
    try:
        await bi.execute("SET ROLE kamplan_bi")
        reading = bi.transaction()
        await reading.start()
        await bi.fetchval("SELECT count(*) FROM read.test_counter")  # and the analyst goes for coffee
        running([CounterV2()])
        for _ in range(200):  # built and caught up: from now on it tries to switch
            if (await _generations(isolated, "test_counter"))[-1] == (2, 2, "building"):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(2.0)
        async with isolated.pool.acquire() as conn:
            assert await asyncio.wait_for(conn.fetchval("SELECT count(*) FROM read.test_counter"), 2) == 20
        await _append(isolated, 1, 1)
        await caught_up(isolated, ["test_counter", "audit_log"], 5)
        assert await _generations(isolated, "test_counter") == [(1, 1, "live"), (2, 2, "building")]
        await reading.rollback()
    finally:
        await bi.close()
    await _until_generations(isolated, "test_counter", [(1, 1, "retired"), (2, 2, "live")])  # the reader is gone
    await caught_up(isolated, ["test_counter"])
    assert await _counter_rows(isolated) == await _expected_counter(isolated)
