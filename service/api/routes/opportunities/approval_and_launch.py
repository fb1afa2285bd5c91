"""The facts of Approval and Implementation: the decision-maker's confirmation, the launch plan, confident use."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep
from service.api.days import latest_day
from service.api.moments import Day
from service.api.routes.opportunities.resource import OpportunityOut, act
from service.domain.opportunity import commands as cmd
from service.domain.opportunity.state import LaunchAction, Side

router = APIRouter(tags=["sales projects"])


class ConfirmationIn(RequestBody):
    member_id: str = Field(
        description="A buying-center member still at the client; for the leader's confirmation, one with the "
        "decision_maker or signer role."
    )
    note: str = Field(min_length=1, max_length=2000)
    on: Day = Field(description="When it was confirmed (not in the future).")


@router.post(
    "/opportunities/{opportunity_id}/leader-confirmation",
    operation_id="recordLeaderConfirmation",
    summary="The buyer's authorised leader confirmed need and volume",
    response_model=OpportunityOut,
)
async def leader_confirmation(
    opportunity_id: UUID, body: ConfirmationIn, response: Response, command: CommandDep
) -> OpportunityOut:
    day = latest_day()
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.RecordLeaderConfirmation(
            actor=command.actor,
            member_id=body.member_id,
            note=body.note,
            on=body.on,
            today=day,
            members=m.roles,
            left=m.left,
            away=m.away,
        ),
    )


class LaunchActionIn(RequestBody):
    side: Side
    what: str = Field(min_length=1, max_length=1000)
    owner: str = Field(
        min_length=1,
        max_length=200,
        description="Who on that side does it: on the client's, a department or a role, not a person's name (this text "
        "is not tied to a buying-center member, so forgetting a person does not reach it).",
    )
    due: Day


class LaunchPlanIn(RequestBody):
    actions: list[LaunchActionIn] = Field(min_length=1, max_length=100)


@router.put(
    "/opportunities/{opportunity_id}/launch-plan",
    operation_id="setLaunchPlan",
    summary="The action plan for launch into series: both sides' actions, each with a deadline",
    response_model=OpportunityOut,
)
async def launch_plan(
    opportunity_id: UUID, body: LaunchPlanIn, response: Response, command: CommandDep
) -> OpportunityOut:
    actions = tuple(LaunchAction(**a.model_dump()) for a in body.actions)
    return await act(
        command, opportunity_id, response, lambda o, m, a: cmd.SetLaunchPlan(actor=command.actor, actions=actions)
    )


@router.post(
    "/opportunities/{opportunity_id}/confident-use",
    operation_id="confirmConfidentUse",
    summary="The client uses the product confidently (Implementation's exit)",
    response_model=OpportunityOut,
)
async def confident_use(
    opportunity_id: UUID, body: ConfirmationIn, response: Response, command: CommandDep
) -> OpportunityOut:
    day = latest_day()
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.ConfirmConfidentUse(
            actor=command.actor,
            member_id=body.member_id,
            note=body.note,
            on=body.on,
            today=day,
            members=m.roles,
            left=m.left,
            away=m.away,
        ),
    )
