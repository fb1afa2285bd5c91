"""Answers to the dossier's questions: record or revise one, retract it, read its whole history."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep, Written, account_then, company_settings, written
from service.api.days import latest_day, today
from service.api.deps import ActorDep, RuntimeDep
from service.api.moments import Day
from service.api.numbers import PATTERN as AMOUNT_PATTERN
from service.api.routes.dossier.reading import AnswerOut, AsOf, answer_out
from service.commands.aggregates import BUYING_CENTER, DOSSIER, buying_center_stream, dossier_stream
from service.domain import codec
from service.domain.dossier import commands as cmd
from service.domain.dossier.decide import decide
from service.domain.dossier.state import Confidence, slot_key
from service.domain.dossier.view import person_of
from service.domain.errors import NotFound
from service.domain.settings.state import AnswerType

router = APIRouter(tags=["dossier"])

# One field, many shapes: the question's answer type decides which (checked by dossier.answers.normalise).
AnswerValue = Annotated[
    Any,
    WithJsonSchema(
        {
            "description": "Shaped by the question's answer type (GET /v1/settings): text, a string; number, a "
            'number; money, {"amount": "125000.00", "currency": "RUB"}; date, YYYY-MM-DD; choice, one of the '
            "question's choices; list, strings (of the choices, when it has any); person, a buying-center "
            "member id.",
            "anyOf": [
                {"type": "string"},
                {"type": "number"},
                {
                    "type": "object",
                    "required": ["amount", "currency"],
                    "additionalProperties": False,
                    "properties": {
                        "amount": {"anyOf": [{"type": "number"}, {"type": "string", "pattern": AMOUNT_PATTERN}]},
                        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    },
                },
                {"type": "array", "items": {"type": "string"}},
            ],
        }
    ),
]


class DossierAnswerIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
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
    )

    question_code: str = Field(min_length=1, max_length=100)
    value: AnswerValue
    source: str = Field("", max_length=500)
    learned_on: Day
    confidence: Confidence = Confidence.MEDIUM
    about: str | None = Field(None, description="For questions about a person: the buying-center member id.")


class AnswerWritten(Written):
    answer: AnswerOut | None = Field(
        description="The answer in force after the command: the one learnt last, so not the one just recorded when "
        "that was learnt before it (a back-dated answer goes into the history only)."
    )


async def members_and_left(command: Any, account_id: str) -> tuple[frozenset[str], frozenset[str]]:
    """The buying center's members, and those of them who have left the client."""
    center = (await command.runtime.repository.load(BUYING_CENTER, buying_center_stream(account_id))).state
    return frozenset(center.people), center.left


@router.post(
    "/accounts/{account_id}/dossier/answers",
    operation_id="recordAnswer",
    summary="Record an answer, or revise the one in force (the history keeps both; a back-dated one is history)",
    response_model=AnswerWritten,
    status_code=status.HTTP_201_CREATED,
)
async def record_answer(
    account_id: UUID, body: DossierAnswerIn, response: Response, command: CommandDep
) -> AnswerWritten:
    settings = await company_settings(command.runtime)
    question = settings.template.question(body.question_code)
    members, left = (
        await members_and_left(command, str(account_id))
        if question and (question.personal or question.answer_type is AnswerType.PERSON)
        else (frozenset(), frozenset())
    )
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
                today=latest_day(),
                confidence=body.confidence,
                about=body.about,
                members=members,
                left=left,
            ),
        ),
        account_id=str(account_id),
    )
    state = outcome.state
    slot = state.answers.get(slot_key(body.question_code, body.about))
    review = question.review_days if question else 180
    gone = question is not None and slot is not None and person_of(question, slot) in left
    answer = answer_out(slot, review, today(), gone) if slot and slot.current else None
    return AnswerWritten(**written(response, outcome).model_dump(), answer=answer)


class DossierRetractIn(RequestBody):
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
    question = (await company_settings(command.runtime)).question(question_code)  # also one a template dropped
    retract = cmd.RetractAnswer(
        actor=command.actor, question_code=question_code, question=question, about=body.about, reason=body.reason
    )
    outcome = await command.run(
        DOSSIER, dossier_stream(str(account_id)), lambda s: decide(s, retract), account_id=str(account_id)
    )
    return written(response, outcome)


class HistoryOut(BaseModel):
    question_code: str
    about: str | None
    history: list[dict[str, Any]] = Field(description="Every answer and retraction, oldest recorded first.")
    in_force: int | None = Field(
        description="The index in `history` of the answer in force (the one learnt last; of the same day, the later "
        "recorded), null when there is none (retracted)."
    )


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
    await account_then(runtime, actor, str(account_id), as_of)  # a 404 for a moment before the account existed
    loaded = await runtime.repository.load(DOSSIER, dossier_stream(str(account_id)), as_of=as_of)
    slot = loaded.state.answers.get(slot_key(question_code, about))
    if slot is None:
        raise NotFound("answer-not-found", f"question {question_code} has never been answered")
    history = codec.to_dict(slot)["history"]
    return HistoryOut(question_code=question_code, about=about, history=history, in_force=slot.in_force)
