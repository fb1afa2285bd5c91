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
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, Field

from service.api.commanding import Command, Written, answered, written
from service.api.deps import RuntimeDep, event_metadata
from service.api.moments import Day, Moment
from service.api.numbers import Amount
from service.api.problems import Problem
from service.api.routes.erp_landing import land, overtaken_warning
from service.commands.aggregates import ACCOUNT, account_stream, purchases_stream
from service.commands.idempotency import Idempotency, IdempotencyKeyReused, request_hash
from service.domain.actors import Actor, Role
from service.domain.errors import NotFound
from service.domain.purchases.commands import RecordPurchaseDocument
from service.domain.purchases.decide import check_document
from service.domain.purchases.state import Document, Line, PurchaseKind
from service.runtime import Runtime
from service.webhooks import records
from service.webhooks.signing import sign

router = APIRouter(tags=["erp"])

ERP = Actor("erp", Role.INTEGRATION)
DELIVERY_ID = re.compile(r"[A-Za-z0-9._:-]{1,200}")
DELIVERY_KEY = "erp-delivery\x1f"  # the idempotency key of a delivery: its id, in a namespace of its own


# The ERP's documents take fields kamplan does not read (pydantic's default), unlike the bodies our own clients fill
# (`RequestBody`): an ERP adds fields to its documents over time, and refusing them would stop its deliveries at its
# next upgrade. A misspelt field the document needs is still refused as missing.


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
        None,
        description="When the ERP changed the document: a delivery older than the newest timestamp kept for it is "
        "ignored (200, with a `delivery-overtaken` warning). Without it, a delivery is taken in the order it arrives.",
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
    body = await request.body()
    expected = [sign(secret, webhook_id, webhook_timestamp, body).encode() for secret in settings.erp_webhook_secrets]
    candidates = [given.encode() for given in webhook_signature.split() if given.isascii()]
    if not any(hmac.compare_digest(mine, given) for mine in expected for given in candidates):
        raise _unsigned("no signature matches the body under the configured secret")
    return webhook_id


@router.post(
    "/erp/webhooks",
    operation_id="receiveErpWebhook",
    summary="A document from the ERP (signed per Standard Webhooks, no bearer token): the account's purchase history",
    response_model=Written,
    responses={
        401: {"description": "No good Standard Webhooks signature under the configured secret (invalid-signature)"},
        503: {"description": "No KAMPLAN_ERP_WEBHOOK_SECRET configured (erp-webhooks-off)"},
    },
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
    # a document the rules refuse is refused before its delivery id is kept: the corrected resend may use the id
    tolerance = timedelta(seconds=runtime.settings.erp_webhook_tolerance_seconds)
    document = check_document(document, now=datetime.now(UTC) + tolerance)  # as kept: its identifiers trimmed
    body = await request.body()
    # Every delivery's id is kept with a hash of its request before anything is decided, so that one id never
    # carries two bodies, also when they race (to two accounts). The attempt that keeps it holds it: it alone
    # decides, and keeps its answer for the redeliveries, which wait for it. Deciding again would answer against
    # the history as it stands by then, and write the old content back over a change that came in between.
    key = DELIVERY_KEY + delivery_id  # no bearer caller's Idempotency-Key can hold the separator
    hashed = request_hash(key, request.method, request.url.path, body)
    record = RecordPurchaseDocument(actor=ERP, account_id=account_id, document=document, delivery_id=delivery_id)
    hold = records.ErpHold(runtime.pool, delivery_id, HOLD_SECONDS)
    try:
        seen = await hold.remember(hashed)
        if seen.request_hash != hashed:
            raise IdempotencyKeyReused("idempotency-key-reused", "this webhook-id came before with another body")
        answered, held = seen.answer, seen.held
        while True:
            if answered is None and not held:
                answered = await _first_answer(runtime, hold)
            if answered is not None:
                return _replayed(response, answered)
            answer = await _decide(request, response, runtime, hold, record, Idempotency(key, hashed))
            if answer is not None:
                return answer
            held = False  # taken over while this attempt waited for its turn: the new holder's answer is awaited
    except BaseException:
        # shielded: a cancelled request still lets its next redelivery decide at once, not after the hold; a no-op
        # when this attempt holds nothing (any more)
        await asyncio.shield(hold.give_up())
        raise


HOLD_SECONDS = 120.0  # how long the attempt holding a delivery may decide it before a redelivery takes it over
POLL_SECONDS = 0.05


async def _decide(
    request: Request,
    response: Response,
    runtime: Runtime,
    hold: records.ErpHold,
    record: RecordPurchaseDocument,
    idempotency: Idempotency,
) -> Written | None:
    """Decide the delivery and keep the answer; None when the wait for the account's turn outlasted the hold and
    a redelivery took the delivery over (the hold is renewed once the turn comes, so it covers the decision)."""
    stream = purchases_stream(record.account_id)
    async with _serialised(request, stream):
        if not await hold.renew():
            return None
        metadata = {**event_metadata(request, ERP), "correlation_id": hold.delivery_id, "source": "erp-webhook"}
        command = Command(runtime, ERP, metadata, None, idempotency)
        outcome, kept = await land(command, record)
    answer = written(response, outcome, overtaken_warning(record.document, kept))
    await hold.keep(answer.model_dump(mode="json", exclude={"replayed"}))
    return answer


def _replayed(response: Response, answer: dict[str, Any]) -> Written:
    """The answer kept for the delivery, given again with the headers it was given with."""
    return answered(response, Written.model_validate({**answer, "replayed": True}))


async def _first_answer(runtime: Runtime, hold: records.ErpHold) -> dict[str, Any] | None:
    """The answer of the attempt holding the delivery, waited for; None once this attempt holds it instead (the
    holder gave it up, or its hold ran out). A 409 when the holder is still deciding after the wait."""
    deadline = time.monotonic() + runtime.settings.erp_redelivery_wait_seconds
    while True:
        held, answer = await hold.take_over()
        if held or answer is not None:
            return answer
        if time.monotonic() >= deadline:
            raise Problem(
                409, "/problems/delivery-in-progress", "Delivery in progress",
                "an earlier attempt of this delivery is still being decided; deliver it again later",
                headers={"Retry-After": "5"},
            )  # fmt: skip
        await asyncio.sleep(POLL_SECONDS)


@contextlib.asynccontextmanager
async def _serialised(request: Request, stream: str) -> AsyncIterator[None]:
    """Deliveries to one account, one at a time in this app: a burst of the ERP's documents would otherwise
    race each other to the stream and lose as conflicts (apps in other processes are met by `_run`'s retries)."""
    locks: weakref.WeakValueDictionary[str, asyncio.Lock] | None = getattr(request.app.state, "erp_locks", None)
    if locks is None:
        locks = request.app.state.erp_locks = weakref.WeakValueDictionary()
    lock = locks.get(stream)
    if lock is None:
        lock = locks[stream] = asyncio.Lock()
    async with lock:
        yield
