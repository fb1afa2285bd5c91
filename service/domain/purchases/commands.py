"""What the ERP asks: record a document on the account."""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.actors import Actor
from service.domain.purchases.state import Document


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordPurchaseDocument:
    actor: Actor
    account_id: str
    document: Document  # revision is set by the rules
    delivery_id: str


PurchaseCommand = RecordPurchaseDocument
