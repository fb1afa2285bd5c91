"""Documents recorded before their holders were kept (migration 0016) move too: found in the histories that hold
them, also when the old behaviour had kept one in two accounts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import httpx

from service.commands.aggregates import encode, purchases_stream
from service.domain.purchases.events import PurchaseDocumentRecorded
from service.domain.purchases.state import Document, PurchaseKind
from service.events import NO_STREAM, EventStore
from tests.support.erp import KAM, order, post, signed

NUMBER = f"OLD-{uuid.uuid4().hex[:8]}"  # company-wide: this test's own


async def _recorded_as_before(store: EventStore, account: str, number: str) -> None:
    """The document as the ERP's webhook wrote it before holders were: on the account's history alone, its number
    untrimmed as it was kept then."""
    document = Document(kind=PurchaseKind.INVOICE, number=f" {number}", on=date(2026, 11, 20),
                        amount=Decimal("7.00"), currency="RUB")  # fmt: skip
    event = PurchaseDocumentRecorded(account_id=account, document=document, delivery_id=f"old-{account}")
    await store.append(purchases_stream(account), "purchases", NO_STREAM, [encode(event)], {"actor": "erp"})


async def test_a_document_kept_before_holders_moves_and_one_kept_twice_is_kept_once(
    erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]], account: str, store: EventStore
) -> None:
    other = (await erp.post("/v1/accounts", json={"name": "Bus maker"}, headers=auth(**KAM))).json()["account_id"]
    third = (await erp.post("/v1/accounts", json={"name": "Van maker"}, headers=auth(**KAM))).json()["account_id"]
    await _recorded_as_before(store, account, NUMBER)
    await _recorded_as_before(store, other, NUMBER)  # the double count this fix ends

    fixed = order(other, number=NUMBER, type="invoice", amount="7.00", timestamp=None)
    assert (await post(erp, fixed, signed(fixed))).status_code == 200
    held = {}
    for a in (account, other):
        history = (await erp.get(f"/v1/accounts/{a}/purchases", headers=auth(**KAM))).json()
        held[a] = [(d["number"], d["revision"]) for d in history["documents"]]
    assert held == {account: [], other: [(NUMBER, 2)]}  # its own copy, revised as the lines changed

    to_third = order(third, number=NUMBER, type="invoice", amount="7.00", timestamp=None)
    assert (await post(erp, to_third, signed(to_third))).status_code == 200
    history = (await erp.get(f"/v1/accounts/{third}/purchases", headers=auth(**KAM))).json()
    assert [(d["number"], d["revision"]) for d in history["documents"]] == [(NUMBER, 3)]
    history = (await erp.get(f"/v1/accounts/{other}/purchases", headers=auth(**KAM))).json()
    assert history["documents"] == []
