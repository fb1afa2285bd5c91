"""What a well-formed plan item is, and how a planning session's changes apply to a plan's content."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from service.domain import codec
from service.domain.errors import CURRENCY, Conflict, NotFound, amount, clean_text, parse_day, require
from service.domain.plan.content import (
    CLASS,
    Action,
    Goal,
    GoalKind,
    ItemType,
    Note,
    PlanContent,
    PlanItem,
    Strategy,
    period_holds,
    period_year,
    with_item,
    without_item,
)
from service.domain.plan.state import Plan

# Free text with this aggregate's defaults (a call may override them).
plan_text = partial(clean_text, required=True, limit=2000)


def _period(state: Plan, period: str | None) -> None:
    if period is None:
        return
    year = period_year(period)
    require(year is not None, "invalid-period", f"period {period!r} is a year (2027) or a quarter (2027-Q2)")
    require(
        state.horizon_from <= (year or 0) <= state.horizon_to,
        "period-outside-horizon",
        f"{period} is outside the plan's horizon {state.horizon_from}–{state.horizon_to}",
        period=period,
    )


def check_item(state: Plan, item_type: ItemType, item: PlanItem) -> PlanItem:
    """An item as stored: texts trimmed, periods within the horizon, money and dates well formed."""
    require(isinstance(item, CLASS[item_type]), "invalid-item", f"not a {item_type.value}")
    plan_text(item.item_id, "item_id", limit=100)
    match item:
        case Goal():
            _period(state, item.period)
            amount(item.target, "target")
            require(  # a share of the client's purchases: 250 % of them is no goal anyone can reach
                item.kind is not GoalKind.SHARE or item.target <= 100,
                "out-of-range",
                "a share goal's target is a percentage, 0 to 100",
                field="target",
            )
            return replace(
                item,
                description=plan_text(item.description, "description"),
                unit=plan_text(item.unit, "unit", limit=20),
            )
        case Strategy():
            _period(state, item.period)
            return replace(item, text=plan_text(item.text, "text"))
        case Action():
            _period(state, item.period)
            amount(item.cost, "cost")
            require(bool(CURRENCY.fullmatch(item.currency)), "invalid-currency", "currency is an ISO 4217 code")
            due = parse_day(item.due)
            require(due is not None, "invalid-date", "due is a date (YYYY-MM-DD) from 1900 to 2999", field="due")
            # an action counts in its period's budget and in the quarter its due date falls in: outside its
            # period it would be in the year's budget and in none of its quarters
            require(
                due is not None and period_holds(item.period, due),
                "due-outside-period",
                f"due {item.due} is not in the action's period {item.period}",
                field="due",
                period=item.period,
            )
            return replace(item, what=plan_text(item.what, "what"), owner=plan_text(item.owner, "owner", limit=200))
        case Note():
            return replace(item, text=plan_text(item.text, "text"))
    raise AssertionError(item)


def ensure_id_free(content: PlanContent, item_type: ItemType, item_id: str) -> None:
    """An item id names one item of the plan: comments, progress and actuals are keyed by it alone."""
    found = content.find(item_id)
    if found is not None and found[0] is not item_type:
        raise Conflict(
            "item-id-taken", f"{item_id} is a {found[0].value} of this plan", item=item_id, item_type=found[0].value
        )


def apply_change(content: PlanContent, state: Plan, change: Any) -> PlanContent:
    item_type = ItemType(change.item_type)
    if change.op == "remove":
        if change.item_id not in content.items(item_type):
            raise NotFound("item-not-found", f"no {item_type.value} {change.item_id} in the plan", item=change.item_id)
        return without_item(content, item_type, change.item_id)
    item = check_item(state, item_type, codec.from_dict(CLASS[item_type], change.item or {}))
    ensure_id_free(content, item_type, item.item_id)
    return with_item(content, item_type, item)
