"""The lookup of documents recorded before holders were kept: it reads migration 0016's index, and it finds a
document whose number was kept with whitespace the rules trim today, whichever whitespace that was."""

from __future__ import annotations

import codecs
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import asyncpg
import httpx

from service.api.routes.erp_landing import KEPT_BEFORE_HOLDERS, SPACES
from service.commands.aggregates import encode, purchases_stream
from service.domain.purchases.events import PurchaseDocumentRecorded
from service.domain.purchases.state import Document, PurchaseKind
from service.events import NO_STREAM, EventStore
from tests.support.erp import KAM, order, post, signed


async def test_the_lookup_reads_the_index(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")  # a small log: only an index that fits is taken
        plan = "\n".join(r[0] for r in await conn.fetch(f"EXPLAIN {KEPT_BEFORE_HOLDERS}", "invoice", "INV-1"))
    assert "events_purchase_documents" in plan, plan


async def test_a_number_kept_with_a_no_break_space_is_found_and_moves(
    erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]], account: str, store: EventStore
) -> None:
    number = f"NBSP-{uuid.uuid4().hex[:8]}"
    document = Document(kind=PurchaseKind.INVOICE, number=f"{number}\u00a0", on=date(2026, 11, 20),
                        amount=Decimal("7.00"), currency="RUB")  # fmt: skip
    event = PurchaseDocumentRecorded(account_id=account, document=document, delivery_id=f"old-{account}")
    await store.append(purchases_stream(account), "purchases", NO_STREAM, [encode(event)], {"actor": "erp"})
    kept = (await erp.get(f"/v1/accounts/{account}/purchases", headers=auth(**KAM))).json()
    assert [d["number"] for d in kept["documents"]] == [number]  # folded trimmed, as str.strip() trims

    other = (await erp.post("/v1/accounts", json={"name": "Bus maker"}, headers=auth(**KAM))).json()["account_id"]
    fixed = order(other, number=number, type="invoice", amount="7.00", timestamp=None)
    assert (await post(erp, fixed, signed(fixed))).status_code == 200
    for a, expected in ((account, []), (other, [number])):
        history = (await erp.get(f"/v1/accounts/{a}/purchases", headers=auth(**KAM))).json()
        assert [d["number"] for d in history["documents"]] == expected, a


def test_the_lookup_trims_what_str_strip_trims() -> None:
    trimmed = codecs.decode(SPACES.removeprefix("E'").removesuffix("'"), "unicode_escape")
    assert sorted(trimmed) == sorted(c for c in map(chr, range(0x110000)) if c.isspace())
