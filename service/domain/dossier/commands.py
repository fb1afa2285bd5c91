"""What managers ask of a dossier. The question's definition and the buying center's members come with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from service.domain.actors import Actor
from service.domain.dossier.state import Confidence, DocumentKind
from service.domain.settings.state import Question


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordAnswer:
    actor: Actor
    account_id: str
    question_code: str
    question: Question | None  # from the template in force (or an earlier one); None: no such question
    template_version: int
    value: Any
    source: str = ""
    learned_on: date
    today: date
    confidence: Confidence = Confidence.MEDIUM
    about: str | None = None  # the member a personal question is about
    members: frozenset[str] = frozenset()  # the account's buying-center members
    left: frozenset[str] = frozenset()  # those of them who have left the client


@dataclass(frozen=True, slots=True, kw_only=True)
class RetractAnswer:
    actor: Actor
    question_code: str
    # its newest definition, also from a template that dropped it since (its answers are kept); None: never asked
    question: Question | None = None
    about: str | None = None
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachDocument:
    actor: Actor
    account_id: str
    document_id: str
    title: str
    kind: DocumentKind
    url: str = ""
    document_ref: str = ""
    question_code: str | None = None
    question_exists: bool = True
    question_personal: bool = False  # about a person: the document names them in `about`, and is sealed with them
    about: str | None = None  # the member a document on a question about a person is about
    members: frozenset[str] = frozenset()  # the account's buying-center members (read for `about` only)
    left: frozenset[str] = frozenset()  # those of them who have left the client


@dataclass(frozen=True, slots=True, kw_only=True)
class DetachDocument:
    actor: Actor
    document_id: str
    reason: str = ""


DossierCommand = RecordAnswer | RetractAnswer | AttachDocument | DetachDocument
