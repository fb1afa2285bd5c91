"""How a dossier's state follows from its events, keeping every answer's history."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from service.domain.dossier.events import (
    AnswerRecorded,
    AnswerRetracted,
    DocumentAttached,
    DocumentDetached,
    DossierEvent,
)
from service.domain.dossier.state import Answer, AnswerSlot, Document, Dossier, slot_key


def evolve(state: Dossier, event: DossierEvent, at: datetime | None = None) -> Dossier:
    match event:
        case AnswerRecorded():
            key = slot_key(event.question_code, event.about)
            slot = state.answers.get(key) or AnswerSlot(question_code=event.question_code, about=event.about)
            answer = Answer(
                value=event.value,
                source=event.source or "",
                learned_on=event.learned_on,
                confidence=event.confidence,
                template_version=event.template_version,
                at=at,
                recorded_by=event.by,
            )
            slot = replace(slot, history=(*slot.history, answer))
            return replace(state, account_id=event.account_id, slots={**state.answers, key: slot})
        case AnswerRetracted():
            key = slot_key(event.question_code, event.about)
            slot = state.answers.get(key)
            if slot is None or (current := slot.current) is None:
                return state  # decide retracts only an answer in force
            retraction = replace(current, retracted=True, reason=event.reason or "", at=at, recorded_by=event.by)
            slot = replace(slot, history=(*slot.history, retraction))
            return replace(state, slots={**state.answers, key: slot})
        case DocumentAttached():
            document = Document(
                document_id=event.document_id,
                title=event.title,
                kind=event.kind,
                url=event.url or "",
                document_ref=event.document_ref or "",
                question_code=event.question_code,
                attached_at=at,
                about=event.about,
            )
            return replace(state, account_id=event.account_id, documents={**state.docs, event.document_id: document})
        case DocumentDetached():
            return replace(state, documents={k: v for k, v in state.docs.items() if k != event.document_id})
    return state


def initial_state() -> Dossier:
    return Dossier()
