"""Facts about a dossier. An answer about a person is sealed with that person (subject = member id): its value,
where we learnt it, and why it was retracted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from service.domain.dossier.state import Confidence, DocumentKind


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerRecorded:
    """A first answer, or a revision of the one in force (the history keeps both). One learnt before the answer in
    force (a back-dated answer, such as a lesson of an old interaction logged late) goes into the history only."""

    account_id: str
    question_code: str
    about: str | None
    value: Any
    source: str | None  # None: forgotten with the person the answer is about
    learned_on: date
    confidence: Confidence
    template_version: int
    by: str = ""  # who recorded it (one of us: not the person's data); empty in events written before it was kept

    def personal(self) -> dict[str, str]:
        if not self.about:
            return {}
        return {"value": self.about, "source": self.about} if self.source else {"value": self.about}


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerRetracted:
    question_code: str
    about: str | None
    reason: str | None
    by: str = ""  # who retracted it

    def personal(self) -> dict[str, str]:
        return {"reason": self.about} if self.about and self.reason else {}


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentAttached:
    account_id: str
    document_id: str
    title: str
    kind: DocumentKind
    url: str
    document_ref: str
    question_code: str | None

    def personal(self) -> dict[str, str]:
        return {}


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentDetached:
    document_id: str
    reason: str

    def personal(self) -> dict[str, str]:
        return {}


DossierEvent = AnswerRecorded | AnswerRetracted | DocumentAttached | DocumentDetached
EVENTS = (AnswerRecorded, AnswerRetracted, DocumentAttached, DocumentDetached)
