"""The facts of Entry and Finding an ally: the invitation to talks, allies, needs confirmed and problems."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import ConfigDict, Field, StrictBool

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep
from service.api.days import latest_day
from service.api.ids import ITEM_ID
from service.api.moments import Day
from service.api.routes.opportunities.resource import OpportunityOut, act
from service.domain.opportunity import commands as cmd
from service.domain.opportunity.decide import CRITERIA_LIMIT, CRITERION_LIMIT
from service.domain.opportunity.state import Problem

Criterion = Annotated[str, Field(max_length=CRITERION_LIMIT)]

router = APIRouter(tags=["sales projects"])


class InvitationIn(RequestBody):
    note: str = Field(min_length=1, max_length=1000, examples=["Invited to the tender for 2027 filters"])


@router.post(
    "/opportunities/{opportunity_id}/invitation",
    operation_id="recordInvitation",
    summary="An invitation to a concrete project (meets Entry's exit criterion like a meeting)",
    response_model=OpportunityOut,
)
async def invitation(
    opportunity_id: UUID, body: InvitationIn, response: Response, command: CommandDep
) -> OpportunityOut:
    return await act(
        command, opportunity_id, response, lambda o, m, a: cmd.RecordInvitation(actor=command.actor, note=body.note)
    )


class AllyIn(RequestBody):
    member_id: str = Field(
        description="A buying-center member with the ally role, not opposed to us (attitude -1 or less, or the "
        "opponent role), still at the client."
    )


@router.post(
    "/opportunities/{opportunity_id}/allies",
    operation_id="linkAlly",
    summary="Link an ally",
    response_model=OpportunityOut,
)
async def link_ally(opportunity_id: UUID, body: AllyIn, response: Response, command: CommandDep) -> OpportunityOut:
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.LinkAlly(actor=command.actor, member_id=body.member_id, members=m.roles, left=m.left),
    )


class ProjectNeedIn(RequestBody):
    member_id: str
    need: str = Field(min_length=1, max_length=1000, examples=["Filters that survive −40 °C without heating"])
    on: Day
    interaction_id: UUID | None = Field(None, description="The interaction where the need was stated, if any.")


@router.post(
    "/opportunities/{opportunity_id}/needs",
    operation_id="confirmNeed",
    summary="A member confirmed an explicit need",
    response_model=OpportunityOut,
)
async def confirm_need(
    opportunity_id: UUID, body: ProjectNeedIn, response: Response, command: CommandDep
) -> OpportunityOut:
    day = latest_day()
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.ConfirmNeed(
            actor=command.actor,
            member_id=body.member_id,
            need=body.need,
            on=body.on,
            today=day,
            interaction_id=str(body.interaction_id or ""),
            members=m.roles,
            left=m.left,
            away=m.away,
        ),
    )


class ProjectProblemIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "problem": "Filters clog in winter",
                    "consequence": "Trucks idle; overtime for maintenance",
                    "affected_member": "<member id>",
                    "explicit": True,
                    "criteria": ["cost per truck in winter", "failure-free operation"],
                }
            ]
        }
    )

    problem_id: str | None = Field(
        None,
        **ITEM_ID,
        description="Give an existing id to refine that problem (404 if the project has none such).",
    )
    problem: str = Field(min_length=1, max_length=1000)
    consequence: str = Field("", max_length=1000)
    affected_member: str | None = None
    explicit: StrictBool = False
    criteria: list[Criterion] = Field(default_factory=list, max_length=CRITERIA_LIMIT)
    need_confirmed_by: str | None = Field(
        None, description="The member who confirmed the need, with `confirmed_on`; only on an `explicit` problem."
    )
    confirmed_on: Day | None = None


@router.post(
    "/opportunities/{opportunity_id}/problems",
    operation_id="recordProblem",
    summary="Add or refine a problem of the problems-and-consequences (SPIN) list",
    response_model=OpportunityOut,
)
async def record_problem(
    opportunity_id: UUID, body: ProjectProblemIn, response: Response, command: CommandDep
) -> OpportunityOut:
    problem = Problem(
        problem_id=body.problem_id or command.new_id(f"problem:{body.problem}"),
        problem=body.problem,
        consequence=body.consequence,
        affected_member=body.affected_member,
        explicit=body.explicit,
        criteria=tuple(body.criteria),
        need_confirmed_by=body.need_confirmed_by,
        confirmed_on=body.confirmed_on,
    )
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.RecordProblem(
            actor=command.actor,
            problem=problem,
            members=m.roles,
            left=m.left,
            away=m.away,
            refine=body.problem_id is not None,
            today=latest_day(),
        ),
    )


@router.delete(
    "/opportunities/{opportunity_id}/problems/{problem_id}",
    operation_id="removeProblem",
    summary="Remove a problem from the list",
    response_model=OpportunityOut,
)
async def remove_problem(
    opportunity_id: UUID, problem_id: str, response: Response, command: CommandDep
) -> OpportunityOut:
    return await act(
        command, opportunity_id, response, lambda o, m, a: cmd.RemoveProblem(actor=command.actor, problem_id=problem_id)
    )
