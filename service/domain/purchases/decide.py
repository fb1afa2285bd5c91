"""The rules for the purchase history: only the ERP's integration writes it, a delivery older than the newest
timestamp kept for its document is ignored, a document sent again unchanged writes nothing (but a later timestamp
of it), and one sent changed is its next revision."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from service.domain.actors import Role
from service.domain.errors import CURRENCY, NotAllowed, amount, clean_text, require
from service.domain.purchases.commands import PurchaseCommand
from service.domain.purchases.events import PurchaseDocumentReaffirmed, PurchaseDocumentRecorded, PurchaseEvent
from service.domain.purchases.state import Document, PurchaseHistory, key, trimmed


def decide(state: PurchaseHistory, command: PurchaseCommand) -> list[PurchaseEvent]:
    if command.actor.role not in (Role.INTEGRATION, Role.ADMIN):
        raise NotAllowed("integration-only", "the purchase history comes from the ERP")
    document = check_document(command.document)
    earlier = state.documents.get(key(document.kind, document.number))
    if overtaken(state, document):
        return []  # a delivery overtaken by a newer version of the document (retries reorder them)
    if earlier is not None and _content(earlier) == _content(document):
        if document.changed_at is None or (earlier.changed_at and document.changed_at <= earlier.changed_at):
            return []  # the same document again: nothing new
        # the same content as changed later (the ERP changed it and back): the later time is a fact to keep, though
        # no revision, or the version in between, arriving late, would be taken for news
        reaffirmed = PurchaseDocumentReaffirmed(
            account_id=command.account_id, kind=document.kind, number=document.number,
            changed_at=document.changed_at, delivery_id=command.delivery_id,
        )  # fmt: skip
        return [reaffirmed]
    revised = replace(document, revision=earlier.revision + 1 if earlier else 1)
    return [PurchaseDocumentRecorded(account_id=command.account_id, document=revised, delivery_id=command.delivery_id)]


def check_document(document: Document, now: datetime | None = None) -> Document:
    """A document as the rules take it, whatever the history holds: the ERP's delivery is checked with it before
    its id is kept, so that a refused one leaves no trace and its corrected resend is taken under the same id.
    Its number, reference and lines' SKUs come back trimmed: they are identifiers, and " INV-1" kept beside "INV-1"
    would be a second document, a resend with a stray space doubling the purchase history.
    With `now`, a document changed later than that is refused: the ERP's clock has gone wrong, and the time kept
    would make every real version after it count as overtaken."""
    clean_text(document.number, "number", required=True, limit=100)
    require(bool(CURRENCY.fullmatch(document.currency)), "invalid-currency", "a currency is three capital letters "
            "(ISO 4217)", field="currency")  # fmt: skip
    amount(document.amount, "amount")
    for n, line in enumerate(document.lines):  # the line named as validation names it, so a long document's is found
        clean_text(line.sku, f"lines.{n}.sku", required=True, limit=100)
        amount(line.quantity, f"lines.{n}.quantity")
        amount(line.amount, f"lines.{n}.amount")
    if now is not None and document.changed_at is not None:
        require(document.changed_at <= now, "date-in-future", "the document was changed after now", field="timestamp")
    clean_text(document.reference, "reference", required=False, limit=100)
    return trimmed(document)


def overtaken(state: PurchaseHistory, document: Document) -> bool:
    """Whether a delivery of `document` is older than the newest timestamp kept for it: the ERP changed the document
    after it. A delivery without a timestamp cannot be placed in time, and is taken in the order it arrives."""
    kept = state.documents.get(key(document.kind, document.number))
    if kept is None or kept.changed_at is None or document.changed_at is None:
        return False
    return document.changed_at < kept.changed_at


def _content(document: Document) -> Document:
    return replace(document, revision=1, changed_at=None)
