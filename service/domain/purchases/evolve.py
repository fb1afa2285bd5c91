"""How the purchase history follows from its events."""

from __future__ import annotations

from service.domain.purchases.events import PurchaseDocumentRecorded, PurchaseEvent
from service.domain.purchases.state import PurchaseHistory, key


def evolve(state: PurchaseHistory, event: PurchaseEvent) -> PurchaseHistory:
    match event:
        case PurchaseDocumentRecorded(document=document):
            return PurchaseHistory({**state.documents, key(document.kind, document.number): document})
    return state


def initial_state() -> PurchaseHistory:
    return PurchaseHistory()
