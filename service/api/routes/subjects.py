"""Forgetting a data subject (GDPR art. 17, 152-FZ art. 21): its personal fields become unreadable everywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from service.api.deps import AdminDep, StoreDep, event_metadata

router = APIRouter(tags=["privacy"])

SubjectId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@-]+$")]


class ForgetResult(BaseModel):
    subject_id: str
    forgotten_at: datetime
    already_forgotten: bool = Field(description="True when an earlier request had forgotten the subject.")
    position: int | None = Field(description="Global position of the SubjectForgotten event, if one was written.")


@router.post(
    "/subjects/{subject_id}/forget",
    operation_id="forgetSubject",
    summary="Destroy a subject's key: its personal fields read back redacted from every stream",
    response_model=ForgetResult,
)
async def forget_subject(
    subject_id: SubjectId, request: Request, response: Response, actor: AdminDep, store: StoreDep
) -> ForgetResult:
    done = await store.forget_subject(subject_id, event_metadata(request, actor))
    if done.position is not None:
        response.headers["X-Position"] = str(done.position)
    return ForgetResult(
        subject_id=subject_id,
        forgotten_at=done.forgotten_at,
        already_forgotten=done.position is None,
        position=done.position,
    )
