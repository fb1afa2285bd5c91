"""The dossier as it stands, or stood: answers by group, gaps, staleness, completeness, documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from service.api.commanding import Written, account_then, company_settings, set_etag
from service.api.days import day_of
from service.api.deps import ActorDep, RuntimeDep
from service.api.moments import Moment
from service.commands.aggregates import BUYING_CENTER, DOSSIER, buying_center_stream, dossier_stream
from service.domain import codec
from service.domain.dossier.state import AnswerSlot, Confidence, DocumentKind, Dossier
from service.domain.dossier.view import dossier_view, is_stale
from service.domain.settings.state import AnswerType

router = APIRouter(tags=["dossier"])

AsOf = Annotated[Moment | None, Query(description="The dossier as kamplan knew it at this moment.")]


class AnswerOut(BaseModel):
    about: str | None = Field(description="For questions about a person: the buying-center member.")
    value: Any = Field(description="Shaped by the answer type; null once the person it is about is forgotten.")
    source: str
    learned_on: date
    confidence: Confidence
    template_version: int
    recorded_at: datetime | None = Field(
        description="When kamplan took the answer: the time its command was decided, a few milliseconds before "
        "the log's own recorded time (`/audit`), which is what `as_of` compares with."
    )
    recorded_by: str = Field(
        description="Who recorded it (the token's subject); empty for an answer recorded before this was kept."
    )
    stale: bool = Field(
        description="Learnt longer ago than the question's review period; never for an answer about "
        "someone who has left the client, as there is nothing left to re-confirm."
    )
    left_the_client: bool = Field(
        description="About, or naming (a person answer), a buying-center member who has left the client: kept, "
        "but it leaves its question a gap until someone answers it anew (or the member returns)."
    )
    revisions: int = Field(
        description="How many other answers the question's history holds: those this one replaced, and those "
        "learnt before it but recorded after (back-dated)."
    )


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
    title: str | None = Field(
        description="Null once the person it is about is forgotten; its url and document_ref then read empty."
    )
    kind: DocumentKind
    url: str
    document_ref: str
    question_code: str | None
    attached_at: datetime | None
    about: str | None = Field(description="For a document on a question about a person: the buying-center member.")


class DossierOut(Written):
    account_id: str
    as_of: datetime | None
    template_version: int
    completeness: float
    gaps: int = Field(
        description="Questions of the template with no answer in force that still describes the client (one about "
        "someone who has left it does not)."
    )
    stale: int = Field(
        description="Answers in force learnt longer ago than their question's review period (a personal question "
        "counts each person's answer)."
    )
    groups: list[GroupOut]
    archived: list[dict[str, Any]] = Field(description="Answers to questions no longer in the template: kept.")
    documents: list[DocumentOut]


def answer_out(slot: AnswerSlot, review_days: int, day: date, gone: bool = False) -> AnswerOut:
    """`gone`: the answer is about, or names, someone who has left the client (`QuestionStatus.left_the_client`)."""
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
        recorded_by=current.recorded_by,
        stale=not gone and is_stale(current, review_days, day),
        left_the_client=gone,
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
    await account_then(runtime, actor, str(account_id), as_of)
    loaded = await runtime.repository.load(DOSSIER, dossier_stream(str(account_id)), as_of=as_of)
    settings = await company_settings(runtime, as_of)
    center = await runtime.repository.load(BUYING_CENTER, buying_center_stream(str(account_id)), as_of=as_of)
    day = day_of(as_of)
    view = dossier_view(settings.template, loaded.state, day, center.state.left)
    set_etag(response, loaded.version)
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
                        answers=[answer_out(s, q.question.review_days, day, q.left_the_client(s)) for s in q.slots],
                    )
                    for q in g.questions
                ],
            )
            for g in view.groups
        ],
        archived=[codec.to_dict(s) for s in view.archived],
        documents=[DocumentOut(**codec.to_dict(d)) for d in state.docs.values()],
    )
