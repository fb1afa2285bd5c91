"""Facts from the ERP."""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.purchases.state import Document


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseDocumentRecorded:
    """A document the ERP sent, first or changed (`document.revision` > 1); `delivery_id` names its webhook."""

    account_id: str
    document: Document
    delivery_id: str


PurchaseEvent = PurchaseDocumentRecorded
EVENTS = (PurchaseDocumentRecorded,)
