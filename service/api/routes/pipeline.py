"""The pipeline: projects by stage with value and age in stage, stalled projects; conversion between stages.

The pipeline pages by manager: a page holds up to `limit` managers, each with all their projects and the totals
over them, so a manager's summary is never split across pages.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from service.api.commanding import company_settings
from service.api.days import today
from service.api.deps import ActorDep, RuntimeDep
from service.api.freshness import LAGGING, fresh
from service.api.moments import Moment
from service.api.pagination import Cursor, Limit, decode_cursor, page, text
from service.domain.account.access import list_scope
from service.domain.errors import require
from service.domain.opportunity.criteria import Stage
from service.domain.opportunity.view import stalls

router = APIRouter(tags=["sales projects"])


class ProjectRow(BaseModel):
    opportunity_id: str
    account_id: str
    account_name: str
    product_line: str
    kind: str
    stage: str
    value: dict[str, Any] | None
    days_in_stage: int | None
    last_interaction_on: str | None
    stalled: bool = Field(
        description="No stage change and no interaction with the client for the company's stalled_days."
    )
    overrides: int


class StageSummary(BaseModel):
    stage: str
    projects: int
    value: dict[str, str] = Field(description="Expected value per currency.")


class ManagerPipeline(BaseModel):
    manager: str
    stages: list[StageSummary]
    stalled: int
    projects: list[ProjectRow]


class Pipeline(BaseModel):
    stalled_days: int
    managers: list[ManagerPipeline] = Field(description="By manager; a page holds each of its managers whole.")
    next_cursor: str | None


# the projects of the first $4 managers after the cursor's, in scope
OPEN_PROJECTS = """
WITH managers AS (
    SELECT DISTINCT a.owner FROM read.opportunities o JOIN read.accounts a USING (account_id)
    WHERE o.status = 'open' AND ($1::text IS NULL OR a.owner = $1) AND ($2::text IS NULL OR a.team = $2)
      AND ($3::text IS NULL OR a.owner > $3)
    ORDER BY a.owner
    LIMIT $4
)
SELECT o.*, a.name AS account_name, a.owner FROM read.opportunities o JOIN read.accounts a USING (account_id)
WHERE o.status = 'open' AND ($1::text IS NULL OR a.owner = $1) AND ($2::text IS NULL OR a.team = $2)
  AND a.owner IN (SELECT owner FROM managers)
ORDER BY a.owner, o.stage_entered_at, o.opportunity_id
"""


@router.get(
    "/pipeline",
    operation_id="getPipeline",
    summary="Open projects per manager by stage: value, age in stage, stalled projects",
    description="Pages by manager: `limit` managers on a page, each with all their projects.",
    response_model=Pipeline,
    responses=LAGGING,
)
async def get_pipeline(
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("opportunities", "accounts"))],
    manager: Annotated[str | None, Query(description="Only this manager.")] = None,
    team: Annotated[str | None, Query(description="Only this team (admin and bi).")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Pipeline:
    scoped = list_scope(actor, manager, team)
    after = decode_cursor(cursor, manager=text)
    settings = await company_settings(runtime)
    day = today()
    async with runtime.pool.acquire() as conn:
        rows = (
            await conn.fetch(OPEN_PROJECTS, *scoped, after["manager"] if after else None, limit + 1) if scoped else []
        )
    by_manager: dict[str, list[ProjectRow]] = defaultdict(list)
    for r in rows:
        entered = r["stage_entered_at"].date() if r["stage_entered_at"] else None
        by_manager[r["owner"]].append(
            ProjectRow(
                opportunity_id=r["opportunity_id"],
                account_id=r["account_id"],
                account_name=r["account_name"],
                product_line=r["product_line"],
                kind=r["kind"],
                stage=r["stage"],
                value={"amount": format(r["value_amount"], "f"), "currency": r["value_currency"]}
                if r["value_amount"] is not None
                else None,
                # a stage entered on a day UTC's has not reached yet (dated east of Greenwich) has no day in it yet
                days_in_stage=max((day - entered).days, 0) if entered else None,
                last_interaction_on=r["last_interaction_on"].isoformat() if r["last_interaction_on"] else None,
                stalled=stalls(Stage(r["stage"]), entered, r["last_interaction_on"], day, settings.stalled_days),
                overrides=r["overrides"],
            )
        )
    managers = []
    for name, projects in by_manager.items():  # in the query's order, which the cursor follows
        stages = []
        for stage in Stage:
            here = [p for p in projects if p.stage == stage.value]
            totals: dict[str, Decimal] = defaultdict(Decimal)
            for p in here:
                if p.value:
                    totals[p.value["currency"]] += Decimal(p.value["amount"])
            stages.append(
                StageSummary(stage=stage.value, projects=len(here), value={k: str(v) for k, v in totals.items()})
            )
        managers.append(
            ManagerPipeline(manager=name, stages=stages, stalled=sum(p.stalled for p in projects), projects=projects)
        )
    kept, next_cursor = page(managers, limit, lambda last: {"manager": last.manager})
    return Pipeline(stalled_days=settings.stalled_days, managers=kept, next_cursor=next_cursor)


class Conversion(BaseModel):
    stage: str
    entered: int = Field(description="Projects that entered the stage in the period.")
    advanced: int = Field(description="Of those, how many went on to the next stage (by the end of the period).")
    lost: int = Field(description="Of those, how many were lost in that stage by the end of the period.")
    rate: float | None = Field(description="advanced / entered.")


class ConversionReport(BaseModel):
    since: datetime
    until: datetime
    stages: list[Conversion]


# Stage changes are credited to the owner and team of the account when each was recorded ($1, $2), not to its owner
# now: the projects that entered a stage in the period ($3 to $4) under them, with every change of those projects
# before the period's end, whoever made it, since what came of a stage entered is part of that entry's conversion.
CHANGES = """
WITH entered AS (
    SELECT DISTINCT opportunity_id FROM read.stage_changes
    WHERE ($1::text IS NULL OR owner = $1) AND ($2::text IS NULL OR team = $2) AND at >= $3 AND at < $4
)
SELECT c.opportunity_id, c.from_stage, c.to_stage, c.at,
       ($1::text IS NULL OR c.owner = $1) AND ($2::text IS NULL OR c.team = $2) AS credited
FROM read.stage_changes c JOIN entered USING (opportunity_id)
WHERE c.at < $4
"""
# Of those projects, the ones lost at the end of the period ($2), and the stage each was lost in: a loss before it, not
# reopened by then (one lost later was still open; one reopened since was lost then, and one lost twice, lost in either
# stage).
LOST_AT_END = """
SELECT opportunity_id, stage FROM read.opportunity_losses
WHERE opportunity_id = ANY($1::text[]) AND lost_at < $2 AND (reopened_at IS NULL OR reopened_at >= $2)
"""


@router.get(
    "/pipeline/conversion",
    operation_id="getConversion",
    summary="Conversion between stages: of the projects that entered each stage in the period, how many advanced",
    response_model=ConversionReport,
    responses=LAGGING,
)
async def get_conversion(
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("opportunities"))],
    since: Annotated[Moment, Query(description="Start of the period.")],
    until: Annotated[Moment | None, Query(description="End of the period; default now.")] = None,
    manager: Annotated[
        str | None, Query(description="Only the stages entered while this manager owned the account.")
    ] = None,
    team: Annotated[
        str | None, Query(description="Only the stages entered while the account was in this team.")
    ] = None,
) -> ConversionReport:
    end = until or datetime.now(UTC)
    if until is None:  # the period ends now: the one field given is the one at fault
        require(
            end >= since,
            "date-in-future",
            "since is in the future: the period would end before it starts",
            field="since",
        )
    else:
        require(
            end >= since,
            "period-ends-before-it-starts",
            "until is before since",
            field="until",
            since=since.isoformat(),
        )
    scoped = list_scope(actor, manager, team)
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch(CHANGES, *scoped, since, end) if scoped else []
        projects = sorted({r["opportunity_id"] for r in rows})
        losses = await conn.fetch(LOST_AT_END, projects, end) if projects else []
    entered: dict[str, set[str]] = defaultdict(set)
    advanced: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r["credited"] and r["at"] >= since:
            entered[r["to_stage"]].add(r["opportunity_id"])
        if r["from_stage"] is not None:
            advanced[r["from_stage"]].add(r["opportunity_id"])
    lost = {(r["opportunity_id"], r["stage"]) for r in losses}
    stages = []
    for stage in list(Stage)[:-1]:
        came = entered[stage.value]
        went = came & advanced[stage.value]
        stages.append(
            Conversion(
                stage=stage.value,
                entered=len(came),
                advanced=len(went),
                lost=sum((pid, stage.value) in lost for pid in came),
                rate=round(len(went) / len(came), 4) if came else None,
            )
        )
    return ConversionReport(since=since, until=end, stages=stages)
