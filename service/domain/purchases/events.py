"""Facts from the ERP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.domain.purchases.state import Document, PurchaseKind


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseDocumentRecorded:
    """A document the ERP sent, first or changed (`document.revision` > 1); `delivery_id` names its webhook."""

    account_id: str
    document: Document
    delivery_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseDocumentReaffirmed:
    """The ERP sent the version kept again, unchanged, as changed at a later `changed_at` than the one kept (it
    changed the document and changed it back): no new revision, but a delivery older than that is now ignored."""

    account_id: str
    kind: PurchaseKind
    number: str
    changed_at: datetime
    delivery_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseDocumentMoved:
    """The ERP sent the document for another account, `to_account_id` (booked to the wrong customer, then fixed):
    it leaves this account's history, where the past still shows it, and is kept there from then on."""

    account_id: str
    kind: PurchaseKind
    number: str
    to_account_id: str
    changed_at: datetime | None
    delivery_id: str


PurchaseEvent = PurchaseDocumentRecorded | PurchaseDocumentReaffirmed | PurchaseDocumentMoved
EVENTS = (PurchaseDocumentRecorded, PurchaseDocumentReaffirmed, PurchaseDocumentMoved)
