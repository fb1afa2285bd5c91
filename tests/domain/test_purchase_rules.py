"""The rules of the purchase history, on the pure decider."""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from service.domain.actors import Actor, Role
from service.domain.errors import DomainError, NotAllowed
from service.domain.purchases.commands import RecordPurchaseDocument
from service.domain.purchases.decide import decide, overtaken
from service.domain.purchases.events import PurchaseDocumentReaffirmed, PurchaseDocumentRecorded
from service.domain.purchases.evolve import evolve, initial_state
from service.domain.purchases.state import Document, Line, PurchaseHistory, PurchaseKind

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


def test_a_documents_identifiers_are_kept_trimmed_so_spaces_make_no_second_document() -> None:
    line = Line(sku="FF-200", quantity=Decimal(1), amount=Decimal(1))
    [first] = decide(initial_state(), record(document(reference="SO-1", lines=(line,))))
    state = evolve(initial_state(), first)
    spaced_line = Line(sku=" FF-200 ", quantity=Decimal(1), amount=Decimal(1))
    spaced = document(number=" INV-1\t", reference=" SO-1", lines=(spaced_line,))
    assert decide(state, record(spaced)) == []


def test_a_document_kept_untrimmed_before_that_rule_is_the_one_its_resend_with_spaces_revises() -> None:
    """Found by review: events of before the trimming keep " INV-1", and the fold kept it under that number, so the
    ERP's next delivery of it, as padded as ever, became a second document "INV-1": the history doubled on every old
    document sent again, the very thing trimming was to end."""
    # given a document recorded before identifiers were trimmed (its event holds them as the ERP sent them)
    spaced_line = Line(sku=" FF-200 ", quantity=Decimal(1), amount=Decimal(1))
    spaced = document(number=" INV-1\t", reference=" SO-1", lines=(spaced_line,))
    old = PurchaseDocumentRecorded(account_id="a1", document=spaced, delivery_id="msg_0")
    state = evolve(initial_state(), old)
    # then it reads trimmed, the same delivery again is nothing new, and a changed one is its next revision
    [kept] = state.documents.values()
    assert (kept.number, kept.reference, kept.lines[0].sku) == ("INV-1", "SO-1", "FF-200")
    assert decide(state, record(spaced)) == []
    [revised] = decide(state, record(replace(spaced, amount=Decimal("120.00"))))
    assert (revised.document.number, revised.document.revision) == ("INV-1", 2)
    assert len(evolve(state, revised).documents) == 1


def at(hh_mm: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-20T{hh_mm}:00+00:00")


def received(*docs: Document) -> PurchaseHistory:
    """The history after the ERP's deliveries of `docs`, in this order, each decided on what came before."""
    state = initial_state()
    for doc in docs:
        for event in decide(state, record(doc)):
            state = evolve(state, event)
    return state


def test_a_delivery_older_than_the_version_kept_is_ignored() -> None:
    state = received(document(amount=Decimal("200.00"), changed_at=at("12:00")))
    assert overtaken(state, document(changed_at=at("11:00")))
    assert decide(state, record(document(changed_at=at("11:00")))) == []


def test_an_unchanged_document_sent_as_changed_later_moves_its_time_on_without_a_revision() -> None:
    """The ERP changed A to B at 10:05 and back at 10:10; B's delivery comes last, as a retry."""
    state = received(document(changed_at=at("10:00")))
    [reaffirmed] = decide(state, record(document(changed_at=at("10:10"))))
    assert reaffirmed == PurchaseDocumentReaffirmed(account_id="a1", kind=PurchaseKind.INVOICE, number="INV-1",
                                                    changed_at=at("10:10"), delivery_id="msg_1")  # fmt: skip
    state = evolve(state, reaffirmed)
    [kept] = state.documents.values()
    assert (kept.amount, kept.revision, kept.changed_at) == (Decimal("100.00"), 1, at("10:10"))
    assert decide(state, record(document(amount=Decimal("999.00"), changed_at=at("10:05")))) == []
    assert decide(state, record(document(changed_at=at("10:10")))) == []  # the same again: nothing new
    assert decide(state, record(document())) == []  # nor without a time


def test_a_version_sent_without_a_timestamp_keeps_the_newest_timestamp_the_erp_gave() -> None:
    state = received(document(changed_at=at("10:00")), document(amount=Decimal("120.00")))
    [kept] = state.documents.values()
    assert (kept.amount, kept.revision, kept.changed_at) == (Decimal("120.00"), 2, at("10:00"))
    assert decide(state, record(document(amount=Decimal("90.00"), changed_at=at("09:55")))) == []
    [revised] = decide(state, record(document(amount=Decimal("90.00"), changed_at=at("10:05"))))
    assert revised.document.revision == 3


def test_a_document_first_sent_without_a_timestamp_takes_the_time_of_a_resend_unchanged() -> None:
    state = received(document(), document(changed_at=at("10:10")))
    [kept] = state.documents.values()
    assert (kept.revision, kept.changed_at) == (1, at("10:10"))
    assert decide(state, record(document(amount=Decimal("999.00"), changed_at=at("10:05")))) == []


def test_a_reaffirmation_of_a_document_not_kept_changes_nothing() -> None:
    orphan = PurchaseDocumentReaffirmed(account_id="a1", kind=PurchaseKind.ORDER, number="SO-0",
                                        changed_at=at("10:00"), delivery_id="msg_0")  # fmt: skip
    assert evolve(initial_state(), orphan) == initial_state()
