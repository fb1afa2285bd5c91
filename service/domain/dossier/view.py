"""The dossier as a manager reads it: answers by group, unanswered questions as gaps, staleness, completeness.

Pure: the template in force, `today` and who has left the client come in, so the same function shows the dossier
now and as of any moment (with the template that was in force then, and the buying center as it stood).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from service.domain.dossier.state import Answer, AnswerSlot, Dossier
from service.domain.settings.state import AnswerType, DossierTemplate, Question


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionStatus:
    question: Question
    slots: tuple[AnswerSlot, ...]  # with an answer in force
    stale_answers: int  # answers in force learnt longer ago than the question's review period
    gone: frozenset[str] = frozenset()  # the buying-center members who have left the client

    @property
    def stale(self) -> bool:
        return self.stale_answers > 0

    @property
    def answered(self) -> bool:
        """An answer in force that can be read and still describes the client: one about a person since forgotten
        reads back None, and what it said is no longer known, and one about (or naming) a person who has left the
        client no longer says who is there, so either leaves the question a gap (found by review)."""
        return any(
            s.current is not None and s.current.value is not None and not self.left_the_client(s) for s in self.slots
        )

    def left_the_client(self, slot: AnswerSlot) -> bool:
        """Whether the answer in force is about, or names (a person answer: the decision maker), someone who has
        left the client: kept and shown, but it fills no gap and there is nothing left to re-confirm."""
        return person_of(self.question, slot) in self.gone


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupStatus:
    code: str
    label: str
    label_ru: str
    questions: tuple[QuestionStatus, ...]

    @property
    def completeness(self) -> float:
        return _ratio(sum(q.answered for q in self.questions), len(self.questions))


@dataclass(frozen=True, slots=True, kw_only=True)
class DossierView:
    template_version: int
    groups: tuple[GroupStatus, ...]
    archived: tuple[AnswerSlot, ...]  # answers to questions no longer in the template: kept, shown apart

    @property
    def questions(self) -> list[QuestionStatus]:
        return [q for g in self.groups for q in g.questions]

    @property
    def completeness(self) -> float:
        return _ratio(sum(q.answered for q in self.questions), len(self.questions))

    @property
    def stale_count(self) -> int:
        """Answers in force that are stale: a personal question has one per person it was answered about."""
        return sum(q.stale_answers for q in self.questions)


def _ratio(done: int, total: int) -> float:
    return round(done / total, 4) if total else 1.0


def person_of(question: Question, slot: AnswerSlot) -> str | None:
    """The member an answer in force is about (a personal question) or names (a person answer), if any."""
    if question.personal:
        return slot.about
    value = slot.current.value if slot.current is not None else None
    return value if question.answer_type is AnswerType.PERSON and isinstance(value, str) else None


def is_stale(answer: Answer, review_days: int, today: date) -> bool:
    """Learnt longer ago than the question's review period. An answer about a forgotten person (its value reads
    back None) never is: there is nothing left to review, and it cannot be retracted."""
    return answer.value is not None and answer.learned_on + timedelta(days=review_days) < today


def dossier_view(
    template: DossierTemplate, state: Dossier, today: date, gone: frozenset[str] = frozenset()
) -> DossierView:
    """`gone`: the members who have left the client (as the buying center knew it on the view's moment)."""
    by_question: dict[str, list[AnswerSlot]] = {}
    for slot in state.answers.values():
        if slot.current is not None:
            by_question.setdefault(slot.question_code, []).append(slot)
    asked = {q.code for g in template.groups for q in g.questions}
    groups = tuple(
        GroupStatus(
            code=g.code,
            label=g.label,
            label_ru=g.label_ru,
            questions=tuple(
                QuestionStatus(
                    question=q,
                    slots=tuple(by_question.get(q.code, ())),
                    stale_answers=sum(
                        is_stale(s.current, q.review_days, today)
                        for s in by_question.get(q.code, ())
                        if s.current is not None and person_of(q, s) not in gone
                    ),
                    gone=gone,
                )
                for q in g.questions
            ),
        )
        for g in template.groups
    )
    archived = tuple(s for code, slots in sorted(by_question.items()) if code not in asked for s in slots)
    return DossierView(template_version=template.version, groups=groups, archived=archived)
