"""The dossier as a manager reads it: answers by group, unanswered questions as gaps, staleness, completeness.

Pure: the template in force and `today` come in, so the same function shows the dossier now and as of any
moment (with the template that was in force then).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from service.domain.dossier.state import Answer, AnswerSlot, Dossier
from service.domain.settings.state import DossierTemplate, Question


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionStatus:
    question: Question
    slots: tuple[AnswerSlot, ...]  # with an answer in force
    stale_answers: int  # answers in force learnt longer ago than the question's review period

    @property
    def stale(self) -> bool:
        return self.stale_answers > 0

    @property
    def answered(self) -> bool:
        """An answer in force that can be read: one about a person since forgotten reads back None, and what it
        said is no longer known, so the question is a gap again (found by review)."""
        return any(s.current is not None and s.current.value is not None for s in self.slots)


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


def is_stale(answer: Answer, review_days: int, today: date) -> bool:
    """Learnt longer ago than the question's review period. An answer about a forgotten person (its value reads
    back None) never is: there is nothing left to review, and it cannot be retracted."""
    return answer.value is not None and answer.learned_on + timedelta(days=review_days) < today


def dossier_view(template: DossierTemplate, state: Dossier, today: date) -> DossierView:
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
                        if s.current is not None
                    ),
                )
                for q in g.questions
            ),
        )
        for g in template.groups
    )
    archived = tuple(s for code, slots in sorted(by_question.items()) if code not in asked for s in slots)
    return DossierView(template_version=template.version, groups=groups, archived=archived)
