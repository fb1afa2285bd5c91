"""An ERP document re-sent for another account moves there: the ERP booked it to the wrong customer, then fixed it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from service.domain.actors import Role
from tests.support.erp import KAM, order, post, signed

RUN = uuid.uuid4().hex[:8]  # document numbers are company-wide: these tests' own, moving no other test's
STAMP = "2026-11-20T10:00:00Z"
LATER = "2026-11-21T10:00:00Z"


async def _other_account(erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> str:
    opened = await erp.post("/v1/accounts", json={"name": "Bus maker"}, headers=auth(**KAM))
    return str(opened.json()["account_id"])


async def _history(erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]], account: str, **params: Any) -> Any:
    answer = await erp.get(f"/v1/accounts/{account}/purchases", params=params, headers=auth(**KAM))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _invoices(history: Any) -> list[tuple[str, str, int]]:
    return [(d["number"], d["amount"], d["revision"]) for d in history["documents"] if d["kind"] == "invoice"]


async def test_a_document_sent_for_another_account_leaves_the_first_and_joins_the_second(
    erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]], account: str
) -> None:
    other = await _other_account(erp, auth)
    booked = order(account, number=f"INV-1-{RUN}", type="invoice", amount="100.00", timestamp=STAMP)
    assert (await post(erp, booked, signed(booked))).status_code == 200
    before = (await erp.get(f"/v1/streams/purchases-{account}", headers=auth("root", Role.ADMIN))).json()
    at = before["events"][-1]["recorded_at"]

    fixed = order(other, number=f"INV-1-{RUN}", type="invoice", amount="100.00", timestamp=LATER)
    headers = signed(fixed)
    moved = await post(erp, fixed, headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["position"] is not None
    # the same delivery again answers as the first time and writes nothing
    again = await post(erp, fixed, signed(fixed, headers["webhook-id"]))
    assert again.json() == {**moved.json(), "replayed": True}

    first, second = await _history(erp, auth, account), await _history(erp, auth, other)
    assert _invoices(first) == []
    assert [t for t in first["totals"] if t["kind"] == "invoice"] == []
    assert _invoices(second) == [
        (f"INV-1-{RUN}", "100.00", 2)
    ]  # one document, the ERP's change of it is its next revision
    assert [(t["kind"], t["amount"], t["documents"]) for t in second["totals"]] == [("invoice", "100.00", 1)]
    # the first account's past still shows it, as it was then
    assert _invoices(await _history(erp, auth, account, as_of=at)) == [(f"INV-1-{RUN}", "100.00", 1)]
    events = (await erp.get(f"/v1/streams/purchases-{account}", headers=auth("root", Role.ADMIN))).json()["events"]
    assert [e["event_type"] for e in events] == ["PurchaseDocumentRecorded", "PurchaseDocumentMoved"]

    # the wrong booking, arriving late, does not move it back
    late = order(account, number=f"INV-1-{RUN}", type="invoice", amount="100.00", timestamp=STAMP)
    stale = await post(erp, late, signed(late))
    assert stale.status_code == 200
    assert stale.json()["position"] is None
    assert [w["code"] for w in stale.json()["warnings"]] == ["delivery-overtaken"]
    assert _invoices(await _history(erp, auth, account)) == []
    assert _invoices(await _history(erp, auth, other)) == [(f"INV-1-{RUN}", "100.00", 2)]


async def test_a_document_moved_back_later_returns_and_each_kind_is_a_document_of_its_own(
    erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]], account: str
) -> None:
    other = await _other_account(erp, auth)
    for body in (
        order(account, number=f"D-1-{RUN}", type="invoice", amount="10.00", timestamp=STAMP),
        order(account, number=f"D-1-{RUN}", type="order", amount="10.00", timestamp=STAMP),  # another kind: not moved
        order(other, number=f"D-1-{RUN}", type="invoice", amount="10.00", timestamp=LATER),
        order(account, number=f"D-1-{RUN}", type="invoice", amount="12.00", timestamp="2026-11-22T10:00:00Z"),
    ):
        answer = await post(erp, body, signed(body))
        assert answer.status_code == 200, answer.text
        assert answer.json()["position"] is not None
    assert _invoices(await _history(erp, auth, account)) == [(f"D-1-{RUN}", "12.00", 3)]
    assert [d["kind"] for d in (await _history(erp, auth, account))["documents"]] == ["order", "invoice"]
    assert _invoices(await _history(erp, auth, other)) == []


async def test_two_deliveries_racing_to_two_accounts_leave_the_document_in_one(
    erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]], account: str
) -> None:
    other = await _other_account(erp, auth)
    bodies = [
        order(a, number=f"R-1-{RUN}", type="invoice", amount="5.00", timestamp=None) for a in (account, other)
    ] * 3
    answers = await asyncio.gather(*(post(erp, b, signed(b)) for b in bodies))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    held = [len(_invoices(await _history(erp, auth, a))) for a in (account, other)]
    assert sorted(held) == [0, 1]
