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
    retracted: bool = False
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerSlot:
    """One question (about one person, for personal questions): the answer in force and every earlier one."""

    question_code: str
    about: str | None
    history: tuple[Answer, ...] = ()

    @property
    def current(self) -> Answer | None:
        last = self.history[-1] if self.history else None
        return None if last is None or last.retracted else last


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
    title: str
    kind: DocumentKind
    url: str = ""
    document_ref: str = ""  # an id in the company's document system
    question_code: str | None = None
    attached_at: datetime | None = None


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
