"""Read-your-writes: wait, bounded, until the live projections a read uses have applied a position."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import asyncpg

from service.projections import sql


class Lagging(Exception):
    """The projections did not reach the position in time."""

    def __init__(self, behind: dict[str, int], target: int, waited: float) -> None:
        names = ", ".join(f"{name} at {position}" for name, position in sorted(behind.items()))
        super().__init__(f"waited {waited:.1f}s for position {target}; still behind: {names}")
        self.behind, self.target, self.waited = behind, target, waited


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
        if waited >= seconds:
            raise Lagging(behind, target, waited)
        await asyncio.sleep(min(delay, seconds - waited))
        delay = min(delay * 2, 0.05)
