"""What a plan view computes: targets against actuals, overdue actions, and the period plans derived from it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from service.domain.plan.content import PERIOD, Action, Goal, PlanContent
from service.domain.plan.state import ActionStatus, Plan


@dataclass(frozen=True, slots=True)
class GoalStatus:
    goal: Goal
    actual: Decimal | None
    achieved: float | None  # actual / target


@dataclass(frozen=True, slots=True)
class ActionState:
    action: Action
    status: ActionStatus
    overdue: bool  # due before today and not done


def goal_status(plan: Plan, goal: Goal) -> GoalStatus:
    actual = plan.actuals.get(goal.item_id)
    value = actual.value if actual else None
    achieved = float(round(value / goal.target, 4)) if value is not None and goal.target else None
    return GoalStatus(goal, value, achieved)


def action_state(plan: Plan, action: Action, today: date) -> ActionState:
    progress = plan.progress.get(action.item_id)
    status = progress.status if progress else ActionStatus.PLANNED
    return ActionState(action, status, status is not ActionStatus.DONE and date.fromisoformat(action.due) < today)


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def in_period(item_period: str, action_due: str | None, period: str) -> bool:
    """Does an item belong to `period`? A year takes its quarters too; a quarter takes the year's actions due in it."""
    match = PERIOD.fullmatch(period)
    if match is None:
        return False
    year, quarter = match.group(1), match.group(2)
    if quarter is None:
        return item_period.startswith(year)
    if item_period == period:
        return True
    return action_due is not None and item_period == year and quarter_of(date.fromisoformat(action_due)) == period


@dataclass(frozen=True, slots=True)
class PeriodPlan:
    period: str
    goals: list[GoalStatus]
    actions: list[ActionState]
    budget: dict[str, Decimal]  # per currency


def period_plan(plan: Plan, content: PlanContent, period: str, today: date) -> PeriodPlan:
    goals = [goal_status(plan, g) for g in content.goals.values() if in_period(g.period, None, period)]
    actions = [action_state(plan, a, today) for a in content.actions.values() if in_period(a.period, a.due, period)]
    budget: dict[str, Decimal] = defaultdict(Decimal)
    for a in actions:
        budget[a.action.currency] += a.action.cost
    return PeriodPlan(period, goals, actions, dict(budget))
