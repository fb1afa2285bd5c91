"""Webhooks in from the ERP: orders, shipments, invoices and returns become the account's purchase history.

The ERP signs each delivery per the Standard Webhooks spec with `KAMPLAN_ERP_WEBHOOK_SECRET`; there is no
bearer token. The delivery id (`webhook-id`) is the delivery's idempotency key: a redelivery answers as the
first time and writes nothing, and the same id with another body is refused. Each document lands on the
stream `purchases-<account id>`, apart from the account's own stream, so that the ERP's traffic never
changes the account's ETag under a manager's edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import re
import time
import weakref
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field

from service.api.commanding import Command, Written, account_then, set_etag, written
from service.api.deps import ActorDep, RuntimeDep
from service.api.moments import Day, Moment
from service.api.numbers import Amount
from service.api.pagination import decode_cursor, encode_cursor, text
from service.api.problems import Problem
from service.commands.aggregates import ACCOUNT, PURCHASES, account_stream, purchases_stream
from service.commands.handler import Outcome
from service.commands.idempotency import Idempotency, IdempotencyKeyReused, request_hash
from service.domain.actors import Actor, Role
from service.domain.errors import NotFound
from service.domain.purchases.commands import RecordPurchaseDocument
from service.domain.purchases.decide import decide
from service.domain.purchases.state import Document, Line, PurchaseKind
from service.logs import request_id_var
from service.runtime import Runtime
from service.webhooks import records
from service.webhooks.signing import sign

router = APIRouter(tags=["erp"])

ERP = Actor("erp", Role.INTEGRATION)
DELIVERY_ID = re.compile(r"[A-Za-z0-9._:-]{1,200}")
DELIVERY_KEY = "erp-delivery\x1f"  # the idempotency key of a delivery: its id, in a namespace of its own


class PurchaseLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=100)
    name: str = Field("", max_length=300)
    quantity: Amount
    amount: Amount


class PurchaseDocumentIn(BaseModel):
    account_id: UUID = Field(description="The kamplan account the ERP's customer is (kept on its customer record).")
    number: str = Field(min_length=1, max_length=100, description="The ERP's document number.")
    on: Day
    amount: Amount = Field(description="The document's total, in `currency`.")
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["RUB"])
    reference: str = Field("", max_length=100, description="The document it follows from, e.g. a shipment's order.")
    lines: list[PurchaseLineIn] = Field([], max_length=1000)


class ErpMessage(BaseModel):
    """A Standard Webhooks payload: `type` is the kind of document, `data` the document."""

    type: Literal["order", "shipment", "invoice", "return"]
    timestamp: Moment | None = Field(
        None, description="When the ERP changed the document: a delivery older than the version kept is ignored."
    )
    data: PurchaseDocumentIn


def _unsigned(detail: str) -> Problem:
    return Problem(401, "/problems/invalid-signature", "Invalid webhook signature", detail)


async def verified_delivery(
    request: Request,
    webhook_id: Annotated[str | None, Header(description="The delivery id: the same on every redelivery.")] = None,
    webhook_timestamp: Annotated[str | None, Header(description="Unix seconds when this attempt was signed.")] = None,
    webhook_signature: Annotated[
        str | None, Header(description="`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, several separated by spaces.")
    ] = None,
) -> str:
    """The delivery id, once the signature is good; otherwise a 401 before the body's schema is checked (a body
    that is not JSON at all, or holds a control character, is refused first, as on every route)."""
    settings = request.app.state.runtime.settings
    if settings.erp_webhook_secret is None:
        raise Problem(503, "/problems/erp-webhooks-off", "ERP webhooks are not configured",
                      "set KAMPLAN_ERP_WEBHOOK_SECRET to the secret the ERP signs with")  # fmt: skip
    if not (webhook_id and webhook_timestamp and webhook_signature):
        raise _unsigned("webhook-id, webhook-timestamp and webhook-signature headers are required")
    if not DELIVERY_ID.fullmatch(webhook_id):
        raise _unsigned("webhook-id is 1 to 200 letters, digits and . _ : -")
    if not webhook_timestamp.isascii() or not webhook_timestamp.isdigit() or len(webhook_timestamp) > 12:
        raise _unsigned("webhook-timestamp is Unix seconds")
    if abs(time.time() - int(webhook_timestamp)) > settings.erp_webhook_tolerance_seconds:
        raise _unsigned("webhook-timestamp is too far from now: a replayed or delayed delivery")
    expected = sign(settings.erp_webhook_secret, webhook_id, webhook_timestamp, await request.body()).encode()
    candidates = [given.encode() for given in webhook_signature.split() if given.isascii()]
    if not any(hmac.compare_digest(expected, given) for given in candidates):
        raise _unsigned("no signature matches the body under the configured secret")
    return webhook_id


@router.post(
    "/erp/webhooks",
    operation_id="receiveErpWebhook",
    summary="A document from the ERP (signed per Standard Webhooks, no bearer token): the account's purchase history",
    response_model=Written,
)
async def receive(
    message: ErpMessage,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    delivery_id: Annotated[str, Depends(verified_delivery)],
) -> Written:
    account_id = str(message.data.account_id)
    if not (await runtime.repository.load(ACCOUNT, account_stream(account_id))).state.exists:
        raise NotFound("account-not-found", "no account with this id", account_id=account_id)
    data = message.data
    document = Document(
        kind=PurchaseKind(message.type), number=data.number, on=data.on, amount=data.amount, currency=data.currency,
        reference=data.reference,
        lines=tuple(Line(sku=x.sku, name=x.name, quantity=x.quantity, amount=x.amount) for x in data.lines),
        changed_at=message.timestamp,
    )  # fmt: skip
    body = await request.body()
    key = DELIVERY_KEY + delivery_id  # no bearer caller's Idempotency-Key can hold the separator
    hashed = request_hash(key, request.method, request.url.path, body)
    stream = purchases_stream(account_id)
    async with _serialised(stream):
        if (answered := await _delivered_before(runtime, delivery_id, hashed, stream)) is not None:
            return written(response, answered)
        request_id = request_id_var.get()
        command = Command(
            runtime,
            ERP,
            {
                "actor": ERP.sub,
                "actor_role": ERP.role.value,
                "actor_team": None,
                "request_id": request_id,
                "correlation_id": delivery_id,
                "source": "erp-webhook",
            },
            None,
            Idempotency(key, hashed),
        )
        record = RecordPurchaseDocument(actor=ERP, account_id=account_id, document=document, delivery_id=delivery_id)
        outcome = await command.run(PURCHASES, stream, lambda state: decide(state, record))
        no_trace = outcome.position is None and not outcome.replayed  # no event remembers it: the table does
        if no_trace and await records.remember_erp_delivery(runtime.pool, delivery_id, hashed) != hashed:
            raise _reused()  # a twin with another body got here first
    return written(response, outcome)


_LOCKS: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


@contextlib.asynccontextmanager
async def _serialised(stream: str) -> AsyncIterator[None]:
    """Deliveries to one account, one at a time in this process: a burst of the ERP's documents would otherwise
    race each other to the stream and lose as 409s (processes apart still retry on a conflict)."""
    lock = _LOCKS.get(stream)
    if lock is None:
        lock = _LOCKS[stream] = asyncio.Lock()
    async with lock:
        yield


async def _delivered_before(runtime: Runtime, delivery_id: str, hashed: str, stream: str) -> Outcome[Any] | None:
    """The answer to a delivery that changed nothing the first time, or None if it is new (or wrote events,
    which the command's own idempotency finds)."""
    stored = await records.erp_delivery(runtime.pool, delivery_id)
    if stored is None:
        return None
    if stored != hashed:
        raise _reused()
    loaded = await runtime.repository.load(PURCHASES, stream)
    return Outcome(stream, loaded.version, None, replayed=True)


def _reused() -> IdempotencyKeyReused:
    return IdempotencyKeyReused("idempotency-key-reused", "this webhook-id came before with another body")


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
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
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
    page, more = listed[:limit], len(listed) > limit
    set_etag(response, loaded.version)
    return PurchasesOut(
        account_id=str(account_id),
        version=loaded.version,
        documents=[_document_out(d) for d in page],
        totals=[
            PurchaseTotal(year=y, kind=k, currency=c, amount=_money(a), documents=n)
            for (y, k, c), (a, n) in sorted(totals.items(), key=lambda t: (-t[0][0], t[0][1].value, t[0][2]))
        ],
        next_cursor=encode_cursor(dict(zip(("on", "kind", "number"), _sort_key(page[-1]), strict=True)))
        if more
        else None,
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
