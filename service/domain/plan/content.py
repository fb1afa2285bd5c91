"""What a plan says: goals, strategies, actions with their budget, assumptions and risks, per period.

Every item has an id, so revisions can be compared item by item (`diff`) and a supervisor can comment
on one item. Periods are years ("2027") or quarters ("2027-Q2") within the plan's horizon.
"""

from __future__ import annotations

import enum
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

# Used with fullmatch: `$` also matches before a final newline, and `\d` matches any Unicode digit (٢٠٢٧).
PERIOD = re.compile(r"([0-9]{4})(?:-Q([1-4]))?")


class GoalKind(enum.StrEnum):
    VOLUME = "volume"  # purchase volume from us
    SHARE = "share"  # our share of the client's purchases
    PRODUCT_LINE = "product_line"  # a new product line bought
    RELATIONSHIP = "relationship"  # e.g. a contact with a decision maker


class ItemType(enum.StrEnum):
    GOAL = "goal"
    STRATEGY = "strategy"
    ACTION = "action"
    ASSUMPTION = "assumption"
    RISK = "risk"


@dataclass(frozen=True, slots=True, kw_only=True)
class Goal:
    item_id: str
    period: str
    kind: GoalKind
    description: str
    target: Decimal  # measurable: volume in money, share in %, 1 for "done" goals
    unit: str  # RUB, %, contacts, ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Strategy:
    item_id: str
    text: str
    period: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """Something the supplier does, with its owner, date and cost: the plan's budget is the sum of these."""

    item_id: str
    period: str
    what: str
    owner: str
    due: str  # ISO date
    cost: Decimal
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """An assumption or a risk."""

    item_id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanContent:
    goals: dict[str, Goal] = field(default_factory=dict)
    strategies: dict[str, Strategy] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    assumptions: dict[str, Note] = field(default_factory=dict)
    risks: dict[str, Note] = field(default_factory=dict)

    def items(self, item_type: ItemType) -> dict[str, Any]:
        return getattr(self, SECTION[item_type])

    def find(self, item_id: str) -> tuple[ItemType, Any] | None:
        for item_type in ItemType:
            if item_id in self.items(item_type):
                return item_type, self.items(item_type)[item_id]
        return None

    def budget(self) -> dict[str, dict[str, Decimal]]:
        """Cost of the actions per period as they are written, and currency: a year's entry holds only the actions
        planned for the whole year (`budget_by_year` gives the years' totals)."""
        return _totals((action.period, action) for action in self.actions.values())

    def budget_by_year(self) -> dict[str, dict[str, Decimal]]:
        """Cost of the actions per year, its quarters included, and currency: what the year's period plan counts."""
        return _totals((action.period[:4], action) for action in self.actions.values())


def _totals(placed: Iterable[tuple[str, Action]]) -> dict[str, dict[str, Decimal]]:
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for period, action in placed:
        totals[period][action.currency] += action.cost
    return {period: dict(by_currency) for period, by_currency in sorted(totals.items())}


SECTION = {
    ItemType.GOAL: "goals",
    ItemType.STRATEGY: "strategies",
    ItemType.ACTION: "actions",
    ItemType.ASSUMPTION: "assumptions",
    ItemType.RISK: "risks",
}
CLASS = {
    ItemType.GOAL: Goal,
    ItemType.STRATEGY: Strategy,
    ItemType.ACTION: Action,
    ItemType.ASSUMPTION: Note,
    ItemType.RISK: Note,
}

PlanItem = Goal | Strategy | Action | Note


def with_item(content: PlanContent, item_type: ItemType, item: PlanItem) -> PlanContent:
    section = SECTION[item_type]
    return PlanContent(**{**_sections(content), section: {**getattr(content, section), item.item_id: item}})


def without_item(content: PlanContent, item_type: ItemType, item_id: str) -> PlanContent:
    section = SECTION[item_type]
    kept = {k: v for k, v in getattr(content, section).items() if k != item_id}
    return PlanContent(**{**_sections(content), section: kept})


def period_year(period: str) -> int | None:
    """The year of "2027" or "2027-Q2"; None for anything else."""
    match = PERIOD.fullmatch(period)
    return int(match.group(1)) if match else None


def period_holds(period: str, day: date) -> bool:
    """Does the year ("2027") or quarter ("2027-Q2") hold `day`?"""
    match = PERIOD.fullmatch(period)
    if match is None:
        return False
    year, quarter = match.group(1), match.group(2)
    return day.year == int(year) and (quarter is None or (day.month - 1) // 3 + 1 == int(quarter))


def within_horizon(content: PlanContent, first_year: int, last_year: int) -> PlanContent:
    """The items whose period falls in these years, and those without one: what a successor plan takes over from
    the plan it supersedes (the rest stays readable there)."""

    def fits(item: Any) -> bool:
        period = getattr(item, "period", None)
        return period is None or first_year <= (period_year(period) or 0) <= last_year

    return PlanContent(
        **{name: {k: v for k, v in section.items() if fits(v)} for name, section in _sections(content).items()}
    )


def _sections(content: PlanContent) -> dict[str, Any]:
    return {f.name: getattr(content, f.name) for f in fields(content)}


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemDiff:
    item_type: ItemType
    item_id: str
    change: str  # added, removed, changed
    fields: dict[str, list[Any]]  # field → [old, new]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanDiff:
    items: tuple[ItemDiff, ...]
    budget: dict[str, dict[str, list[str]]]  # period → currency → [old, new] where they differ


def diff(old: PlanContent, new: PlanContent) -> PlanDiff:
    """Items added, removed and changed (with old → new per field), and the budget per period as the actions are
    written (`PlanContent.budget`) before and after: an action moved from a year into one of its quarters shows."""
    changes: list[ItemDiff] = []
    for item_type in ItemType:
        before, after = old.items(item_type), new.items(item_type)
        for item_id in sorted(set(before) | set(after)):
            a, b = before.get(item_id), after.get(item_id)
            if a is None:
                changes.append(
                    ItemDiff(item_type=item_type, item_id=item_id, change="added", fields=_fields_of(b, None))
                )
            elif b is None:
                changes.append(
                    ItemDiff(item_type=item_type, item_id=item_id, change="removed", fields=_fields_of(a, a))
                )
            elif a != b:
                changed = {
                    f.name: [getattr(a, f.name), getattr(b, f.name)]
                    for f in fields(a)
                    if getattr(a, f.name) != getattr(b, f.name)
                }
                changes.append(ItemDiff(item_type=item_type, item_id=item_id, change="changed", fields=changed))
    old_budget, new_budget = old.budget(), new.budget()
    budget: dict[str, dict[str, list[str]]] = {}
    for period in sorted(set(old_budget) | set(new_budget)):
        currencies = set(old_budget.get(period, {})) | set(new_budget.get(period, {}))
        for currency in sorted(currencies):
            a = old_budget.get(period, {}).get(currency, Decimal(0))
            b = new_budget.get(period, {}).get(currency, Decimal(0))
            if a != b:
                budget.setdefault(period, {})[currency] = [format(a, "f"), format(b, "f")]
    return PlanDiff(items=tuple(changes), budget=budget)


def _fields_of(item: Any, old: Any) -> dict[str, list[Any]]:
    """For an added item [None, value] per field; for a removed one [value, None]."""
    if old is None:
        return {f.name: [None, getattr(item, f.name)] for f in fields(item) if f.name != "item_id"}
    return {f.name: [getattr(item, f.name), None] for f in fields(item) if f.name != "item_id"}
