"""Dossier answers: validation per answer type, personal questions, revise/retract history, gaps and staleness."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest

from service.domain.actors import Actor, Role
from service.domain.dossier import commands as cmd
from service.domain.dossier.decide import decide
from service.domain.dossier.evolve import evolve, initial_state
from service.domain.dossier.state import DocumentKind, Dossier
from service.domain.dossier.view import dossier_view
from service.domain.errors import DomainError
from service.domain.settings.defaults import default_settings
from service.domain.settings.state import AnswerType, DossierTemplate, Question, QuestionGroup

KAM = Actor("kam", Role.MANAGER, "north")
TODAY = date(2026, 11, 23)


def q(answer_type: AnswerType, **fields: Any) -> Question:
    return Question(code=f"q_{answer_type.value}", label="Q", label_ru="В", answer_type=answer_type, **fields)


def answer(question: Question | None, value: Any, **fields: Any) -> cmd.RecordAnswer:
    return cmd.RecordAnswer(
        actor=KAM,
        account_id="a1",
        question_code=question.code if question else "nope",
        question=question,
        template_version=1,
        value=value,
        learned_on=fields.pop("learned_on", date(2026, 11, 1)),
        today=TODAY,
        **fields,
    )


def apply(state: Dossier, command: object) -> Dossier:
    for event in decide(state, command):  # type: ignore[arg-type]
        state = evolve(state, event, datetime(2026, 11, 1))
    return state


@pytest.mark.parametrize(
    ("question", "value", "stored"),
    [
        (q(AnswerType.TEXT), "  ISO 9001 certified ", "ISO 9001 certified"),
        (q(AnswerType.NUMBER), 1200, 1200),
        (q(AnswerType.MONEY), {"amount": 42000000, "currency": "RUB"}, {"amount": "42000000", "currency": "RUB"}),
        (q(AnswerType.DATE), "2027-01-15", "2027-01-15"),
        (q(AnswerType.CHOICE, choices=("tender", "direct")), "tender", "tender"),
        (q(AnswerType.LIST, choices=("a", "b", "c")), ["a", "c"], ["a", "c"]),
        (q(AnswerType.CHOICE, choices=("tender", "direct")), " tender ", "tender"),  # trimmed, then matched
        (q(AnswerType.LIST, choices=("a", "b", "c")), [" a", "c "], ["a", "c"]),
        (q(AnswerType.TEXT), " " * 10 + "x" * 5000, "x" * 5000),  # measured as stored, trimmed
        (q(AnswerType.LIST), ["y" * 500], ["y" * 500]),
    ],
)
def test_each_answer_type_takes_its_shape(question: Question, value: Any, stored: Any) -> None:
    [event] = decide(initial_state(), answer(question, value))
    assert event.value == stored


@pytest.mark.parametrize(
    ("question", "value"),
    [
        (q(AnswerType.TEXT), ""),
        (q(AnswerType.NUMBER), "12"),
        (q(AnswerType.NUMBER), True),
        (q(AnswerType.MONEY), {"amount": "lots", "currency": "RUB"}),
        (q(AnswerType.MONEY), {"amount": "10", "currency": "rubles"}),
        (q(AnswerType.DATE), "15.01.2027"),
        (q(AnswerType.CHOICE, choices=("tender", "direct")), "auction"),
        (q(AnswerType.LIST, choices=("a", "b")), ["a", "z"]),
        (q(AnswerType.LIST), []),
        (q(AnswerType.LIST), ["fine", "x" * 501]),  # an item of any length was stored
        (q(AnswerType.TEXT), "x" * 5001),
    ],
)
def test_a_value_of_the_wrong_shape_is_refused_naming_the_type(question: Question, value: Any) -> None:
    with pytest.raises(DomainError) as refused:
        decide(initial_state(), answer(question, value))
    assert refused.value.code == "invalid-answer"
    assert refused.value.details["answer_type"] == question.answer_type.value


def test_person_answers_and_personal_questions_must_name_a_member() -> None:
    person = q(AnswerType.PERSON)
    with pytest.raises(DomainError) as stranger:
        decide(initial_state(), answer(person, "m9", members=frozenset({"m1"})))
    assert stranger.value.code == "member-not-in-buying-center"
    hobby = q(AnswerType.TEXT, personal=True)
    with pytest.raises(DomainError) as nobody:
        decide(initial_state(), answer(hobby, "fishing"))
    assert nobody.value.code == "about-required"
    [event] = decide(initial_state(), answer(hobby, "fishing", about="m1", members=frozenset({"m1"})))
    assert event.personal() == {"value": "m1"}
    with pytest.raises(DomainError) as not_personal:
        decide(initial_state(), answer(q(AnswerType.TEXT), "x", about="m1", members=frozenset({"m1"})))
    assert not_personal.value.code == "about-not-allowed"


def test_unknown_questions_and_future_dates_are_refused() -> None:
    with pytest.raises(DomainError) as unknown:
        decide(initial_state(), answer(None, "x"))
    assert unknown.value.code == "unknown-question"
    with pytest.raises(DomainError) as future:
        decide(initial_state(), answer(q(AnswerType.TEXT), "x", learned_on=date(2027, 1, 1)))
    assert future.value.code == "date-in-future"


def test_revisions_and_retractions_keep_the_history() -> None:
    text = q(AnswerType.TEXT)
    state = apply(initial_state(), answer(text, "first"))
    state = apply(state, answer(text, "second"))
    state = apply(state, cmd.RetractAnswer(actor=KAM, question_code=text.code, reason="the source was wrong"))
    slot = state.answers[text.code]
    assert slot.current is None
    assert [(a.value, a.retracted) for a in slot.history] == [("first", False), ("second", False), ("second", True)]
    with pytest.raises(DomainError) as nothing:
        decide(state, cmd.RetractAnswer(actor=KAM, question_code=text.code, reason="again"))
    assert nothing.value.code == "answer-not-found"


def test_a_retraction_names_whom_a_personal_answer_is_about_and_no_one_for_another() -> None:
    personal = q(AnswerType.TEXT, personal=True)
    state = apply(initial_state(), answer(personal, "golf", about="m1", members=frozenset({"m1"})))
    for question, about, code in (
        (personal, None, "about-required"),
        (q(AnswerType.NUMBER), "m1", "about-not-allowed"),
    ):
        retract = cmd.RetractAnswer(actor=KAM, question_code=question.code, question=question, about=about, reason="x")
        with pytest.raises(DomainError) as refused:
            decide(state, retract)
        assert (refused.value.code, refused.value.details["field"]) == (code, "about")
    retract = cmd.RetractAnswer(actor=KAM, question_code=personal.code, question=personal, about="m1", reason="x")
    assert decide(state, retract)


def test_a_back_dated_answer_goes_into_the_history_and_leaves_the_later_learnt_one_in_force() -> None:
    number = q(AnswerType.NUMBER)
    state = apply(initial_state(), answer(number, 40, learned_on=date(2026, 11, 20)))
    state = apply(state, answer(number, 10, learned_on=date(2026, 7, 1)))  # an old call, logged late
    slot = state.answers[number.code]
    assert [a.value for a in slot.history] == [40, 10]
    assert slot.in_force == 0
    assert slot.current is not None
    assert slot.current.value == 40
    state = apply(state, answer(number, 45, learned_on=date(2026, 11, 20)))  # the same day: the later recorded
    slot = state.answers[number.code]
    assert slot.current is not None
    assert slot.current.value == 45


def test_a_retraction_retracts_the_answer_in_force_and_brings_no_earlier_one_back() -> None:
    number = q(AnswerType.NUMBER)
    state = apply(initial_state(), answer(number, 40, learned_on=date(2026, 11, 20)))
    state = apply(state, answer(number, 10, learned_on=date(2026, 7, 1)))
    state = apply(state, cmd.RetractAnswer(actor=KAM, question_code=number.code, reason="misheard"))
    slot = state.answers[number.code]
    assert slot.current is None
    assert [(a.value, a.retracted) for a in slot.history] == [(40, False), (10, False), (40, True)]
    state = apply(state, answer(number, 12, learned_on=date(2026, 6, 1)))  # after a retraction, any date fills it
    slot = state.answers[number.code]
    assert slot.in_force == 3
    assert slot.current is not None
    assert slot.current.value == 12


def test_documents_need_a_reference() -> None:
    base = {
        "actor": KAM,
        "account_id": "a1",
        "document_id": "d1",
        "title": "Annual report",
        "kind": DocumentKind.REPORT,
    }
    with pytest.raises(DomainError) as none:
        decide(initial_state(), cmd.AttachDocument(**base))
    assert none.value.code == "document-reference-required"
    for url in ("ftp://x", "https://", "http://:80", "http://[::1", "http://[x]/", "http://h:abc", "http://h:70000"):
        with pytest.raises(DomainError) as bad:
            decide(initial_state(), cmd.AttachDocument(**base, url=url))
        assert (bad.value.code, bad.value.details) == ("invalid-url", {"field": "url"}), url
    state = apply(initial_state(), cmd.AttachDocument(**base, url="https://[::1]:8443/r.pdf"))
    assert state.docs["d1"].url == "https://[::1]:8443/r.pdf"
    state = apply(initial_state(), cmd.AttachDocument(**base, url="https://example.com/r.pdf"))
    assert state.docs["d1"].title == "Annual report"


def test_a_document_about_a_person_is_sealed_with_them_and_one_about_the_client_with_no_one() -> None:
    base = {"actor": KAM, "account_id": "a1", "title": "CV of Ivan", "kind": DocumentKind.OTHER, "url": "https://x/cv"}
    person = {"question_code": "hobbies", "question_personal": True, "members": frozenset({"m1"})}
    [cv] = decide(initial_state(), cmd.AttachDocument(**base, **person, document_id="d1", about="m1"))
    assert cv.personal() == {"title": "m1", "url": "m1"}  # no document_ref given: nothing to seal there
    [report] = decide(initial_state(), cmd.AttachDocument(**base, document_id="d2", question_code="revenue"))
    assert (report.about, report.personal()) == (None, {})
    state = evolve(initial_state(), cv, datetime(2026, 11, 1))
    forgotten = evolve(state, replace(cv, document_id="d3", title=None, url=None), datetime(2026, 11, 2))
    assert (state.docs["d1"].about, forgotten.docs["d3"].title, forgotten.docs["d3"].url) == ("m1", None, "")


def test_the_view_shows_gaps_staleness_and_completeness() -> None:
    fresh_q = Question(code="fresh", label="F", label_ru="Ф", answer_type=AnswerType.TEXT, review_days=180)
    old_q = Question(code="old", label="O", label_ru="С", answer_type=AnswerType.TEXT, review_days=30)
    gap_q = Question(code="gap", label="G", label_ru="П", answer_type=AnswerType.TEXT)
    template = DossierTemplate(
        version=1,
        groups=(
            QuestionGroup(code="g1", label="G1", label_ru="Г1", questions=(fresh_q, old_q)),
            QuestionGroup(code="g2", label="G2", label_ru="Г2", questions=(gap_q,)),
        ),
    )
    state = apply(initial_state(), answer(fresh_q, "yes", learned_on=date(2026, 11, 1)))
    state = apply(state, answer(old_q, "long ago", learned_on=date(2026, 9, 1)))
    state = apply(state, answer(Question(code="dropped", label="D", label_ru="Д", answer_type=AnswerType.TEXT), "kept"))
    view = dossier_view(template, state, TODAY)
    assert [g.completeness for g in view.groups] == [1.0, 0.0]
    assert view.completeness == pytest.approx(2 / 3, abs=1e-3)
    assert [(q.question.code, q.answered, q.stale) for q in view.questions] == [
        ("fresh", True, False),
        ("old", True, True),
        ("gap", False, False),
    ]
    assert [s.question_code for s in view.archived] == ["dropped"]


def test_the_stale_count_counts_answers_not_questions() -> None:
    """Two people's stale answers to one personal question counted as one: supervisors saw fewer than there were."""
    dates = Question(code="dates", label="D", label_ru="Д", answer_type=AnswerType.TEXT, review_days=30, personal=True)
    template = DossierTemplate(
        version=1, groups=(QuestionGroup(code="g", label="G", label_ru="Г", questions=(dates,)),)
    )
    people = frozenset({"m1", "m2", "m3"})
    state = initial_state()
    for member, learned in (("m1", date(2026, 6, 1)), ("m2", date(2026, 7, 1)), ("m3", date(2026, 11, 20))):
        state = apply(state, answer(dates, "1 May", about=member, members=people, learned_on=learned))
    view = dossier_view(template, state, TODAY)
    assert view.stale_count == 2
    assert [q.stale for q in view.questions] == [True]

    assert dossier_view(template, state, TODAY, gone=frozenset({"m1"})).stale_count == 1  # m1 has left


def test_who_has_left_the_client_fills_no_gap() -> None:
    """An answer naming the decision maker, or about a person, who has left: kept, but a gap, and never stale."""
    decider = Question(code="dm", label="D", label_ru="Л", answer_type=AnswerType.PERSON, review_days=30)
    hobby = Question(code="hobby", label="H", label_ru="Х", answer_type=AnswerType.TEXT, review_days=30, personal=True)
    template = DossierTemplate(
        version=1, groups=(QuestionGroup(code="g", label="G", label_ru="Г", questions=(decider, hobby)),)
    )
    people = frozenset({"m1", "m2"})
    state = apply(initial_state(), answer(decider, "m1", members=people, learned_on=date(2026, 1, 1)))
    state = apply(state, answer(hobby, "chess", about="m1", members=people, learned_on=date(2026, 1, 1)))
    state = apply(state, answer(hobby, "golf", about="m2", members=people, learned_on=date(2026, 11, 20)))
    view = dossier_view(template, state, TODAY, gone=frozenset({"m1"}))
    assert [(q.question.code, q.answered, q.stale_answers) for q in view.questions] == [
        ("dm", False, 0),
        ("hobby", True, 0),
    ]
    assert [s.about for s in view.questions[1].slots if view.questions[1].left_the_client(s)] == ["m1"]
    assert dossier_view(template, state, TODAY).stale_count == 2


def test_the_default_template_covers_the_domain_in_two_languages() -> None:
    template = default_settings().template
    questions = [q for g in template.groups for q in g.questions]
    assert len(template.groups) >= 6
    assert all(q.label and q.label_ru for q in questions)
    assert any(q.personal for q in questions)


def test_a_new_answer_about_or_naming_a_member_who_has_left_is_refused() -> None:
    """As a project fact naming a leaver: what it would record reads at once as a gap (`left_the_client`)."""
    members, left = frozenset({"m1", "m2"}), frozenset({"m2"})
    person, hobbies = q(AnswerType.PERSON), q(AnswerType.TEXT, personal=True)
    for command, field in (
        (answer(person, "m2", members=members, left=left), "value"),
        (answer(hobbies, "chess", about="m2", members=members, left=left), "about"),
    ):
        with pytest.raises(DomainError) as refused:
            decide(initial_state(), command)
        assert (refused.value.status, refused.value.code, refused.value.details) == (
            409,
            "member-has-left",
            {"member": "m2", "field": field},
        )
    assert decide(initial_state(), answer(person, "m1", members=members, left=left))  # one still there is named
