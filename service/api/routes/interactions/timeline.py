"""The timeline: an account's or one buying-center member's interactions, newest first, page by page."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from service.api.commanding import visible_account
from service.api.deps import ActorDep, RuntimeDep
from service.api.freshness import LAGGING, fresh
from service.api.moments import Day, read_day
from service.api.pagination import Cursor, Limit, decode_cursor, page, text
from service.api.routes.buying_center.resource import member_of
from service.commands.aggregates import BUYING_CENTER, buying_center_stream
from service.domain.errors import require
from service.domain.interaction import model as im
from service.runtime import Runtime

router = APIRouter(tags=["interactions"])


class TimelineEntry(BaseModel):
    interaction_id: str
    kind: str
    occurred_on: date
    participants: list[str]
    our_participants: list[str]
    summary: str
    outcome: str
    next_step: str
    next_step_due: date | None
    projects: list[str]
    logged_by: str | None
    retracted: bool


class TimelinePage(BaseModel):
    items: list[TimelineEntry]
    next_cursor: str | None


TIMELINE = """
SELECT interaction_id, kind, occurred_on, participants, our_participants, summary, outcome, next_step,
       next_step_due, projects, logged_by, retracted
FROM read.interactions
WHERE account_id = $1
  AND ($2::text IS NULL OR $2 = ANY(participants))
  AND ($3::text IS NULL OR kind = $3)
  AND ($4::date IS NULL OR occurred_on >= $4)
  AND ($5::date IS NULL OR occurred_on <= $5)
  AND ($6::boolean OR NOT retracted)
  AND ($7::text IS NULL OR $7 = ANY(projects))
  AND ($8::date IS NULL OR (occurred_on, interaction_id) < ($8, $9))
ORDER BY occurred_on DESC, interaction_id DESC
LIMIT $10
"""


async def timeline(
    runtime: Runtime,
    account_id: str,
    member_id: str | None,
    kind: im.InteractionKind | None,
    since: date | None,
    until: date | None,
    include_retracted: bool,
    opportunity_id: str | None,
    cursor: str | None,
    limit: int,
) -> TimelinePage:
    if since is not None and until is not None:  # a mistyped period is no empty timeline
        require(
            until >= since,
            "period-ends-before-it-starts",
            "until is before since",
            field="until",
            since=since.isoformat(),
        )
    after = decode_cursor(cursor, occurred_on=read_day, interaction_id=text)
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            TIMELINE,
            account_id,
            member_id,
            kind.value if kind else None,
            since,
            until,
            include_retracted,
            opportunity_id,
            after["occurred_on"] if after else None,
            after["interaction_id"] if after else None,
            limit + 1,
        )
    items, next_cursor = page(
        [TimelineEntry(**dict(r)) for r in rows],
        limit,
        lambda last: {"occurred_on": last.occurred_on.isoformat(), "interaction_id": last.interaction_id},
    )
    return TimelinePage(items=items, next_cursor=next_cursor)


@router.get(
    "/accounts/{account_id}/timeline",
    operation_id="accountTimeline",
    summary="The account's interactions, newest first; filter by member, kind, dates, project",
    response_model=TimelinePage,
    responses=LAGGING,
)
async def account_timeline(
    account_id: UUID,
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("interactions"))],
    member_id: str | None = None,
    kind: im.InteractionKind | None = None,
    since: Day | None = None,
    until: Day | None = None,
    opportunity_id: str | None = None,
    include_retracted: bool = False,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> TimelinePage:
    await visible_account(runtime, actor, str(account_id))
    return await timeline(
        runtime, str(account_id), member_id, kind, since, until, include_retracted, opportunity_id, cursor, limit
    )


@router.get(
    "/accounts/{account_id}/buying-center/members/{member_id}/timeline",
    operation_id="memberTimeline",
    summary="The interactions a member took part in, newest first",
    response_model=TimelinePage,
    responses=LAGGING,
)
async def member_timeline(
    account_id: UUID,
    member_id: str,
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("interactions"))],
    kind: im.InteractionKind | None = None,
    since: Day | None = None,
    until: Day | None = None,
    include_retracted: bool = False,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> TimelinePage:
    await visible_account(runtime, actor, str(account_id))
    # a member of another account, or of none, is a 404 as on GET …/members/{m}, not an empty timeline
    member_of((await runtime.repository.load(BUYING_CENTER, buying_center_stream(str(account_id)))).state, member_id)
    return await timeline(
        runtime, str(account_id), member_id, kind, since, until, include_retracted, None, cursor, limit
    )
