"""The client dossier: answers by group, gaps, staleness and completeness; answers with their history; documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import AwareDatetime, BaseModel, Field

from service.api.commanding import CommandDep, Written, company_settings, today, visible_account, written
from service.api.deps import ActorDep, RuntimeDep
from service.commands.aggregates import BUYING_CENTER, DOSSIER, buying_center_stream, dossier_stream
from service.domain import codec
from service.domain.dossier import commands as cmd
from service.domain.dossier.decide import decide
from service.domain.dossier.state import AnswerSlot, Confidence, DocumentKind, Dossier, slot_key
from service.domain.dossier.view import dossier_view, is_stale
from service.domain.errors import NotFound
from service.domain.settings.state import AnswerType

router = APIRouter(tags=["dossier"])

AsOf = Annotated[AwareDatetime | None, Query(description="The dossier as kamplan knew it at this moment.")]


class AnswerOut(BaseModel):
    about: str | None = Field(description="For questions about a person: the buying-center member.")
    value: Any = Field(description="Shaped by the answer type; null once the person it is about is forgotten.")
    source: str
    learned_on: date
    confidence: Confidence
    template_version: int
    recorded_at: datetime | None
    stale: bool
    revisions: int = Field(description="How many answers this one replaced.")


class QuestionOut(BaseModel):
    code: str
    label: str
    label_ru: str
    answer_type: AnswerType
    choices: list[str]
    review_days: int
    personal: bool
    answered: bool
    stale: bool
    answers: list[AnswerOut]


class GroupOut(BaseModel):
    code: str
    label: str
    label_ru: str
    completeness: float = Field(description="Share of the group's questions with an answer in force, 0 to 1.")
    gaps: list[str] = Field(description="Codes of unanswered questions.")
    questions: list[QuestionOut]


class DocumentOut(BaseModel):
    document_id: str
    title: str
    kind: DocumentKind
    url: str
    document_ref: str
    question_code: str | None
    attached_at: datetime | None


class DossierOut(Written):
    account_id: str
    as_of: datetime | None
    template_version: int
    completeness: float
    gaps: int
    stale: int
    groups: list[GroupOut]
    archived: list[dict[str, Any]] = Field(description="Answers to questions no longer in the template: kept.")
    documents: list[DocumentOut]


def answer_out(slot: AnswerSlot, review_days: int, day: date) -> AnswerOut:
    current = slot.current
    assert current is not None
    return AnswerOut(
        about=slot.about,
        value=current.value,
        source=current.source,
        learned_on=current.learned_on,
        confidence=current.confidence,
        template_version=current.template_version,
        recorded_at=current.at,
        stale=is_stale(current.learned_on, review_days, day),
        revisions=sum(not a.retracted for a in slot.history) - 1,
    )


@router.get(
    "/accounts/{account_id}/dossier",
    operation_id="getDossier",
    summary="The dossier: answers by group, gaps, staleness, completeness",
    response_model=DossierOut,
)
async def get_dossier(
    account_id: UUID, response: Response, runtime: RuntimeDep, actor: ActorDep, as_of: AsOf = None
) -> DossierOut:
    await visible_account(runtime, actor, str(account_id))
    loaded = await runtime.repository.load(DOSSIER, dossier_stream(str(account_id)), as_of=as_of)
    settings = await company_settings(runtime, as_of)
    day = as_of.date() if as_of else today()
    view = dossier_view(settings.template, loaded.state, day)
    response.headers["ETag"] = f'"{loaded.version}"'
    state: Dossier = loaded.state
    return DossierOut(
        version=loaded.version,
        position=loaded.position or None,
        account_id=str(account_id),
        as_of=as_of,
        template_version=view.template_version,
        completeness=view.completeness,
        gaps=sum(not q.answered for q in view.questions),
        stale=view.stale_count,
        groups=[
            GroupOut(
                code=g.code,
                label=g.label,
                label_ru=g.label_ru,
                completeness=g.completeness,
                gaps=[q.question.code for q in g.questions if not q.answered],
                questions=[
                    QuestionOut(
                        code=q.question.code,
                        label=q.question.label,
                        label_ru=q.question.label_ru,
                        answer_type=q.question.answer_type,
                        choices=list(q.question.choices),
                        review_days=q.question.review_days,
                        personal=q.question.personal,
                        answered=q.answered,
                        stale=q.stale,
                        answers=[answer_out(s, q.question.review_days, day) for s in q.slots],
                    )
                    for q in g.questions
                ],
            )
            for g in view.groups
        ],
        archived=[codec.to_dict(s) for s in view.archived],
        documents=[DocumentOut(**codec.to_dict(d)) for d in state.docs.values()],
    )


class DossierAnswerIn(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "question_code": "purchase_volume",
                    "value": {"amount": "42000000", "currency": "RUB"},
                    "source": "Procurement head, meeting 2026-04-02",
                    "learned_on": "2026-04-02",
                    "confidence": "medium",
                }
            ]
        }
    }

    question_code: str = Field(min_length=1, max_length=100)
    value: Any = Field(description="Shaped by the question's answer type (see the dossier view).")
    source: str = Field("", max_length=500)
    learned_on: date
    confidence: Confidence = Confidence.MEDIUM
    about: str | None = Field(None, description="For questions about a person: the buying-center member id.")


class AnswerWritten(Written):
    answer: AnswerOut | None


async def _members(command: Any, account_id: str) -> frozenset[str]:
    loaded = await command.runtime.repository.load(BUYING_CENTER, buying_center_stream(account_id))
    return frozenset(loaded.state.people)


@router.post(
    "/accounts/{account_id}/dossier/answers",
    operation_id="recordAnswer",
    summary="Record an answer, or revise the one in force (the history keeps both)",
    response_model=AnswerWritten,
    status_code=status.HTTP_201_CREATED,
)
async def record_answer(
    account_id: UUID, body: DossierAnswerIn, response: Response, command: CommandDep
) -> AnswerWritten:
    await visible_account(command.runtime, command.actor, str(account_id))
    settings = await company_settings(command.runtime)
    question = settings.template.question(body.question_code)
    members = (
        await _members(command, str(account_id))
        if question and (question.personal or question.answer_type is AnswerType.PERSON)
        else frozenset()
    )
    day = today()
    outcome = await command.run(
        DOSSIER,
        dossier_stream(str(account_id)),
        lambda s: decide(
            s,
            cmd.RecordAnswer(
                actor=command.actor,
                account_id=str(account_id),
                question_code=body.question_code,
                question=question,
                template_version=settings.template.version,
                value=body.value,
                source=body.source,
                learned_on=body.learned_on,
                today=day,
                confidence=body.confidence,
                about=body.about,
                members=members,
            ),
        ),
    )
    state = outcome.state or (await command.runtime.repository.load(DOSSIER, dossier_stream(str(account_id)))).state
    slot = state.answers.get(slot_key(body.question_code, body.about))
    review = question.review_days if question else 180
    answer = answer_out(slot, review, day) if slot and slot.current else None
    return AnswerWritten(**written(response, outcome).model_dump(), answer=answer)


class DossierRetractIn(BaseModel):
    about: str | None = None
    reason: str = Field(min_length=1, max_length=1000)


@router.post(
    "/accounts/{account_id}/dossier/answers/{question_code}/retract",
    operation_id="retractAnswer",
    summary="Retract the answer in force: the question becomes a gap again; the history keeps it",
    response_model=Written,
)
async def retract_answer(
    account_id: UUID, question_code: str, body: DossierRetractIn, response: Response, command: CommandDep
) -> Written:
    await visible_account(command.runtime, command.actor, str(account_id))
    outcome = await command.run(
        DOSSIER,
        dossier_stream(str(account_id)),
        lambda s: decide(
            s, cmd.RetractAnswer(actor=command.actor, question_code=question_code, about=body.about, reason=body.reason)
        ),
    )
    return written(response, outcome)


class HistoryOut(BaseModel):
    question_code: str
    about: str | None
    history: list[dict[str, Any]] = Field(description="Every answer and retraction, oldest first.")


@router.get(
    "/accounts/{account_id}/dossier/answers/{question_code}/history",
    operation_id="answerHistory",
    summary="Every answer given to a question, and its retractions",
    response_model=HistoryOut,
)
async def answer_history(
    account_id: UUID,
    question_code: str,
    runtime: RuntimeDep,
    actor: ActorDep,
    about: str | None = None,
    as_of: AsOf = None,
) -> HistoryOut:
    await visible_account(runtime, actor, str(account_id))
    loaded = await runtime.repository.load(DOSSIER, dossier_stream(str(account_id)), as_of=as_of)
    slot = loaded.state.answers.get(slot_key(question_code, about))
    if slot is None:
        raise NotFound("answer-not-found", f"question {question_code} has never been answered")
    return HistoryOut(question_code=question_code, about=about, history=codec.to_dict(slot)["history"])


class DocumentIn(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"title": "Annual report 2025", "kind": "report", "url": "https://example.com/report-2025.pdf"}
            ]
        }
    }

    title: str = Field(min_length=1, max_length=500)
    kind: DocumentKind = DocumentKind.OTHER
    url: str = Field("", max_length=2000)
    document_ref: str = Field("", max_length=500, description="An id in the company's document system.")
    question_code: str | None = Field(None, description="The question the document informs, if any.")


class DocumentWritten(Written):
    document_id: str


@router.post(
    "/accounts/{account_id}/dossier/documents",
    operation_id="attachDocument",
    summary="Attach a document reference (URL or document id)",
    response_model=DocumentWritten,
    status_code=status.HTTP_201_CREATED,
)
async def attach_document(
    account_id: UUID, body: DocumentIn, response: Response, command: CommandDep
) -> DocumentWritten:
    await visible_account(command.runtime, command.actor, str(account_id))
    settings = await company_settings(command.runtime)
    document_id = command.new_id("document")
    outcome = await command.run(
        DOSSIER,
        dossier_stream(str(account_id)),
        lambda s: decide(
            s,
            cmd.AttachDocument(
                actor=command.actor,
                account_id=str(account_id),
                document_id=document_id,
                title=body.title,
                kind=body.kind,
                url=body.url,
                document_ref=body.document_ref,
                question_code=body.question_code,
                question_exists=body.question_code is None or settings.question(body.question_code) is not None,
            ),
        ),
    )
    return DocumentWritten(**written(response, outcome).model_dump(), document_id=document_id)


@router.delete(
    "/accounts/{account_id}/dossier/documents/{document_id}",
    operation_id="detachDocument",
    summary="Detach a document (it stays in as-of views)",
    response_model=Written,
)
async def detach_document(account_id: UUID, document_id: str, response: Response, command: CommandDep) -> Written:
    await visible_account(command.runtime, command.actor, str(account_id))
    outcome = await command.run(
        DOSSIER,
        dossier_stream(str(account_id)),
        lambda s: decide(s, cmd.DetachDocument(actor=command.actor, document_id=document_id)),
    )
    return written(response, outcome)
