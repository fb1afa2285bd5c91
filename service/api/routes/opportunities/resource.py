"""A sales project as an API resource: loaded only where the actor may see its account, acted on with the
account's buying center at hand, and rendered with its exit criteria, stage history and facts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Response
from pydantic import BaseModel, Field

from service.api.bodies import RequestBody
from service.api.commanding import Command, Written, account_of, company_settings, existing, written
from service.api.days import day_of
from service.api.moments import Moment
from service.api.numbers import Amount
from service.commands.aggregates import (
    BUYING_CENTER,
    OPPORTUNITY,
    account_stream,
    buying_center_stream,
    opportunity_stream,
)
from service.commands.handler import Step
from service.domain import codec
from service.domain.account.state import Account
from service.domain.actors import Actor, Role
from service.domain.errors import NotFound
from service.domain.opportunity.criteria import Stage
from service.domain.opportunity.decide import decide
from service.domain.opportunity.roster import Roster, roster_of
from service.domain.opportunity.state import Kind, Money, Opportunity, Status
from service.domain.opportunity.view import contact_intensity, exit_status, is_stalled
from service.runtime import Runtime

AsOf = Annotated[Moment | None, Query(description="The project as kamplan knew it at this moment.")]


class MoneyIn(RequestBody):
    amount: Amount = Field(examples=["12500000"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["RUB"])

    def domain(self) -> Money:
        return Money(amount=self.amount, currency=self.currency)


class CriterionOut(BaseModel):
    code: str
    description: str
    holds: bool


class OpportunityOut(Written):
    opportunity_id: str
    account_id: str
    product_line: str
    kind: Kind
    stage: Stage
    status: Status
    lost_reason: str
    expected_volume: str
    expected_value: dict[str, Any] | None
    main_competitor: str
    criteria_version: int
    exit_criteria: list[CriterionOut] = Field(description="The current stage's exit criteria and whether each holds.")
    stalled: bool
    opened_at: datetime | None
    stage_entered_at: datetime | None = Field(description="When it entered its current stage, or was last reopened.")
    stage_history: list[dict[str, Any]] = Field(description="Who moved it when, which criteria held, overrides.")
    contact_intensity: dict[str, float | None] = Field(
        description="Interactions with the client per 30 days before Implementation and during it (during should "
        "be higher; it ends when the project left Implementation, or was lost in it); "
        "`before` is null for a project that entered Implementation on the day it was opened, `during` for one that "
        "entered it on a day UTC's has not reached yet (dated by a user east of Greenwich)."
    )
    facts: dict[str, Any] = Field(
        description="allies, needs, problems, evidence, confirmed volume, price rounds, leader confirmation, "
        "launch plan, confident use, linked interactions."
    )
    as_of: datetime | None = None


FACTS = (
    "invitation",
    "allies",
    "needs",
    "problems",
    "evidence",
    "confirmed_volume",
    "volume_confirmed_by",
    "price_rounds",
    "leader_confirmation",
    "launch_plan",
    "confident_use",
    "interactions",
)


def opportunity_out(
    o: Opportunity,
    base: Written,
    stalled_days: int,
    as_of: datetime | None = None,
    roster: Roster | None = None,
) -> OpportunityOut:
    """The project's view, judged on `roster`, the account's buying center (then): an interaction is with the client
    only with a member who was the client's on its day, the word of members who have left, or were away on the day
    of the fact, does not count, nor a linked ally the map no longer holds as one."""
    o = roster.judged(o) if roster else o
    day = day_of(as_of)
    data = codec.to_dict(o)
    intensity = contact_intensity(o, day)
    return OpportunityOut(
        **base.model_dump(),
        opportunity_id=o.opportunity_id,
        account_id=o.account_id,
        product_line=o.product_line,
        kind=o.kind,
        stage=o.stage,
        status=o.status,
        lost_reason=o.lost_reason,
        expected_volume=o.expected_volume,
        expected_value=data["expected_value"],
        main_competitor=o.main_competitor,
        criteria_version=o.criteria.version,
        exit_criteria=[
            CriterionOut(code=c.code, description=c.description, holds=c.holds) for c in exit_status(o, roster)
        ],
        stalled=is_stalled(o, day, stalled_days),
        opened_at=o.opened_at,
        stage_entered_at=o.stage_entered_at,
        stage_history=data["history"],
        contact_intensity={"before": intensity.before, "during": intensity.during},
        facts={k: data[k] for k in FACTS},
        as_of=as_of,
    )


def may_override(actor: Actor, account: Account) -> bool:
    return actor.role is Role.ADMIN or (
        actor.role is Role.SUPERVISOR and actor.team is not None and actor.team == account.team
    )


def _hidden() -> NotFound:
    return NotFound("opportunity-not-found", "no such sales project, or not one you may see")


async def load_visible(
    runtime: Runtime, actor: Actor, opportunity_id: str, as_of: datetime | None = None
) -> tuple[Any, Account]:
    """The project (as of `as_of`) and its account, or 404 when it does not exist or the actor may not see its
    account: whether it exists is not revealed."""
    stream = opportunity_stream(opportunity_id)
    loaded = await runtime.repository.load(OPPORTUNITY, stream, as_of=as_of)
    current = loaded if loaded.state.exists or as_of is None else await runtime.repository.load(OPPORTUNITY, stream)
    if not current.state.exists:
        raise _hidden()
    account = await account_of(runtime, actor, current.state.account_id, _hidden())
    if not loaded.state.exists:
        raise NotFound("opportunity-not-found", "the project did not exist at that moment")
    return loaded, account.state


async def act(
    command: Command,
    opportunity_id: UUID,
    response: Response,
    make: Callable[[Opportunity, Roster, Account], Any],
) -> OpportunityOut:
    """Decide on the project with the account's buying center at hand (members, their roles, who has left)."""
    current = await existing(command.runtime, OPPORTUNITY, opportunity_stream(str(opportunity_id)), _hidden())
    aid = current.state.account_id
    stream, bc, account = opportunity_stream(str(opportunity_id)), buying_center_stream(aid), account_stream(aid)
    [outcome, center, *_] = await command.run_many(
        [
            Step(OPPORTUNITY, stream, lambda s: decide(s[stream], make(s[stream], roster_of(s[bc]), s[account]))),
            Step(BUYING_CENTER, bc, lambda s: []),
        ],
        account_id=aid,
        hidden=_hidden(),
    )
    settings = await company_settings(command.runtime)
    return opportunity_out(
        outcome.state, written(response, outcome), settings.stalled_days, roster=roster_of(center.state)
    )
