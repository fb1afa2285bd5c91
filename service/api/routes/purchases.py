"""An account's purchase history, as the ERP's webhooks wrote it (erp.py): documents and yearly totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from service.api.commanding import account_then, set_etag
from service.api.deps import ActorDep, RuntimeDep
from service.api.moments import Moment
from service.api.pagination import Cursor, Limit, decode_cursor, page, text
from service.commands.aggregates import PURCHASES, purchases_stream
from service.domain.purchases.state import Document, Line, PurchaseKind

router = APIRouter(tags=["purchases"])


class PurchaseLineOut(BaseModel):
    sku: str
    name: str
    quantity: str
    amount: str


class PurchaseDocumentOut(BaseModel):
    kind: PurchaseKind
    number: str
    on: str
    amount: str
    currency: str
    reference: str
    lines: list[PurchaseLineOut]
    revision: int = Field(description="1 as first sent; each change the ERP sent since adds one.")


class PurchaseTotal(BaseModel):
    year: int
    kind: PurchaseKind
    currency: str
    amount: str
    documents: int


class PurchasesOut(BaseModel):
    account_id: str
    version: int
    documents: list[PurchaseDocumentOut] = Field(description="Newest first (by date, then kind and number).")
    totals: list[PurchaseTotal] = Field(
        description="Per year, kind and currency, over every document of the kind asked (not only this page)."
    )
    next_cursor: str | None


def _sort_key(document: Document) -> tuple[str, str, str]:
    return (document.on.isoformat(), document.kind.value, document.number)


@router.get(
    "/accounts/{account_id}/purchases",
    operation_id="getPurchases",
    summary="The account's purchase history from the ERP, with yearly totals",
    response_model=PurchasesOut,
)
async def purchases(
    account_id: UUID,
    runtime: RuntimeDep,
    actor: ActorDep,
    response: Response,
    as_of: Annotated[Moment | None, Query(description="The history as kamplan knew it at this moment.")] = None,
    kind: PurchaseKind | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> PurchasesOut:
    await account_then(runtime, actor, str(account_id), as_of)
    loaded = await runtime.repository.load(PURCHASES, purchases_stream(str(account_id)), as_of=as_of)
    documents = [
        d for d in sorted(loaded.state.documents.values(), key=_sort_key, reverse=True) if kind in (None, d.kind)
    ]
    totals: dict[tuple[int, PurchaseKind, str], tuple[Decimal, int]] = {}
    for d in documents:
        amount, count = totals.get((d.on.year, d.kind, d.currency), (Decimal(0), 0))
        totals[(d.on.year, d.kind, d.currency)] = (amount + d.amount, count + 1)
    after = decode_cursor(cursor, on=text, kind=text, number=text)
    listed = documents
    if after:
        listed = [d for d in listed if _sort_key(d) < (after["on"], after["kind"], after["number"])]
    shown, next_cursor = page(
        listed, limit, lambda last: dict(zip(("on", "kind", "number"), _sort_key(last), strict=True))
    )
    set_etag(response, loaded.version)
    return PurchasesOut(
        account_id=str(account_id),
        version=loaded.version,
        documents=[_document_out(d) for d in shown],
        totals=[
            PurchaseTotal(year=y, kind=k, currency=c, amount=_money(a), documents=n)
            for (y, k, c), (a, n) in sorted(totals.items(), key=lambda t: (-t[0][0], t[0][1].value, t[0][2]))
        ],
        next_cursor=next_cursor,
    )


def _money(value: Decimal) -> str:
    return format(value, "f")


def _document_out(d: Document) -> PurchaseDocumentOut:
    return PurchaseDocumentOut(
        kind=d.kind, number=d.number, on=d.on.isoformat(), amount=_money(d.amount), currency=d.currency,
        reference=d.reference, revision=d.revision,
        lines=[_line_out(x) for x in d.lines],
    )  # fmt: skip


def _line_out(line: Line) -> PurchaseLineOut:
    return PurchaseLineOut(sku=line.sku, name=line.name, quantity=_money(line.quantity), amount=_money(line.amount))
