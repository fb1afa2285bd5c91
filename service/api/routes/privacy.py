"""Forgetting people (GDPR art. 17, 152-FZ art. 21): their personal fields become unreadable everywhere.

Both routes destroy one subject's key (see service/events/personal.py). `/people/{id}` names a buying-center
member, whose map keeps an anonymous node with its history of roles and attitudes, and is a 404 for an id
no member ever had; `/subjects/{id}` names any subject an event marked personal data of, and also forgets
a subject not seen yet (its personal data will be refused when it comes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from service import events
from service.api.deps import AdminDep, StoreDep, event_metadata
from service.domain.actors import Actor
from service.domain.errors import DomainError, NotFound
from service.domain.webhooks.events import secret_subject

router = APIRouter(tags=["privacy"])

_ID = Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@-]+$")
PersonId = Annotated[str, _ID]
SubjectId = Annotated[str, _ID]
_ALREADY = "True when an earlier request had forgotten the {}."
_POSITION = "Global position of the SubjectForgotten event, if one was written."


class Forgotten(BaseModel):
    person_id: str
    forgotten_at: datetime
    already_forgotten: bool = Field(description=_ALREADY.format("person"))
    position: int | None = Field(description=_POSITION)


class ForgetResult(BaseModel):
    subject_id: str
    forgotten_at: datetime
    already_forgotten: bool = Field(description=_ALREADY.format("subject"))
    position: int | None = Field(description=_POSITION)


async def _forget(
    subject: str, request: Request, response: Response, actor: Actor, store: events.EventStore
) -> events.Forgotten:
    if subject.startswith(secret_subject("")):  # the dispatcher would keep a subscription it cannot sign for
        raise DomainError("webhook-secret", "a webhook's secret goes with its subscription: DELETE /v1/webhooks/{id}")
    done = await store.forget_subject(subject, event_metadata(request, actor))
    if done.position is not None:
        response.headers["X-Position"] = str(done.position)
    return done


@router.post(
    "/people/{person_id}/forget",
    operation_id="forgetPerson",
    summary="Erase a person everywhere (admin): the person id is the buying-center member id",
    response_model=Forgotten,
)
async def forget_person(
    person_id: PersonId, request: Request, response: Response, actor: AdminDep, store: StoreDep
) -> Forgotten:
    if not await store.knows_subject(person_id):  # a mistyped id must not tombstone a stranger
        raise NotFound("person-not-found", "no buying-center member with this id was ever recorded")
    done = await _forget(person_id, request, response, actor, store)
    return Forgotten(
        person_id=person_id, forgotten_at=done.forgotten_at, already_forgotten=done.position is None,
        position=done.position,
    )  # fmt: skip


@router.post(
    "/subjects/{subject_id}/forget",
    operation_id="forgetSubject",
    summary="Destroy a subject's key: its personal fields read back redacted from every stream",
    response_model=ForgetResult,
)
async def forget_subject(
    subject_id: SubjectId, request: Request, response: Response, actor: AdminDep, store: StoreDep
) -> ForgetResult:
    done = await _forget(subject_id, request, response, actor, store)
    return ForgetResult(
        subject_id=subject_id, forgotten_at=done.forgotten_at, already_forgotten=done.position is None,
        position=done.position,
    )  # fmt: skip
