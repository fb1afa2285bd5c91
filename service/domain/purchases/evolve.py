"""How the purchase history follows from its events."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from service.domain.purchases.events import (
    PurchaseDocumentMoved,
    PurchaseDocumentReaffirmed,
    PurchaseDocumentRecorded,
    PurchaseEvent,
)
from service.domain.purchases.state import PurchaseHistory, key, trimmed


def evolve(state: PurchaseHistory, event: PurchaseEvent) -> PurchaseHistory:
    match event:
        case PurchaseDocumentRecorded():
            document = trimmed(event.document)  # an event of before the trimming folds as a resend of today would
            slot = key(document.kind, document.number)
            kept = state.documents.get(slot)
            # a version sent without a timestamp cannot be placed in time: the newest one the ERP gave stays
            changed_at = _newest(kept.changed_at if kept else None, document.changed_at)
            return PurchaseHistory({**state.documents, slot: replace(document, changed_at=changed_at)})
        case PurchaseDocumentReaffirmed():
            slot = key(event.kind, event.number.strip())
            if (kept := state.documents.get(slot)) is None:
                return state  # decide reaffirms only a document kept
            changed_at = _newest(kept.changed_at, event.changed_at)
            return PurchaseHistory({**state.documents, slot: replace(kept, changed_at=changed_at)})
        case PurchaseDocumentMoved():
            slot = key(event.kind, event.number)
            return PurchaseHistory({k: d for k, d in state.documents.items() if k != slot})
    return state


def _newest(kept: datetime | None, sent: datetime | None) -> datetime | None:
    return max(kept, sent) if kept and sent else kept or sent


def initial_state() -> PurchaseHistory:
    return PurchaseHistory()
