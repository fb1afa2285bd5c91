"""Forgetting a person of a buying center: name, contacts, notes and answers about them become unreadable
everywhere; the map keeps an anonymous node with its history of roles and attitudes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from service.api.deps import AdminDep, StoreDep, event_metadata

router = APIRouter(tags=["privacy"])

PersonId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@-]+$")]


class Forgotten(BaseModel):
    person_id: str
    forgotten_at: datetime
    already_forgotten: bool = Field(description="True when an earlier request had forgotten the person.")
    position: int | None = Field(description="Global position of the SubjectForgotten event, if one was written.")


@router.post(
    "/people/{person_id}/forget",
    operation_id="forgetPerson",
    summary="Erase a person everywhere (admin): the person id is the buying-center member id",
    response_model=Forgotten,
)
async def forget_person(
    person_id: PersonId, request: Request, response: Response, actor: AdminDep, store: StoreDep
) -> Forgotten:
    done = await store.forget_subject(person_id, event_metadata(request, actor))
    if done.position is not None:
        response.headers["X-Position"] = str(done.position)
    return Forgotten(
        person_id=person_id,
        forgotten_at=done.forgotten_at,
        already_forgotten=done.position is None,
        position=done.position,
    )
