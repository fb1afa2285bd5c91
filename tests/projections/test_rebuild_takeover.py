"""`kamplan rebuild` following another process's build: it takes the build over once nobody runs it, never before."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from service.config import Settings
from service.operations import rebuild
from service.projections import generations as gens
from service.projections import sql
from tests.conftest import IsolatedDb
from tests.projections.test_rebuild import (
    KAMPLAN,
    ROOT,
    _append,
    _counter_rows,
    _expected_counter,
    _generations,
)
from tests.support.projections import Counter


async def _checkpoint(db: IsolatedDb, generation: int) -> int:
    async with db.pool.acquire() as conn:
        row = await conn.fetchrow(sql.CHECKPOINT, "test_counter", generation)
    return -1 if row is None else row["position"]


async def _checkpoint_above(db: IsolatedDb, position: int) -> bool:
    return await _checkpoint(db, 2) > position


async def _generation_exists(db: IsolatedDb, generation: int) -> bool:
    return await _checkpoint(db, generation) >= 0


async def _until(condition: Callable[[], Awaitable[bool]], what: str, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {seconds} s: {what}")


async def _holder(db: IsolatedDb, generation: int) -> int | None:
    async with db.pool.acquire() as conn:
        return await conn.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
            " AND classid = hashtext('kamplan:projection:test_counter')::oid AND objid = $1::int::oid",
            generation,
        )


async def test_a_rebuild_takes_over_a_build_whose_process_crashed_and_finishes_it(
    isolated: IsolatedDb, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rebuild that found another process building followed it until it went live or was given up: when that process
    crashed, nothing ran the build any more, and the operator's command printed the same position for ever."""
    await _append(isolated, 4, 100)
    async with isolated.pool.acquire() as conn:
        await gens.ensure(conn, Counter())
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KAMPLAN_")},
        "DATABASE_URL": isolated.url,
        "PYTHONPATH": str(ROOT),
        "KAMPLAN_JWT_SECRET": "r" * 40,
        "KAMPLAN_PROJECTION_MODULES": "tests.support.projections",
        "KAMPLAN_PROJECTION_BUILD_BATCH_SIZE": "10",
        "KAMPLAN_TEST_SLOW_BATCH_SECONDS": "0.2",
        "KAMPLAN_LOG_FORMAT": "text",
    }
    first = await asyncio.create_subprocess_exec(
        KAMPLAN, "rebuild", "test_counter", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        await _until(lambda: _checkpoint_above(isolated, 0), "the first rebuild builds generation 2")
        following = asyncio.create_task(rebuild(settings, isolated.url, "test_counter"))
        await asyncio.sleep(1.5)
        assert not following.done()  # the first one builds: this one follows
        first.send_signal(signal.SIGKILL)  # the process building it crashes: PostgreSQL ends its session and lease
        await first.wait()
        crashed_at = await _checkpoint(isolated, 2)
        assert 0 < crashed_at < 400
        assert await asyncio.wait_for(following, 30) == 0
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    err = capsys.readouterr().err
    assert "another process is building it" in err
    assert f"taking generation 2 over at position {crashed_at:,}" in err  # from its checkpoint, not from zero
    assert await _generations(isolated, "test_counter") == [(1, 1, "retired"), (2, 1, "live")]
    assert await _counter_rows(isolated) == await _expected_counter(isolated)  # each event applied exactly once


async def test_a_rebuild_that_started_while_a_forget_held_the_lease_key_builds_once_it_is_free(
    isolated: IsolatedDb, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """A forget emptying an unrun build holds its lease key for its transaction: a rebuild starting in that moment
    took it for another process's build, and followed a build that nobody ran, for ever."""
    await _append(isolated, 2, 10)
    async with isolated.pool.acquire() as conn:
        await gens.ensure(conn, Counter())
    forget = await asyncpg.connect(isolated.url)
    try:
        async with forget.transaction():
            assert await forget.fetchval(sql.TRY_LEASE_IN_TRANSACTION, "test_counter", 2)
            following = asyncio.create_task(rebuild(settings, isolated.url, "test_counter"))
            await _until(lambda: _generation_exists(isolated, 2), "the rebuild creates generation 2")
            await asyncio.sleep(0.5)
        assert await asyncio.wait_for(following, 20) == 0  # the transaction ended: the key is free
    finally:
        await forget.close()
    err = capsys.readouterr().err
    assert "another process is building it" in err
    assert "taking generation 2 over at position 0" in err
    assert await _generations(isolated, "test_counter") == [(1, 1, "retired"), (2, 1, "live")]
    assert await _counter_rows(isolated) == await _expected_counter(isolated)


async def test_a_build_a_live_process_runs_is_followed_to_the_end_never_taken_over(
    isolated: IsolatedDb, settings: Settings, running, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    """Retrying the lease must not let a second process build the same generation while its holder lives."""
    await _append(isolated, 2, 100)
    monkeypatch.setenv("KAMPLAN_TEST_SLOW_BATCH_SECONDS", "0.15")
    running([Counter()], build_batch_size=10)  # a worker: it builds the new generation of its version
    async with isolated.pool.acquire() as conn:
        await gens.start_rebuild(conn, Counter())
    await _until(lambda: _checkpoint_above(isolated, 0), "the worker builds generation 2")
    worker = await _holder(isolated, 2)
    assert worker is not None
    following = asyncio.create_task(rebuild(settings, isolated.url, "test_counter"))
    holders = set()
    while not following.done():  # the worker keeps the lease once the generation is live, applying it
        holders.add(await _holder(isolated, 2))
        await asyncio.sleep(0.1)
    assert await asyncio.wait_for(following, 30) == 0
    assert holders - {None} == {worker}  # while it was building, the worker alone held the lease
    err = capsys.readouterr().err
    assert "another process is building it" in err
    assert "taking generation 2 over" not in err
    assert f"lease held by server process {worker}" in err  # whose build it waits for
    assert await _generations(isolated, "test_counter") == [(1, 1, "retired"), (2, 1, "live")]
    assert await _counter_rows(isolated) == await _expected_counter(isolated)
