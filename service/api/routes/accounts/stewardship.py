"""Who looks after an account: its details, the hand-over to another manager with the reasons, its team."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import ConfigDict, Field

from service.api.bodies import RequestBody
from service.api.commanding import (
    CommandDep,
    company_settings,
)
from service.api.routes.accounts.resource import AccountOut, key_accounts_of, respond, run
from service.domain.account import commands as cmd
from service.domain.account.decide import named_owner

router = APIRouter(tags=["accounts"])


class AccountDetailsIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"region": "Tatarstan", "segment": "OEM"}]})

    name: str | None = Field(None, min_length=1, max_length=200)
    industry: str | None = Field(None, max_length=200)
    region: str | None = Field(None, max_length=200)
    segment: str | None = Field(None, max_length=200)


@router.patch(
    "/accounts/{account_id}", operation_id="changeAccount", summary="Change details", response_model=AccountOut
)
async def change_account(
    account_id: UUID, body: AccountDetailsIn, response: Response, command: CommandDep
) -> AccountOut:
    outcome = await run(
        command, str(account_id), lambda _: cmd.ChangeAccountDetails(actor=command.actor, **body.model_dump())
    )
    return respond(response, outcome)


class HandOverIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "to_owner": "petrova",
                    "to_team": "oem-north",
                    "trigger": "contract_signed",
                    "note": "Framework contract for 2027",
                }
            ]
        }
    )

    to_owner: str = Field(min_length=1, max_length=200)
    to_team: str | None = Field(
        None,
        max_length=200,
        description="The new owner's team (trimmed, not blank): the account moves to it, and its supervisor oversees "
        "it from now on. Null or absent: the account stays in its team.",
    )
    trigger: str = Field(description="One of the company's hand-over triggers (GET /v1/settings).")
    note: str = ""


@router.post(
    "/accounts/{account_id}/hand-over",
    operation_id="handOverAccount",
    summary="Transfer ownership to another manager (and their team), with the trigger that justified it",
    response_model=AccountOut,
)
async def hand_over(account_id: UUID, body: HandOverIn, response: Response, command: CommandDep) -> AccountOut:
    settings = await company_settings(command.runtime)
    already = await key_accounts_of(command.runtime, named_owner(body.to_owner, "to_owner"))
    outcome = await run(
        command,
        str(account_id),
        lambda _: cmd.HandOverAccount(
            actor=command.actor,
            to_owner=body.to_owner,
            to_team=body.to_team,
            trigger=body.trigger,
            note=body.note,
            triggers=settings.trigger_codes,
            new_owner_key_accounts=already,
            ceiling=settings.key_account_ceiling,
        ),
    )
    return respond(response, outcome)


class TeamIn(RequestBody):
    team: str | None = Field(max_length=200, description="The team (trimmed, not blank); null: none.")


@router.put(
    "/accounts/{account_id}/team",
    operation_id="assignTeam",
    summary="Move the account to another supervisor's team (admin)",
    response_model=AccountOut,
)
async def assign_team(account_id: UUID, body: TeamIn, response: Response, command: CommandDep) -> AccountOut:
    outcome = await run(command, str(account_id), lambda _: cmd.AssignTeam(actor=command.actor, team=body.team))
    return respond(response, outcome)
