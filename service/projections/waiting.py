"""Read-your-writes: wait, bounded, until the live projections a read uses have applied a position."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import asyncpg

from service.projections import sql


class Lagging(Exception):
    """The projections did not reach the position in time; `failing` holds the failures of those of them whose
    batches fail (`since`, `attempts`, `error`, positions), which waiting longer will not mend."""

    def __init__(
        self, behind: dict[str, int], target: int, waited: float, failing: dict[str, dict[str, Any]] | None = None
    ) -> None:
        names = ", ".join(f"{name} at {position}" for name, position in sorted(behind.items()))
        super().__init__(f"waited {waited:.1f}s for position {target}; still behind: {names}")
        self.behind, self.target, self.waited, self.failing = behind, target, waited, failing or {}


async def wait_for_position(pool: asyncpg.Pool, projections: Sequence[str], target: int, seconds: float) -> None:
    started = time.monotonic()
    delay = 0.005
    while True:
        async with pool.acquire() as conn:
            live = {r["name"]: r["position"] for r in await conn.fetch(sql.LIVE_POSITIONS, list(projections))}
        behind = {name: live.get(name, 0) for name in projections if live.get(name, 0) < target}
        if not behind:
            return
        waited = time.monotonic() - started
        if waited >= seconds:  # only now whether they fail: the poll above is every read's, and stays narrow
            async with pool.acquire() as conn:
                failing = {r["name"]: r["failure"] for r in await conn.fetch(sql.LIVE_FAILURES, list(behind))}
            raise Lagging(behind, target, waited, failing)
        await asyncio.sleep(min(delay, seconds - waited))
        delay = min(delay * 2, 0.05)
