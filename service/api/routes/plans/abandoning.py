"""Giving up a successor never agreed, in one append: it is abandoned (and stays readable), its predecessor takes
new revisions again, and the account's register of plans no longer counts it, so another successor may start."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import ConfigDict, Field

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep, existing, written
from service.api.routes.plans.resource import PlanOut, hidden, plan_out
from service.api.routes.plans.succession import found_plans
from service.commands.aggregates import PLAN, PLAN_REGISTER, account_stream, plan_register_stream, plan_stream
from service.commands.handler import Step
from service.domain.plan import commands as cmd
from service.domain.plan.decide import decide
from service.domain.plan.register import AbandonSuccession
from service.domain.plan.register import decide as register_decide
from service.domain.plan.state import Plan

router = APIRouter(tags=["plans"])


class AbandonIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "The buyer merges next year: we plan again then"}]}
    )

    reason: str = Field(min_length=1, max_length=2000)


@router.post(
    "/plans/{plan_id}/abandon",
    operation_id="abandonSuccessor",
    summary="Abandon a successor never agreed: its predecessor takes new revisions again (owner manager, the team's "
    "supervisor or an admin)",
    response_model=PlanOut,
)
async def abandon(plan_id: UUID, body: AbandonIn, response: Response, command: CommandDep) -> PlanOut:
    plan: Plan = (await existing(command.runtime, PLAN, plan_stream(str(plan_id)), hidden())).state
    stream, account = plan_stream(plan.plan_id), account_stream(plan.account_id)

    def abandoning(states: dict[str, Any]) -> list[Any]:
        who = cmd.Parties.of(states[account])
        return decide(states[stream], cmd.AbandonSuccessor(actor=command.actor, parties=who, reason=body.reason))

    steps = [Step(PLAN, stream, abandoning)]  # first: a successor already agreed is refused as such
    if plan.supersedes is not None:  # else the decision refuses it, saying why
        old, register = plan_stream(plan.supersedes), plan_register_stream(plan.account_id)
        unregistering = AbandonSuccession(
            by=command.actor.sub,
            account_id=plan.account_id,
            plan_id=plan.plan_id,
            superseded=plan.supersedes,
            found=await found_plans(command.runtime, plan.account_id),
        )

        def forgoing(states: dict[str, Any]) -> list[Any]:
            who = cmd.Parties.of(states[account])
            return decide(states[old], cmd.ForgoSuccessor(actor=command.actor, parties=who, by_plan=plan.plan_id))

        steps += [
            Step(PLAN, old, forgoing),
            Step(PLAN_REGISTER, register, lambda states: register_decide(states[register], unregistering)),
        ]
    [outcome, *_] = await command.run_many(steps, account_id=plan.account_id, hidden=hidden())
    state = outcome.state
    return plan_out(state, written(response, outcome))
