"""Across plans, for supervisors: revisions waiting for review and the budget of the actions in force, page by page.

Both lists sort on a key that may be null (a revision's time, an account's team): nulls come last, and the
keyset compares (key IS NULL, coalesce(key, filler), …) so that a cursor taken at a null key goes on among them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from service.api.deps import ActorDep, RuntimeDep
from service.api.freshness import LAGGING, fresh
from service.api.moments import read_moment
from service.api.pagination import Cursor, Limit, absent_or, decode_cursor, optional, page, text
from service.domain.account.access import list_scope

router = APIRouter(tags=["plans"])


class ReviewItem(BaseModel):
    plan_id: str
    account_id: str
    account_name: str
    manager: str
    title: str
    revision: int | None = Field(description="The proposed revision; null for a session, numbered once confirmed.")
    session_id: str | None = Field(
        description="A joint planning session the manager recorded, waiting for the supervisor's confirmation "
        "(`POST /plans/{p}/sessions/{s}/confirm`), listed while the supervisor may confirm it (its `confirmable_by` "
        "in `GET /plans/{p}/sessions`): while that manager owns the account, and not while a revision of the plan "
        "waits for review (it is in the queue itself) nor while a successor of the plan is drafted, when it comes back "
        "in its place once the revision is sent back or the successor abandoned; null for a proposed revision."
    )
    proposed_by: str
    proposed_at: datetime | None = Field(description="When the revision was proposed, or the session recorded.")
    waiting_days: int | None
    ends_sessions: int | None = Field(
        description="For a proposed revision, the planning sessions still waiting for confirmation that agreeing it "
        "ends for good (`session-outdated` on this plan, `plan-superseded` on the plan a successor supersedes): their "
        "changes were written against the revision in force, so look at them first (`GET /plans/{p}/sessions`); "
        "null for a session."
    )


class ReviewPage(BaseModel):
    items: list[ReviewItem]
    next_cursor: str | None


# proposed revisions, and sessions a manager recorded that the supervisor may confirm now (`view.confirmation`): not
# while a successor of the plan is drafted (successor-pending) or a revision of it waits for review (revision-pending,
# that revision being in the queue itself), and only while that manager still owns the account, as after a hand-over
# the session can no longer be confirmed (recorder not a party). A session held back comes back when the hold clears,
# in its place: the queue is ordered by when it was recorded
QUEUE = """
WITH waiting AS (
    SELECT plan_id, account_id, title, pending_revision AS revision, NULL::text AS session_id,
           pending_by AS proposed_by, pending_since AS proposed_at,
           (SELECT count(*) FROM read.plan_sessions s
            WHERE s.status = 'waiting' AND s.plan_id IN (plans.plan_id, plans.supersedes))::int AS ends_sessions
    FROM read.plans
    WHERE pending_revision IS NOT NULL AND superseded_by IS NULL AND abandoned_at IS NULL
    UNION ALL
    SELECT s.plan_id, s.account_id, p.title, NULL, s.session_id, s.recorded_by, s.recorded_at, NULL
    FROM read.plan_sessions s JOIN read.plans p USING (plan_id)
    WHERE s.status = 'waiting' AND s.recorded_role = 'manager' AND p.successor IS NULL AND p.pending_revision IS NULL
)
SELECT w.*, a.name AS account_name, a.owner AS manager
FROM waiting w JOIN read.accounts a USING (account_id)
WHERE ($1::text IS NULL OR a.owner = $1) AND ($2::text IS NULL OR a.team = $2)
  AND (w.session_id IS NULL OR w.proposed_by = a.owner)
  AND ($3::text IS NULL OR (w.proposed_at IS NULL, coalesce(w.proposed_at, '-infinity'), w.plan_id,
                            coalesce(w.session_id, ''))
                           > ($4::timestamptz IS NULL, coalesce($4, '-infinity'), $3, coalesce($5, '')))
ORDER BY w.proposed_at NULLS LAST, w.plan_id, coalesce(w.session_id, '')
LIMIT $6
"""


@router.get(
    "/plan-reviews",
    operation_id="reviewQueue",
    summary="The supervisor's queue: proposed revisions and the manager's planning sessions waiting for them, "
    "oldest first",
    response_model=ReviewPage,
    responses=LAGGING,
)
async def review_queue(
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("plans", "accounts"))],
    manager: str | None = None,
    team: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ReviewPage:
    scoped = list_scope(actor, manager, team)
    after = decode_cursor(cursor, proposed_at=optional(read_moment), plan_id=text, session_id=absent_or(text)) or {}
    async with runtime.pool.acquire() as conn:
        rows = (
            await conn.fetch(
                QUEUE, *scoped, after.get("plan_id"), after.get("proposed_at"), after.get("session_id"), limit + 1
            )
            if scoped
            else []
        )
    now = datetime.now().astimezone()
    items, next_cursor = page(
        [ReviewItem(**dict(r), waiting_days=(now - r["proposed_at"]).days if r["proposed_at"] else None) for r in rows],
        limit,
        lambda last: {
            "proposed_at": last.proposed_at.isoformat() if last.proposed_at else None,
            "plan_id": last.plan_id,
            "session_id": last.session_id,
        },
    )
    return ReviewPage(items=items, next_cursor=next_cursor)


class BudgetRow(BaseModel):
    team: str | None
    manager: str
    period: str
    currency: str
    budget: str
    done: str = Field(description="Cost of the actions marked done.")
    actions: int


class BudgetPage(BaseModel):
    items: list[BudgetRow]
    next_cursor: str | None


# the keyset filters on the grouping keys, before grouping: a group is past the cursor as a whole or not at all
BUDGETS = """
SELECT a.team, a.owner AS manager, x.period, x.currency, sum(x.cost) AS budget,
       coalesce(sum(x.cost) FILTER (WHERE x.status = 'done'), 0) AS done, count(*) AS actions
FROM read.plan_actions x JOIN read.accounts a USING (account_id)
WHERE NOT x.superseded AND ($1::text IS NULL OR a.owner = $1) AND ($2::text IS NULL OR a.team = $2)
  AND ($3::text IS NULL OR (a.team IS NULL, coalesce(a.team, ''), a.owner, x.period, x.currency)
                           > ($4::text IS NULL, coalesce($4, ''), $3, $5, $6))
GROUP BY a.team, a.owner, x.period, x.currency
ORDER BY a.team NULLS LAST, a.owner, x.period, x.currency
LIMIT $7
"""


@router.get(
    "/plan-budgets",
    operation_id="planBudgets",
    summary="Budget of the supplier's actions in the plans in force, per team, manager, period and currency",
    response_model=BudgetPage,
    responses=LAGGING,
)
async def plan_budgets(
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("plans", "accounts"))],
    manager: str | None = None,
    team: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> BudgetPage:
    scoped = list_scope(actor, manager, team)
    after = decode_cursor(cursor, team=optional(text), manager=text, period=text, currency=text) or {}
    keys = [after.get(k) for k in ("manager", "team", "period", "currency")]
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch(BUDGETS, *scoped, *keys, limit + 1) if scoped else []
    items, next_cursor = page(
        [_budget_row(r) for r in rows],
        limit,
        lambda last: last.model_dump(include={"team", "manager", "period", "currency"}),
    )
    return BudgetPage(items=items, next_cursor=next_cursor)


def _budget_row(r: asyncpg.Record) -> BudgetRow:
    return BudgetRow(
        team=r["team"],
        manager=r["manager"],
        period=r["period"],
        currency=r["currency"],
        budget=format(r["budget"], "f"),
        done=format(r["done"], "f"),
        actions=r["actions"],
    )
