"""What the webhook tables hold, as the API reads and writes it: delivery state, the attempt log, and the
ERP's delivery ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from service.webhooks import sql


async def cursors(pool: asyncpg.Pool, subscription_ids: Sequence[str]) -> dict[str, asyncpg.Record]:
    """Where each subscription's delivery stands (`position`, `failures`); none for one never leased yet."""
    async with pool.acquire() as conn:
        return {r["subscription_id"]: r for r in await conn.fetch(sql.CURSORS, list(subscription_ids))}


async def attempts(pool: asyncpg.Pool, subscription_id: str, before: int | None, limit: int) -> list[asyncpg.Record]:
    """Attempts newest first, those with an id below `before` (all, when None)."""
    async with pool.acquire() as conn:
        return await conn.fetch(sql.ATTEMPTS, subscription_id, before, limit)


async def remember_erp_delivery(
    pool: asyncpg.Pool, delivery_id: str, request_hash: str
) -> tuple[str, dict[str, Any] | None]:
    """Remember an ERP delivery: the hash stored for its id (its own, or that of the first with this id), and the
    answer kept for a delivery of it that changed nothing (`keep_erp_answer`)."""
    async with pool.acquire() as conn:
        if await conn.fetchval(sql.REMEMBER_ERP_DELIVERY, delivery_id, request_hash) is not None:
            return request_hash, None
        row = await conn.fetchrow(sql.ERP_DELIVERY, delivery_id)
        return row["request_hash"], row["answer"]


async def keep_erp_answer(pool: asyncpg.Pool, delivery_id: str, answer: dict[str, Any]) -> None:
    """The answer to a delivery that changed nothing, for its redeliveries: the log holds nothing to answer from."""
    async with pool.acquire() as conn:
        await conn.execute(sql.KEEP_ERP_ANSWER, delivery_id, answer)
