"""The supervisor's review of a proposed revision: comments and answers, changes requested, agreement."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep
from service.api.routes.plans.drafting import NoteIn
from service.api.routes.plans.resource import PlanOut, act
from service.domain.plan import commands as cmd

router = APIRouter(tags=["plans"])


class CommentIn(RequestBody):
    item_id: str | None = Field(None, description="The item commented on; null for the revision as a whole.")
    text: str = Field(min_length=1, max_length=2000)


@router.post(
    "/plans/{plan_id}/revisions/{revision}/comments",
    operation_id="commentRevision",
    summary="Comment on a revision or one of its items (supervisor)",
    response_model=PlanOut,
)
async def comment(plan_id: UUID, revision: int, body: CommentIn, response: Response, command: CommandDep) -> PlanOut:
    comment_id = command.new_id("comment")
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.CommentOnRevision(
            actor=command.actor,
            parties=p,
            comment_id=comment_id,
            revision=revision,
            item_id=body.item_id,
            text=body.text,
        ),
    )


class CommentAnswerIn(RequestBody):
    text: str = Field(min_length=1, max_length=2000)


@router.post(
    "/plans/{plan_id}/comments/{comment_id}/answer",
    operation_id="answerComment",
    summary="Answer a supervisor's comment (owner manager)",
    response_model=PlanOut,
)
async def answer(
    plan_id: UUID, comment_id: str, body: CommentAnswerIn, response: Response, command: CommandDep
) -> PlanOut:
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.AnswerComment(actor=command.actor, parties=p, comment_id=comment_id, text=body.text),
    )


class DecisionIn(RequestBody):
    note: str = Field(min_length=1, max_length=2000)


@router.post(
    "/plans/{plan_id}/revisions/{revision}/request-changes",
    operation_id="requestChanges",
    summary="Send the revision back to the manager with what to change (supervisor)",
    response_model=PlanOut,
)
async def request_changes(
    plan_id: UUID, revision: int, body: DecisionIn, response: Response, command: CommandDep
) -> PlanOut:
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.RequestChanges(actor=command.actor, parties=p, revision=revision, note=body.note),
    )


@router.post(
    "/plans/{plan_id}/revisions/{revision}/agree",
    operation_id="agreeRevision",
    summary="Agree the revision: it becomes the plan in force (the team's supervisor or an admin)",
    response_model=PlanOut,
)
async def agree(plan_id: UUID, revision: int, body: NoteIn, response: Response, command: CommandDep) -> PlanOut:
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.AgreeRevision(actor=command.actor, parties=p, revision=revision, note=body.note),
    )
