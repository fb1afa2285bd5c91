"""A dossier as it stands: for each question (and, for questions about people, each person) its answer history."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


class Confidence(enum.StrEnum):
    LOW = "low"  # hearsay
    MEDIUM = "medium"
    HIGH = "high"  # confirmed by the client or a document


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    value: Any  # JSON shaped by the question's answer type; None once the person it is about is forgotten
    source: str
    learned_on: date
    confidence: Confidence
    template_version: int
    at: datetime | None = None  # when its command was decided (the event's occurred_at), just before the log's
    recorded_by: str = ""  # who recorded it (DOMAIN.md: an answer has who recorded it), or retracted it
    retracted: bool = False
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerSlot:
    """One question (about one person, for personal questions): every answer given to it, in the order recorded,
    and which of them is in force."""

    question_code: str
    about: str | None
    history: tuple[Answer, ...] = ()  # answers and retractions, oldest recorded first

    @property
    def in_force(self) -> int | None:
        """The index in `history` of the answer in force: the one learnt last (of the latest `learned_on`, the
        later recorded on the same day), so a back-dated answer recorded after it is history only. A retraction
        leaves none in force, and no earlier answer comes back: the next answer recorded, of any date, is."""
        found: int | None = None
        for index, answer in enumerate(self.history):
            if answer.retracted:
                found = None
            elif found is None or answer.learned_on >= self.history[found].learned_on:
                found = index
        return found

    @property
    def current(self) -> Answer | None:
        index = self.in_force
        return None if index is None else self.history[index]


class DocumentKind(enum.StrEnum):
    REPORT = "report"
    PRESENTATION = "presentation"
    CONTRACT = "contract"
    ORG_CHART = "org_chart"
    PRICE_LIST = "price_list"
    NEWS = "news"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    document_id: str
    title: str | None  # None once the person it is about is forgotten (its url and document_ref then read empty)
    kind: DocumentKind
    url: str = ""
    document_ref: str = ""  # an id in the company's document system
    question_code: str | None = None
    attached_at: datetime | None = None
    about: str | None = None  # the member, for a document on a question about a person


def slot_key(question_code: str, about: str | None) -> str:
    """Answers are kept per question, and per person for questions about people."""
    return f"{question_code}@{about}" if about else question_code


@dataclass(frozen=True, slots=True, kw_only=True)
class Dossier:
    account_id: str = ""
    slots: dict[str, AnswerSlot] | None = None
    documents: dict[str, Document] | None = None

    @property
    def answers(self) -> dict[str, AnswerSlot]:
        return self.slots or {}

    @property
    def docs(self) -> dict[str, Document]:
        return self.documents or {}
