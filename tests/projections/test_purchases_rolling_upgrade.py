"""A rolling upgrade to the version that moves ERP documents: a process of the older version that applied the
purchases projection past a `PurchaseDocumentMoved` skipped it (not among the types it reads), so the new code must
not carry on from that checkpoint, or read.purchases keeps the document in both accounts for good."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal

from service.commands.aggregates import encode, purchases_stream
from service.domain.purchases.events import PurchaseDocumentMoved, PurchaseDocumentRecorded
from service.domain.purchases.state import Document, PurchaseKind
from service.events import NO_STREAM
from service.projections.purchases import Purchases
from service.projections.runner import ProjectionRunner
from tests.conftest import IsolatedDb, caught_up


class OlderPurchases(Purchases):
    """The purchases projection as the version before documents moved ran it: same name and version, without the
    event type it did not know."""

    version = 1
    event_types = Purchases.event_types - {PurchaseDocumentMoved.__name__}


async def _run_until_caught_up(db: IsolatedDb, runner: ProjectionRunner) -> None:
    task = asyncio.create_task(runner.run())
    try:
        await caught_up(db, ["purchases"])
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _held(db: IsolatedDb, account: str) -> list[str]:
    async with db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT number FROM read.purchases WHERE account_id = $1", account)
    return [r["number"] for r in rows]


async def test_a_move_an_older_process_went_past_reaches_read_purchases(isolated: IsolatedDb) -> None:
    db = isolated
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    document = Document(kind=PurchaseKind.INVOICE, number="INV-1", on=date(2026, 11, 20), amount=Decimal("7.00"),
                        currency="RUB")  # fmt: skip
    meta = {"actor": "erp"}
    await db.store.append(purchases_stream(first), "purchases", NO_STREAM,
                          [encode(PurchaseDocumentRecorded(account_id=first, document=document, delivery_id="d1"))],
                          meta)  # fmt: skip
    older = ProjectionRunner(db.store, [OlderPurchases(db.store.upcasters)], poll_seconds=0.1)
    await _run_until_caught_up(db, older)
    assert await _held(db, first) == ["INV-1"]

    moved = PurchaseDocumentMoved(account_id=first, kind=PurchaseKind.INVOICE, number="INV-1", to_account_id=second,
                                  changed_at=None, delivery_id="d2")  # fmt: skip
    await db.store.append(purchases_stream(first), "purchases", 1, [encode(moved)], meta)
    recorded = PurchaseDocumentRecorded(account_id=second, document=document, delivery_id="d2")
    await db.store.append(purchases_stream(second), "purchases", NO_STREAM, [encode(recorded)], meta)
    await _run_until_caught_up(db, older)  # the older process, still running, goes past the move

    newer = asyncio.create_task(ProjectionRunner(db.store, [Purchases(db.store.upcasters)], poll_seconds=0.1).run())
    try:
        for _ in range(200):
            if await _held(db, first) == [] and await _held(db, second) == ["INV-1"]:
                break
            await asyncio.sleep(0.05)
        assert (await _held(db, first), await _held(db, second)) == ([], ["INV-1"])
    finally:
        newer.cancel()
        await asyncio.gather(newer, return_exceptions=True)
