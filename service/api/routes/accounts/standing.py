"""An account's standing: its classification, whether it is a key account, where it is in its lifecycle."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import ConfigDict, Field, StrictBool

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep, company_settings
from service.api.days import latest_day
from service.api.routes.accounts.resource import AccountOut, key_accounts_of, respond, run
from service.commands.aggregates import ACCOUNT, account_stream
from service.domain.account import commands as cmd
from service.domain.account.state import Account, KeyCriterion, Lifecycle

router = APIRouter(tags=["accounts"])


class ClassifyIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "criteria": ["large", "promising"],
                    "can_influence": True,
                    "influence_reason": "Their engineers ask us to co-design the next filter generation",
                }
            ]
        }
    )

    criteria: set[KeyCriterion]
    can_influence: StrictBool = Field(description="Can the manager influence what this client buys?")
    influence_reason: str = Field(min_length=1, max_length=2000)


@router.post(
    "/accounts/{account_id}/classification",
    operation_id="classifyAccount",
    summary="Key criteria and the manager's judgement of influence",
    response_model=AccountOut,
)
async def classify(account_id: UUID, body: ClassifyIn, response: Response, command: CommandDep) -> AccountOut:
    outcome = await run(
        command,
        str(account_id),
        lambda _: cmd.ClassifyAccount(
            actor=command.actor,
            criteria=frozenset(body.criteria),
            can_influence=body.can_influence,
            influence_reason=body.influence_reason,
        ),
    )
    return respond(response, outcome)


class KeyIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"is_key": True, "reason": "Volume doubled in 2026"}]})

    is_key: StrictBool
    reason: str = Field(min_length=1, max_length=1000)


@router.post(
    "/accounts/{account_id}/key",
    operation_id="markKey",
    summary="Mark or unmark as a key account, with a reason",
    response_model=AccountOut,
)
async def mark_key(account_id: UUID, body: KeyIn, response: Response, command: CommandDep) -> AccountOut:
    settings = await company_settings(command.runtime)
    # The owner whose key accounts a warning counts. Whether the actor may see the account is judged by the handler
    # after it answers a keyed retry, so a former owner's retry after a hand-over still gets its first answer.
    current = await command.runtime.repository.load(ACCOUNT, account_stream(str(account_id)))
    already = await key_accounts_of(command.runtime, current.state.owner) if body.is_key else 0

    def make(_: Account) -> cmd.MarkKey | cmd.UnmarkKey:
        if body.is_key:
            return cmd.MarkKey(
                actor=command.actor,
                reason=body.reason,
                owner_key_accounts=already,
                ceiling=settings.key_account_ceiling,
            )
        return cmd.UnmarkKey(actor=command.actor, reason=body.reason)

    return respond(response, await run(command, str(account_id), make))


class LifecycleIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"to_stage": "serial_supply", "reason": "First order fulfilled"}]}
    )

    to_stage: Lifecycle
    reason: str = Field(min_length=1, max_length=1000)
    on: date | None = Field(
        None,
        description="The day it happened, when recorded later: not in the future, nor before the previous change "
        "(an account's first change may be dated before it was opened here, as a client may be older than kamplan). "
        "Default: today. A cross-sell is not opened before the day the account became a client.",
    )


@router.post(
    "/accounts/{account_id}/lifecycle",
    operation_id="changeLifecycle",
    summary="Move the account through its lifecycle",
    description="prospect → project → serial supply → sleeping → reactivated / lost. Reactivation is of former "
    "clients: a lost account is reactivated only if it was ever in serial supply, or else becomes a prospect again.",
    response_model=AccountOut,
)
async def change_lifecycle(account_id: UUID, body: LifecycleIn, response: Response, command: CommandDep) -> AccountOut:
    settings = await company_settings(command.runtime)
    # a lost key account won back takes a place under its owner's ceiling again: the warning counts the others
    current = (await command.runtime.repository.load(ACCOUNT, account_stream(str(account_id)))).state
    back = current.is_key and current.lifecycle is Lifecycle.LOST
    already = await key_accounts_of(command.runtime, current.owner) if back else 0
    outcome = await run(
        command,
        str(account_id),
        lambda _: cmd.ChangeLifecycle(
            actor=command.actor,
            to_stage=body.to_stage,
            reason=body.reason,
            on=body.on,
            today=latest_day(),
            owner_key_accounts=already,
            ceiling=settings.key_account_ceiling,
        ),
    )
    return respond(response, outcome)
