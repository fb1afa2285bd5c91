"""What a plan view computes: targets against actuals, overdue actions, and the period plans derived from it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from service.domain.plan.commands import Parties
from service.domain.plan.content import PERIOD, Action, Goal, PlanContent
from service.domain.plan.sessions import recorder_still_a_party
from service.domain.plan.state import ActionStatus, Plan, Session


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


class Standing(StrEnum):
    """A plan's place among its account's plans."""

    CURRENT = "current"  # the account's plan: in force, or drafted as its first
    SUCCESSOR_PENDING = "successor_pending"  # drafted to supersede the current plan, which stays in force meanwhile
    SUPERSEDED = "superseded"
    ABANDONED = "abandoned"  # a successor given up before it was agreed


def standings(plans: Iterable[Plan]) -> list[tuple[Plan, Standing]]:
    """An account's plans with their standing: the current one first, then a successor being drafted, then superseded
    and abandoned ones, each newest first. A successor is pending while its predecessor names it (one started by the
    earlier rule superseded its predecessor at once, and is current)."""
    plans = list(plans)
    named = {p.successor for p in plans if p.successor is not None}

    def standing(plan: Plan) -> Standing:
        if plan.abandoned is not None:
            return Standing.ABANDONED
        if plan.superseded_by is not None:
            return Standing.SUPERSEDED
        return Standing.SUCCESSOR_PENDING if plan.plan_id in named else Standing.CURRENT

    ranked = [(plan, standing(plan)) for plan in sorted(plans, key=lambda p: p.plan_id)]
    ranked.sort(key=lambda ps: ps[0].started_at.timestamp() if ps[0].started_at else 0.0, reverse=True)
    ranked.sort(key=lambda ps: list(Standing).index(ps[1]))
    return ranked


class SessionStatus(StrEnum):
    """Where a joint planning session stands: only a waiting one may still be confirmed."""

    WAITING = "waiting"  # for the other party (who cannot while a successor is drafted, but may if it is abandoned)
    CONFIRMED = "confirmed"
    OUTDATED = "outdated"  # another revision was agreed since it was recorded on: its changes were decided against
    SUPERSEDED = "superseded"  # its plan left force for a successor before the confirmation
    ABANDONED = "abandoned"  # its plan, a successor, was given up before the confirmation


def session_status(plan: Plan, session: Session) -> SessionStatus:
    """A session no one confirmed before its plan left force, or before a newer agreement, can never be confirmed
    (plan-superseded, plan-abandoned, session-outdated): it is no longer waiting. Each of these is final (a plan
    does not come back into force, nor does an earlier revision), so the state folded to any moment says it."""
    if session.confirmed_by is not None:
        return SessionStatus.CONFIRMED
    if plan.abandoned is not None:
        return SessionStatus.ABANDONED
    if plan.superseded_by is not None:
        return SessionStatus.SUPERSEDED
    if session.based_on != plan.in_force_number:
        return SessionStatus.OUTDATED
    return SessionStatus.WAITING


FINAL_REFUSALS = {
    SessionStatus.CONFIRMED: "session-confirmed",
    SessionStatus.OUTDATED: "session-outdated",
    SessionStatus.SUPERSEDED: "plan-superseded",
    SessionStatus.ABANDONED: "plan-abandoned",
}


@dataclass(frozen=True, slots=True)
class Confirmation:
    """Who may confirm a session now: `by`, the other party's role, or else `refused`, the problem type a
    confirmation meets now, whoever asks. Unlike the status it is not final: it depends on the account's parties."""

    by: str | None
    refused: str | None


def confirmation(plan: Plan, session: Session, parties: Parties) -> Confirmation:
    """The refusals of a confirmation that do not depend on who asks (`decide` and `confirm_session`), the lasting
    ones first: a final status; then a successor being drafted, a recorder no longer a party after a hand-over, a
    revision in review, each of which may pass (the successor abandoned, the account handed back, the revision
    reviewed). A waiting `status` alone would offer a confirmation that always fails."""
    status = session_status(plan, session)
    if status is not SessionStatus.WAITING:
        return Confirmation(None, FINAL_REFUSALS[status])
    if plan.successor is not None:
        return Confirmation(None, "successor-pending")
    if not recorder_still_a_party(session, parties):
        return Confirmation(None, "session-recorder-not-a-party")
    if plan.pending is not None:
        return Confirmation(None, "revision-pending")
    return Confirmation("supervisor" if session.recorded_role == "manager" else "manager", None)
