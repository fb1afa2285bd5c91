"""What the ERP told us the client bought from us, document by document."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal


class PurchaseKind(enum.StrEnum):
    ORDER = "order"
    SHIPMENT = "shipment"
    INVOICE = "invoice"
    RETURN = "return"


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    sku: str
    name: str = ""
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    kind: PurchaseKind
    number: str  # the ERP's own number: one document per kind and number, revised when sent again changed
    on: date
    amount: Decimal  # the document's total, in `currency`
    currency: str
    reference: str = ""  # another document it follows from (a shipment's order, an invoice's order)
    lines: tuple[Line, ...] = ()
    # when the ERP changed it (its message's `timestamp`); kept, the newest the ERP gave it, also on a resend unchanged
    # or a version sent without one: a delivery older than that is ignored
    changed_at: datetime | None = None
    revision: int = 1


@dataclass(frozen=True, slots=True)
class PurchaseHistory:
    documents: dict[str, Document] = field(default_factory=dict)  # by "kind:number"


def key(kind: PurchaseKind, number: str) -> str:
    return f"{kind.value}:{number}"


def trimmed(document: Document) -> Document:
    """The document with its identifiers as kept: number, reference and each line's sku trimmed, as the rules take
    them now, also when an event recorded before that rule holds them as the ERP sent them. Its number is the key of
    its slot, so " INV-1" kept untrimmed and its resend, trimmed to "INV-1", must fold into one document, not two."""
    return replace(
        document,
        number=document.number.strip(),
        reference=document.reference.strip(),
        lines=tuple(replace(line, sku=line.sku.strip()) for line in document.lines),
    )
