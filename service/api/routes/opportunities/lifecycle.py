"""A project's life: open, read, advance a stage (or override a criterion), lose, reopen, move to the exit
criteria in force."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import ConfigDict, Field

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep, Written, company_settings, set_etag, written
from service.api.days import latest_day
from service.api.deps import ActorDep, RuntimeDep
from service.api.moments import Day
from service.api.routes.opportunities.resource import (
    AsOf,
    MoneyIn,
    OpportunityOut,
    act,
    load_visible,
    may_override,
    opportunity_out,
)
from service.commands.aggregates import (
    BUYING_CENTER,
    OPPORTUNITY,
    account_stream,
    buying_center_stream,
    opportunity_stream,
)
from service.commands.handler import Step
from service.domain.opportunity import commands as cmd
from service.domain.opportunity.decide import decide
from service.domain.opportunity.roster import roster_of
from service.domain.opportunity.state import Kind

router = APIRouter(tags=["sales projects"])


class OpenIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "product_line": "Fuel filters",
                    "kind": "new_client",
                    "expected_volume": "40,000 filters a year",
                    "expected_value": {"amount": "38000000", "currency": "RUB"},
                    "main_competitor": "Imported brand via a distributor",
                }
            ]
        }
    )

    product_line: str = Field(min_length=1, max_length=200)
    kind: Kind = Field(
        description="new_client starts at Entry; cross_sell (to a client: an account from its serial supply or "
        "reactivation on, until it is lost or a prospect again) starts at Finding an ally."
    )
    expected_volume: str = Field("", max_length=200)
    expected_value: MoneyIn | None = None
    main_competitor: str = Field("", max_length=200)
    opened_on: Day | None = Field(None, description="When the project really started, if recorded later.")


@router.post(
    "/accounts/{account_id}/opportunities",
    operation_id="openOpportunity",
    summary="Open a sales project on an account (pinned to the exit criteria in force)",
    status_code=status.HTTP_201_CREATED,
    response_model=OpportunityOut,
)
async def open_opportunity(account_id: UUID, body: OpenIn, response: Response, command: CommandDep) -> OpportunityOut:
    settings = await company_settings(command.runtime)
    opportunity_id = command.new_id("opportunity")
    stream, account = opportunity_stream(opportunity_id), account_stream(str(account_id))

    def opening(states: dict[str, Any]) -> list[Any]:
        account_state = states[account]  # as the handler loads it, like the actor's right to it
        return decide(
            states[stream],
            cmd.OpenOpportunity(
                actor=command.actor,
                opportunity_id=opportunity_id,
                account_id=str(account_id),
                product_line=body.product_line,
                kind=body.kind,
                expected_volume=body.expected_volume,
                expected_value=body.expected_value.domain() if body.expected_value else None,
                main_competitor=body.main_competitor,
                criteria=settings.exit_criteria,
                opened_on=body.opened_on,
                today=latest_day(),
                buys_from_us=account_state.client,
                client_since=account_state.client_since,
            ),
        )

    [outcome, *_] = await command.run_many([Step(OPPORTUNITY, stream, opening)], account_id=str(account_id))
    state = outcome.state
    response.headers["Location"] = f"/v1/opportunities/{opportunity_id}"
    return opportunity_out(state, written(response, outcome), settings.stalled_days)


@router.get(
    "/opportunities/{opportunity_id}",
    operation_id="getOpportunity",
    summary="A sales project: stage, exit criteria, stage history, facts",
    response_model=OpportunityOut,
)
async def get_opportunity(
    opportunity_id: UUID, response: Response, runtime: RuntimeDep, actor: ActorDep, as_of: AsOf = None
) -> OpportunityOut:
    loaded, _ = await load_visible(runtime, actor, str(opportunity_id), as_of)
    settings = await company_settings(runtime, as_of)
    center = await runtime.repository.load(BUYING_CENTER, buying_center_stream(loaded.state.account_id), as_of=as_of)
    set_etag(response, loaded.version)
    base = Written(version=loaded.version, position=loaded.position or None)
    return opportunity_out(loaded.state, base, settings.stalled_days, as_of, roster_of(center.state))


class AdvanceIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{}, {"override_reason": "Signed letter of intent replaces the volume"}]}
    )

    override_reason: str | None = Field(
        None, min_length=1, max_length=2000, description="Supervisor only: advance despite unmet criteria, and why."
    )
    on: Day | None = Field(None, description="When the stage really changed, if recorded later (not in the future).")


@router.post(
    "/opportunities/{opportunity_id}/stage",
    operation_id="advanceStage",
    summary="Advance to the next stage: refused with every unmet exit criterion unless a supervisor overrides",
    response_model=OpportunityOut,
)
async def advance(opportunity_id: UUID, body: AdvanceIn, response: Response, command: CommandDep) -> OpportunityOut:
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.AdvanceStage(
            actor=command.actor,
            override_reason=body.override_reason,
            may_override=may_override(command.actor, a),
            on=body.on,
            today=latest_day(),
            roster=m,
        ),
    )


class ReasonIn(RequestBody):
    reason: str = Field(min_length=1, max_length=2000)


@router.post(
    "/opportunities/{opportunity_id}/lost",
    operation_id="markLost",
    summary="Mark the project lost (not one in serial supply, which is won)",
    response_model=OpportunityOut,
)
async def mark_lost(opportunity_id: UUID, body: ReasonIn, response: Response, command: CommandDep) -> OpportunityOut:
    return await act(
        command, opportunity_id, response, lambda o, m, a: cmd.MarkLost(actor=command.actor, reason=body.reason)
    )


@router.post(
    "/opportunities/{opportunity_id}/reopen",
    operation_id="reopen",
    summary="Reopen a lost project",
    response_model=OpportunityOut,
)
async def reopen(opportunity_id: UUID, body: ReasonIn, response: Response, command: CommandDep) -> OpportunityOut:
    return await act(
        command, opportunity_id, response, lambda o, m, a: cmd.Reopen(actor=command.actor, reason=body.reason)
    )


@router.post(
    "/opportunities/{opportunity_id}/criteria-migration",
    operation_id="migrateCriteria",
    summary="Move the project to the company's exit criteria in force (supervisor or admin; audited)",
    response_model=OpportunityOut,
)
async def migrate_criteria(
    opportunity_id: UUID, body: ReasonIn, response: Response, command: CommandDep
) -> OpportunityOut:
    settings = await company_settings(command.runtime)
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.MigrateCriteria(
            actor=command.actor,
            criteria=settings.exit_criteria,
            reason=body.reason,
            may_override=may_override(command.actor, a),
        ),
    )
