"""The rules of the purchase history, on the pure decider."""

from datetime import date
from decimal import Decimal

import pytest

from service.domain.actors import Actor, Role
from service.domain.errors import DomainError, NotAllowed
from service.domain.purchases.commands import RecordPurchaseDocument
from service.domain.purchases.decide import decide
from service.domain.purchases.evolve import evolve, initial_state
from service.domain.purchases.state import Document, Line, PurchaseKind

ERP = Actor("erp", Role.INTEGRATION)


def document(**changes: object) -> Document:
    fields: dict = {"kind": PurchaseKind.INVOICE, "number": "INV-1", "on": date(2026, 11, 20),
                    "amount": Decimal("100.00"), "currency": "EUR", **changes}  # fmt: skip
    return Document(**fields)


def record(doc: Document, actor: Actor = ERP) -> RecordPurchaseDocument:
    return RecordPurchaseDocument(actor=actor, account_id="a1", document=doc, delivery_id="msg_1")


def test_only_the_erp_or_an_admin_writes_the_history() -> None:
    with pytest.raises(NotAllowed):
        decide(initial_state(), record(document(), Actor("kam", Role.MANAGER)))
    assert decide(initial_state(), record(document(), Actor("root", Role.ADMIN)))


def test_a_changed_document_is_the_next_revision_and_an_unchanged_one_nothing() -> None:
    [first] = decide(initial_state(), record(document()))
    state = evolve(initial_state(), first)
    assert decide(state, record(document())) == []
    [revised] = decide(state, record(document(amount=Decimal("120.00"))))
    assert revised.document.revision == 2
    [other_kind] = decide(state, record(document(kind=PurchaseKind.RETURN)))  # the same number, another kind
    assert other_kind.document.revision == 1


@pytest.mark.parametrize(
    ("doc", "code"),
    [
        (document(currency="euro"), "invalid-currency"),
        (document(number=" "), "missing-value"),
        (document(amount=Decimal("-1")), "out-of-range"),
        (document(lines=(Line(sku="X", quantity=Decimal("1e20"), amount=Decimal(1)),)), "out-of-range"),
    ],
)
def test_a_document_out_of_the_rules_is_refused(doc: Document, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        decide(initial_state(), record(doc))
    assert refused.value.code == code
