"""Across plans, for supervisors: revisions waiting for review and the budget of the actions in force."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from service.api.deps import ActorDep, RuntimeDep
from service.api.freshness import LAGGING, fresh
from service.domain.account.access import list_scope

router = APIRouter(tags=["plans"])


class ReviewItem(BaseModel):
    plan_id: str
    account_id: str
    account_name: str
    manager: str
    title: str
    revision: int
    proposed_by: str
    proposed_at: datetime | None
    waiting_days: int | None


QUEUE = """
SELECT p.plan_id, p.account_id, a.name AS account_name, a.owner AS manager, p.title,
       p.pending_revision AS revision, p.pending_by AS proposed_by, p.pending_since AS proposed_at
FROM read.plans p JOIN read.accounts a USING (account_id)
WHERE p.pending_revision IS NOT NULL AND p.superseded_by IS NULL AND p.abandoned_at IS NULL
  AND ($1::text IS NULL OR a.owner = $1) AND ($2::text IS NULL OR a.team = $2)
ORDER BY p.pending_since, p.plan_id
"""


@router.get(
    "/plan-reviews",
    operation_id="reviewQueue",
    summary="The supervisor's queue: proposed revisions waiting for review, oldest first",
    response_model=list[ReviewItem],
    responses=LAGGING,
)
async def review_queue(
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("plans", "accounts"))],
    manager: str | None = None,
    team: str | None = None,
) -> list[ReviewItem]:
    scoped = list_scope(actor, manager, team)
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch(QUEUE, *scoped) if scoped else []
    now = datetime.now().astimezone()
    return [
        ReviewItem(**dict(r), waiting_days=(now - r["proposed_at"]).days if r["proposed_at"] else None) for r in rows
    ]


class BudgetRow(BaseModel):
    team: str | None
    manager: str
    period: str
    currency: str
    budget: str
    done: str = Field(description="Cost of the actions marked done.")
    actions: int


BUDGETS = """
SELECT a.team, a.owner AS manager, x.period, x.currency, sum(x.cost) AS budget,
       sum(x.cost) FILTER (WHERE x.status = 'done') AS done, count(*) AS actions
FROM read.plan_actions x JOIN read.accounts a USING (account_id)
WHERE NOT x.superseded AND ($1::text IS NULL OR a.owner = $1) AND ($2::text IS NULL OR a.team = $2)
GROUP BY a.team, a.owner, x.period, x.currency
ORDER BY a.team NULLS LAST, a.owner, x.period, x.currency
"""


@router.get(
    "/plan-budgets",
    operation_id="planBudgets",
    summary="Budget of the supplier's actions in the plans in force, per team, manager, period and currency",
    response_model=list[BudgetRow],
    responses=LAGGING,
)
async def plan_budgets(
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("plans", "accounts"))],
    manager: str | None = None,
    team: str | None = None,
) -> list[BudgetRow]:
    scoped = list_scope(actor, manager, team)
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch(BUDGETS, *scoped) if scoped else []
    return [
        BudgetRow(
            team=r["team"],
            manager=r["manager"],
            period=r["period"],
            currency=r["currency"],
            budget=format(r["budget"], "f"),
            done=format(r["done"] or 0, "f"),
            actions=r["actions"],
        )
        for r in rows
    ]
