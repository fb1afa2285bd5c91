"""What the sales-project rule tests share: a manager, the default criteria, a buying center's roles, and steps that
run commands through decide and evolve (no I/O)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from service.domain.actors import Actor, Role
from service.domain.errors import DomainError
from service.domain.opportunity import commands as c
from service.domain.opportunity.criteria import DEFAULT_EXIT_CRITERIA, StageCriteria
from service.domain.opportunity.decide import decide
from service.domain.opportunity.evolve import evolve, initial_state
from service.domain.opportunity.state import Kind, Money, Opportunity

KAM = Actor("kam", Role.MANAGER, "north")
V1 = StageCriteria(version=1, exits=DEFAULT_EXIT_CRITERIA)
MEMBERS = {
    "ally": frozenset({"ally", "user"}),
    "boss": frozenset({"decision_maker"}),
    "buyer": frozenset({"procurement"}),
}
TODAY = date(2026, 11, 23)


def run(state: Opportunity, *commands: object, at: datetime = datetime(2026, 1, 1)) -> Opportunity:
    for command in commands:
        for event in decide(state, command):  # type: ignore[arg-type]
            state = evolve(state, event, at)
    return state


def opened(kind: Kind = Kind.NEW_CLIENT, criteria: StageCriteria = V1, value: str = "1000") -> Opportunity:
    return run(
        initial_state(),
        c.OpenOpportunity(
            actor=KAM,
            opportunity_id="o1",
            account_id="a1",
            product_line="Fuel filters",
            kind=kind,
            expected_value=Money(amount=Decimal(value), currency="RUB"),
            criteria=criteria,
        ),
    )


def advance(state: Opportunity, **fields: object) -> Opportunity:
    return run(state, c.AdvanceStage(actor=KAM, **fields))


def unmet_codes(state: Opportunity) -> list[str]:
    with pytest.raises(DomainError) as refused:
        decide(state, c.AdvanceStage(actor=KAM))
    assert refused.value.code == "exit-criteria-not-met"
    return [u["code"] for u in refused.value.details["unmet"]]
