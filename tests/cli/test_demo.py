"""`kamplan demo` loads seed 004's truck maker through the API, and running it twice changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import IsolatedDb
from tests.support.cli import KAMPLAN, _env


async def _demo(env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        KAMPLAN, "demo", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 300)
    return process.returncode or 0, out.decode(), err.decode()


async def test_the_demo_loads_a_real_account_and_is_idempotent(isolated: IsolatedDb, tmp_path: Path) -> None:
    env = _env(DATABASE_URL=isolated.url, KAMPLAN_DATA_DIR=str(tmp_path))
    code, out, err = await _demo(env)
    assert code == 0, err
    assert "demo account:" in out
    async with isolated.pool.acquire() as conn:
        count = await conn.fetchval("SELECT count(*) FROM events")
        opened = await conn.fetch("SELECT data FROM events WHERE event_type = 'OpportunityOpened' ORDER BY position")
        advanced = await conn.fetchval("SELECT count(*) FROM events WHERE event_type = 'StageAdvanced'")
        members = await conn.fetchval("SELECT count(*) FROM events WHERE event_type = 'MemberAdded'")
        plan = await conn.fetch(
            "SELECT event_type FROM events WHERE stream_type = 'plan' AND event_type NOT LIKE 'Draft%' "
            "ORDER BY position"
        )
    assert members == 8
    assert [(r["data"]["kind"], r["data"]["stage"]) for r in opened] == [
        ("new_client", "entry"),
        ("cross_sell", "finding_ally"),
    ]
    assert advanced == 5  # the fuel filters: entry → finding an ally → … → serial supply
    assert [r["event_type"] for r in plan] == [  # seed 001: two revisions, one review round
        "PlanStarted",
        "RevisionProposed",
        "RevisionCommented",
        "RevisionCommented",
        "ChangesRequested",
        "CommentAnswered",
        "CommentAnswered",
        "RevisionProposed",
        "RevisionAgreed",
        "ActionStatusSet",
        "GoalActualRecorded",
    ]
    code, again, err = await _demo(env)
    assert code == 0, err
    assert again == out
    async with isolated.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM events") == count
