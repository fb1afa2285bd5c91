"""Executing the plan in force: actions done or slipped, goals' actuals, the period plan derived from it."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep
from service.api.days import day_of, latest_day
from service.api.deps import ActorDep, RuntimeDep
from service.api.moments import Day
from service.api.numbers import Amount
from service.api.routes.plans.resource import AsOf, PlanOut, act, load_visible
from service.domain import codec
from service.domain.errors import NotFound
from service.domain.plan import commands as cmd
from service.domain.plan.content import PlanContent
from service.domain.plan.state import ActionStatus, Plan
from service.domain.plan.view import period_plan

router = APIRouter(tags=["plans"])


class ActionStatusIn(RequestBody):
    status: ActionStatus
    note: str = Field("", max_length=1000)
    on: Day = Field(
        description="The day the action was done or slipped (not in the future). The action's status is the one of the "
        "latest day; a back-dated status is kept in the log but replaces no newer one."
    )


@router.put(
    "/plans/{plan_id}/actions/{action_id}/status",
    operation_id="setActionStatus",
    summary="Mark an action of the plan in force done or slipped",
    response_model=PlanOut,
)
async def set_action_status(
    plan_id: UUID, action_id: str, body: ActionStatusIn, response: Response, command: CommandDep
) -> PlanOut:
    day = latest_day()
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.SetActionStatus(
            actor=command.actor,
            parties=p,
            action_id=action_id,
            status=body.status,
            note=body.note,
            on=body.on,
            today=day,
        ),
    )


class ActualIn(RequestBody):
    value: Amount
    source: str = Field("", max_length=500, examples=["ERP purchase history"])
    on: Day = Field(
        description="The day the value was true (not in the future). The goal's actual is the one of the latest day; "
        "a back-dated value is kept in the log but replaces no newer one."
    )


@router.put(
    "/plans/{plan_id}/goals/{goal_id}/actual",
    operation_id="recordGoalActual",
    summary="Record a goal's actual (entered by hand, or from the ERP once its webhook lands)",
    response_model=PlanOut,
)
async def record_actual(
    plan_id: UUID, goal_id: str, body: ActualIn, response: Response, command: CommandDep
) -> PlanOut:
    day = latest_day()
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.RecordGoalActual(
            actor=command.actor, parties=p, goal_id=goal_id, value=body.value, source=body.source, on=body.on, today=day
        ),
    )


class PeriodOut(BaseModel):
    period: str
    goals: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    budget: dict[str, str]


@router.get(
    "/plans/{plan_id}/periods/{period}",
    operation_id="getPeriodPlan",
    summary="The period plan (a year or a quarter) derived from the plan in force: targets, actions, budget",
    response_model=PeriodOut,
)
async def get_period(
    plan_id: UUID,
    period: Annotated[str, Path(pattern=r"^[0-9]{4}(-Q[1-4])?$")],
    runtime: RuntimeDep,
    actor: ActorDep,
    as_of: AsOf = None,
) -> PeriodOut:
    loaded, _ = await load_visible(runtime, actor, str(plan_id), as_of)
    plan: Plan = loaded.state
    if int(period[:4]) not in range(plan.horizon_from, plan.horizon_to + 1):
        raise NotFound("period-outside-horizon", f"{period} is outside {plan.horizon_from}–{plan.horizon_to}")
    content = plan.in_force.content if plan.in_force else PlanContent()
    derived = period_plan(plan, content, period, day_of(as_of))
    return PeriodOut(
        period=period,
        goals=[
            {**codec.to_dict(g.goal), "actual": str(g.actual) if g.actual is not None else None, "achieved": g.achieved}
            for g in derived.goals
        ],
        actions=[{**codec.to_dict(a.action), "status": a.status.value, "overdue": a.overdue} for a in derived.actions],
        budget={k: format(v, "f") for k, v in derived.budget.items()},
    )
