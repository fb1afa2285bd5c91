"""How far behind each projection is, and whether it is failing: for /readyz and /metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from service.metrics import PROJECTION_FAILING, PROJECTION_LAG_EVENTS, PROJECTION_LAG_SECONDS
from service.projections import sql
from service.projections.generations import BUILDING


async def projection_status(pool: asyncpg.Pool, head: int) -> list[dict[str, Any]]:
    """One entry per active generation, with `failing` while its batches fail; live ones also update the lag
    gauges, and every one the failing gauge."""
    out: list[dict[str, Any]] = []
    failing: dict[tuple[str, str], int] = {}  # by projection and status, as the gauge is labelled
    async with pool.acquire() as conn:
        for row in await conn.fetch(sql.ALL_ACTIVE):
            first_pending = await conn.fetchval(sql.FIRST_EVENT_AFTER, row["position"])
            seconds = (datetime.now(UTC) - first_pending).total_seconds() if first_pending else 0.0
            entry = {
                "name": row["name"],
                "generation": row["generation"],
                "version": row["version"],
                "status": row["status"],
                "position": row["position"],
                "events_behind": max(head - row["position"], 0),
                "seconds_behind": round(max(seconds, 0.0), 3),
            }
            if row["failure"] is not None:
                entry["failing"] = row["failure"]
            labels = (row["name"], row["status"])
            failing[labels] = max(failing.get(labels, 0), 1 if row["failure"] is not None else 0)
            if row["status"] == BUILDING:
                entry["progress"] = round(row["position"] / head, 4) if head else 1.0
            else:
                PROJECTION_LAG_EVENTS.labels(row["name"]).set(entry["events_behind"])
                PROJECTION_LAG_SECONDS.labels(row["name"]).set(entry["seconds_behind"])
            out.append(entry)
    # Set afresh, with no await in between: a label no generation holds any more (one read failing while building,
    # which then committed and went live, or was retired, before this read) would otherwise stay 1 for good.
    PROJECTION_FAILING.clear()
    for (name, status), value in failing.items():
        PROJECTION_FAILING.labels(name, status).set(value)
    return out
