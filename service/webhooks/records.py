"""What the webhook tables hold, as the API reads and writes it: delivery state, the attempt log, and the
ERP's delivery ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

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


@dataclass(frozen=True)
class ErpHold:
    """One attempt's hold on an ERP delivery id, under a token of its own: only the holder decides the delivery,
    and every write names the token, so an attempt that lost its hold (it waited past `seconds`, and a
    redelivery took the delivery over) changes nothing."""

    pool: asyncpg.Pool
    delivery_id: str
    seconds: float
    token: UUID = field(default_factory=uuid4)

    async def remember(self, request_hash: str) -> ErpDelivery:
        """Keep the delivery's id with its hash, held by this attempt; or, when the id came before, what is kept."""
        async with self.pool.acquire() as conn:
            args = (self.delivery_id, request_hash, self.token, self.seconds)
            if await conn.fetchval(sql.REMEMBER_ERP_DELIVERY, *args) is not None:
                return ErpDelivery(request_hash, None, held=True)
            row = await conn.fetchrow(sql.ERP_DELIVERY, self.delivery_id)
            return ErpDelivery(row["request_hash"], row["answer"], held=False)

    async def take_over(self) -> tuple[bool, dict[str, Any] | None]:
        """Hold a delivery whose holder gave it up or ran out of time (True); or, while another attempt holds it,
        not (False), with its answer if given by now."""
        async with self.pool.acquire() as conn:
            if await conn.fetchval(sql.TAKE_OVER_ERP_DELIVERY, self.delivery_id, self.token, self.seconds):
                return True, None
            return False, (await conn.fetchrow(sql.ERP_DELIVERY, self.delivery_id))["answer"]

    async def renew(self) -> bool:
        """Hold the delivery for `seconds` from now, right before deciding it: False when it was taken over."""
        async with self.pool.acquire() as conn:
            return await conn.fetchval(sql.RENEW_ERP_HOLD, self.delivery_id, self.token, self.seconds) is not None

    async def keep(self, answer: dict[str, Any]) -> None:
        """The answer this holder gave, for the delivery's redeliveries; the hold ends."""
        async with self.pool.acquire() as conn:
            await conn.execute(sql.KEEP_ERP_ANSWER, self.delivery_id, self.token, answer)

    async def give_up(self) -> None:
        """This holder failed to decide the delivery: its next redelivery may take it over at once."""
        async with self.pool.acquire() as conn:
            await conn.execute(sql.GIVE_UP_ERP_DELIVERY, self.delivery_id, self.token)
