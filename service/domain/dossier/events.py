"""Facts about a dossier. An answer about a person is sealed with that person (subject = member id): its value,
where we learnt it, and why it was retracted; so are the title and link of a document about them."""

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
    """Version 2. A document on a question about a person names them (`about`), and its title and link are theirs:
    sealed with them, None once they are forgotten (a CV, the minutes of a talk with them). One about the client is
    sealed with no one. Version 1 had no `about`: its title and link, also on a question about a person (before
    that was refused), stay in clear, as the log is immutable."""

    account_id: str
    document_id: str
    title: str | None
    kind: DocumentKind
    url: str | None
    document_ref: str | None
    question_code: str | None
    about: str | None = None

    def personal(self) -> dict[str, str]:
        if not self.about:
            return {}
        return {f: self.about for f in ("title", "url", "document_ref") if getattr(self, f)}


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentDetached:
    document_id: str
    reason: str

    def personal(self) -> dict[str, str]:
        return {}


DossierEvent = AnswerRecorded | AnswerRetracted | DocumentAttached | DocumentDetached
EVENTS = (AnswerRecorded, AnswerRetracted, DocumentAttached, DocumentDetached)
