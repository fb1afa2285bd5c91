"""The rules for the purchase history: only the ERP's integration writes it, a document sent again unchanged
writes nothing, and one sent changed is its next revision."""

from __future__ import annotations

from dataclasses import replace

from service.domain.actors import Role
from service.domain.errors import CURRENCY, NotAllowed, amount, require
from service.domain.purchases.commands import PurchaseCommand
from service.domain.purchases.events import PurchaseDocumentRecorded, PurchaseEvent
from service.domain.purchases.state import Document, PurchaseHistory, key


def decide(state: PurchaseHistory, command: PurchaseCommand) -> list[PurchaseEvent]:
    if command.actor.role not in (Role.INTEGRATION, Role.ADMIN):
        raise NotAllowed("integration-only", "the purchase history comes from the ERP")
    document = command.document
    require(bool(document.number.strip()), "missing-value", "a document has a number", field="number")
    require(bool(CURRENCY.fullmatch(document.currency)), "invalid-currency", "a currency is three capital letters "
            "(ISO 4217)", field="currency")  # fmt: skip
    amount(document.amount, "amount")
    for line in document.lines:
        require(bool(line.sku.strip()), "missing-value", "a line has a sku", field="lines.sku")
        amount(line.quantity, "lines.quantity")
        amount(line.amount, "lines.amount")
    earlier = state.documents.get(key(document.kind, document.number))
    if earlier is not None and _content(earlier) == _content(document):
        return []  # the same document again: nothing new
    if earlier is not None and earlier.changed_at and document.changed_at and document.changed_at < earlier.changed_at:
        return []  # a delivery overtaken by a newer version of the document (retries reorder them)
    revised = replace(document, revision=earlier.revision + 1 if earlier else 1)
    return [PurchaseDocumentRecorded(account_id=command.account_id, document=revised, delivery_id=command.delivery_id)]


def _content(document: Document) -> Document:
    return replace(document, revision=1, changed_at=None)
