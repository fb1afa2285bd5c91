"""What the webhook tables hold, as the API reads and writes it: delivery state, the attempt log, and the
ERP's delivery ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ErpDelivery:
    """What is kept of an ERP delivery id: the hash of the first body sent with it, the answer once given, and
    whether the attempt that asked holds it (may decide it)."""

    request_hash: str
    answer: dict[str, Any] | None
    held: bool


async def remember_erp_delivery(
    pool: asyncpg.Pool, delivery_id: str, request_hash: str, hold_seconds: float
) -> ErpDelivery:
    """Keep an ERP delivery's id with its hash, held by this attempt for `hold_seconds`; or, when the id came
    before, what is kept of it."""
    async with pool.acquire() as conn:
        if await conn.fetchval(sql.REMEMBER_ERP_DELIVERY, delivery_id, request_hash, hold_seconds) is not None:
            return ErpDelivery(request_hash, None, held=True)
        row = await conn.fetchrow(sql.ERP_DELIVERY, delivery_id)
        return ErpDelivery(row["request_hash"], row["answer"], held=False)


async def take_over_erp_delivery(
    pool: asyncpg.Pool, delivery_id: str, hold_seconds: float
) -> tuple[bool, dict[str, Any] | None]:
    """Hold a delivery whose holder gave it up or ran out of time (True); or, while it is held still, not (False)
    with its answer if given by now."""
    async with pool.acquire() as conn:
        if await conn.fetchval(sql.TAKE_OVER_ERP_DELIVERY, delivery_id, hold_seconds) is not None:
            return True, None
        return False, (await conn.fetchrow(sql.ERP_DELIVERY, delivery_id))["answer"]


async def keep_erp_answer(pool: asyncpg.Pool, delivery_id: str, answer: dict[str, Any]) -> None:
    """The answer its holder gave a delivery, for its redeliveries; the hold ends."""
    async with pool.acquire() as conn:
        await conn.execute(sql.KEEP_ERP_ANSWER, delivery_id, answer)


async def give_up_erp_delivery(pool: asyncpg.Pool, delivery_id: str) -> None:
    """The holder failed to decide the delivery: its next redelivery may take it over at once."""
    async with pool.acquire() as conn:
        await conn.execute(sql.GIVE_UP_ERP_DELIVERY, delivery_id)
