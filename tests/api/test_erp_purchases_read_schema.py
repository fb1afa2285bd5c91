"""BI reads the purchase history the ERP's webhooks wrote: read.purchases and read.purchase_lines hold each
document as GET /v1/accounts/{id}/purchases shows it, so the two add up to the same totals."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import asyncpg
import httpx

from service.projections.waiting import wait_for_position
from tests.support.erp import KAM, order, post, signed


async def _delivered(erp: httpx.AsyncClient, body: bytes) -> int:
    response = await post(erp, body, signed(body))
    assert response.status_code == 200, response.text
    return response.json()["position"]


async def test_bi_reads_each_document_as_the_api_shows_it_revised_and_with_its_lines(
    erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]], account: str, pool: asyncpg.Pool
) -> None:
    """Before, the purchase history had no table in `read`: BI could not set actual purchases against a plan."""
    await _delivered(erp, order(account, number="SO-1", amount="100.00"))
    invoice = order(account, number="INV-1", amount="100.00", reference="SO-1", type="invoice")
    await _delivered(erp, invoice)
    revised = order(account, number="SO-1", amount="120.00", timestamp="2026-11-21T09:00:00Z")
    last = await _delivered(erp, revised)
    await wait_for_position(pool, ["purchases"], last, 20)

    api = (await erp.get(f"/v1/accounts/{account}/purchases", headers=auth(**KAM))).json()
    rows = await pool.fetch(
        "SELECT kind, number, on_day, amount, currency, reference, revision, changed_at, lines "
        "FROM read.purchases WHERE account_id = $1 ORDER BY on_day DESC, kind DESC, number DESC",
        account,
    )
    assert [
        (r["kind"], r["number"], r["on_day"].isoformat(), r["amount"], r["currency"], r["reference"], r["revision"],
         r["lines"])
        for r in rows
    ] == [
        (d["kind"], d["number"], d["on"], Decimal(d["amount"]), d["currency"], d["reference"], d["revision"],
         len(d["lines"]))
        for d in api["documents"]
    ]  # fmt: skip
    assert [r["changed_at"].isoformat() for r in rows] == ["2026-11-21T09:00:00+00:00", "2026-11-20T10:00:00+00:00"]
    lines = await pool.fetch(
        "SELECT kind, number, line, sku, name, quantity, amount FROM read.purchase_lines WHERE account_id = $1 "
        "ORDER BY kind, number, line",
        account,
    )
    assert [tuple(r) for r in lines] == [
        ("invoice", "INV-1", 1, "FF-200", "Fuel filter", Decimal(500), Decimal("100.00")),
        ("order", "SO-1", 1, "FF-200", "Fuel filter", Decimal(500), Decimal("120.00")),
    ]
    totals = await pool.fetch(
        "SELECT extract(year FROM on_day)::int AS year, kind, currency, sum(amount) AS amount, count(*) AS documents "
        "FROM read.purchases WHERE account_id = $1 GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2, 3",
        account,
    )
    assert [(t["year"], t["kind"], t["currency"], t["amount"], t["documents"]) for t in totals] == [
        (t["year"], t["kind"], t["currency"], Decimal(t["amount"]), t["documents"]) for t in api["totals"]
    ]


async def test_bi_sees_the_purchase_tables_and_nothing_behind_them(
    erp: httpx.AsyncClient, account: str, pool: asyncpg.Pool
) -> None:
    await wait_for_position(pool, ["purchases"], await _delivered(erp, order(account, number="SO-9")), 20)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL ROLE kamplan_bi")
        assert await conn.fetchval("SELECT count(*) FROM read.purchases WHERE account_id = $1", account) == 1
        assert await conn.fetchval("SELECT count(*) FROM read.purchase_lines WHERE account_id = $1", account) == 1
