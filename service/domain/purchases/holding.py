"""Which account holds an ERP document, and a delivery that names another one: the document moves there.

The ERP keys a document by its kind and number, company-wide: an invoice booked to the wrong customer and then
fixed comes again with the same number and another `account_id`. Each document has a stream of its own (its
holder), written with every change of account in the same append as the histories it leaves and joins, so two
deliveries naming different accounts cannot both take it: the append checks the holder's version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from service.domain.actors import Role
from service.domain.errors import NotAllowed
from service.domain.purchases.commands import RecordPurchaseDocument
from service.domain.purchases.decide import check_document, decide, overtaken
from service.domain.purchases.events import PurchaseDocumentMoved, PurchaseDocumentRecorded, PurchaseEvent
from service.domain.purchases.state import Document, PurchaseHistory, PurchaseKind, key


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseDocumentClaimed:
    """From now on the document is `account_id`'s: first sent for it, or moved to it."""

    kind: PurchaseKind
    number: str
    account_id: str
    delivery_id: str


@dataclass(frozen=True, slots=True)
class DocumentHolder:
    account_id: str | None = None  # None: never claimed (not sent since holders were kept, or never at all)


EVENTS = (PurchaseDocumentClaimed,)


def evolve(state: DocumentHolder, event: PurchaseDocumentClaimed) -> DocumentHolder:
    return DocumentHolder(event.account_id)


def initial_state() -> DocumentHolder:
    return DocumentHolder()


def no_command(state: DocumentHolder, command: object) -> list[PurchaseDocumentClaimed]:
    """The holder is decided with the histories, by `deliver`, never alone."""
    raise NotImplementedError("a document's holder is decided by deliver()")


@dataclass(frozen=True, slots=True)
class Delivered:
    claims: list[PurchaseDocumentClaimed]
    events: dict[str, list[PurchaseEvent]] = field(default_factory=dict)  # by account id
    overtaken_by: Document | None = None  # the version kept that makes the delivery too old: ignored


def deliver(
    holder: DocumentHolder, histories: Mapping[str, PurchaseHistory], command: RecordPurchaseDocument
) -> Delivered:
    """The delivery of a document to `command.account_id`, given the histories of that account and of every other
    that holds the document (by `holder`; one kept before holders were, by its history: possibly several).

    Held by none other: recorded as ever. Held by another: it moves, unless a version kept is newer than the delivery
    (a late retry of the wrong booking must not move it back); in its new history it is the next revision."""
    if command.actor.role not in (Role.INTEGRATION, Role.ADMIN):
        raise NotAllowed("integration-only", "the purchase history comes from the ERP")
    document = check_document(command.document)
    slot, to = key(document.kind, document.number), command.account_id
    claims = (
        []
        if holder.account_id == to
        else [PurchaseDocumentClaimed(kind=document.kind, number=document.number, account_id=to,
                                      delivery_id=command.delivery_id)]
    )  # fmt: skip
    others = {a: h.documents[slot] for a, h in histories.items() if a != to and slot in h.documents}
    own = histories[to]
    if not others:
        if overtaken(own, document):
            return Delivered([], overtaken_by=own.documents[slot])
        return Delivered(claims, {to: decide(own, command)})
    kept = [d for d in (*others.values(), own.documents.get(slot)) if d is not None and d.changed_at is not None]
    newest = max(kept, key=_changed_at, default=None)
    if newest and document.changed_at and document.changed_at < _changed_at(newest):
        return Delivered([], overtaken_by=newest)
    moved: dict[str, list[PurchaseEvent]] = {
        account: [PurchaseDocumentMoved(account_id=account, kind=document.kind, number=document.number,
                                        to_account_id=to, changed_at=document.changed_at,
                                        delivery_id=command.delivery_id)]
        for account in sorted(others)
    }  # fmt: skip
    if slot in own.documents:  # kept twice before holders were: this account's copy stays, revised as usual
        return Delivered(claims, {to: decide(own, command), **moved})
    # the same document, continued: its next revision, keeping the newest time the ERP gave it
    revised = replace(
        document,
        revision=max(d.revision for d in others.values()) + 1,
        changed_at=document.changed_at or (newest.changed_at if newest else None),
    )
    recorded = PurchaseDocumentRecorded(account_id=to, document=revised, delivery_id=command.delivery_id)
    return Delivered(claims, {to: [recorded], **moved})


def _changed_at(document: Document) -> datetime:
    assert document.changed_at is not None  # only documents with one are compared
    return document.changed_at
