"""Key accounts: open, change, hand over, classify, mark key, move through the lifecycle; list and view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import AwareDatetime, BaseModel, Field

from service.api.commanding import (
    CommandDep,
    Warning_,
    Written,
    company_settings,
    visible_account,
    written,
)
from service.api.deps import ActorDep, RuntimeDep
from service.api.freshness import fresh
from service.api.pagination import decode_cursor, encode_cursor
from service.commands.aggregates import ACCOUNT, account_stream
from service.commands.handler import Outcome
from service.domain.account import commands as cmd
from service.domain.account.access import list_scope
from service.domain.account.decide import decide
from service.domain.account.events import KeyAccountCeilingExceeded
from service.domain.account.state import Account, KeyCriterion, Lifecycle
from service.domain.actors import Role
from service.domain.errors import NotFound
from service.runtime import Runtime

router = APIRouter(tags=["accounts"])


class HandOverOut(BaseModel):
    from_owner: str
    to_owner: str
    trigger: str
    note: str
    at: datetime


class AccountOut(Written):
    account_id: str
    name: str
    industry: str
    region: str
    segment: str
    owner: str
    team: str | None
    is_key: bool
    key_reason: str
    criteria: list[KeyCriterion]
    can_influence: bool | None
    influence_reason: str
    lifecycle: Lifecycle
    lifecycle_reason: str
    opened_at: datetime | None
    hand_overs: list[HandOverOut]
    as_of: datetime | None = None


def account_out(state: Account, base: Written, as_of: datetime | None = None) -> AccountOut:
    return AccountOut(
        **base.model_dump(),
        account_id=state.account_id,
        name=state.name,
        industry=state.industry,
        region=state.region,
        segment=state.segment,
        owner=state.owner,
        team=state.team,
        is_key=state.is_key,
        key_reason=state.key_reason,
        criteria=sorted(state.criteria),
        can_influence=state.can_influence,
        influence_reason=state.influence_reason,
        lifecycle=state.lifecycle,
        lifecycle_reason=state.lifecycle_reason,
        opened_at=state.opened_at,
        hand_overs=[HandOverOut(**vars_of(h)) for h in state.hand_overs],
        as_of=as_of,
    )


def vars_of(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def warnings_of(outcome: Outcome[Any]) -> list[Warning_]:
    return [
        Warning_(
            code="key-account-ceiling-exceeded",
            message=f"{e.owner} now has {e.key_accounts} key accounts; the company ceiling is {e.ceiling}. "
            "Allowed, and shown to the supervisor as a portfolio risk.",
            details={"owner": e.owner, "key_accounts": e.key_accounts, "ceiling": e.ceiling},
        )
        for e in outcome.events
        if isinstance(e, KeyAccountCeilingExceeded)
    ]


def respond(response: Response, outcome: Outcome[Account]) -> AccountOut:
    assert outcome.state is not None or outcome.replayed
    base = written(response, outcome, warnings_of(outcome))
    return account_out(outcome.state or Account(), base)


async def key_accounts_of(runtime: Runtime, owner: str) -> int:
    """From read.accounts: a warning's count may trail a concurrent change by a moment."""
    async with runtime.pool.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM read.accounts WHERE owner = $1 AND is_key", owner))


async def run(command: CommandDep, account_id: str, make: Any) -> Outcome[Account]:
    """Decide `make(state)` on the account; an Idempotency-Key retry shows the account as it is now."""
    outcome = await command.run(ACCOUNT, account_stream(account_id), lambda state: decide(state, make(state)))
    if outcome.replayed:
        loaded = await command.runtime.repository.load(ACCOUNT, account_stream(account_id))
        outcome = Outcome(outcome.stream_id, outcome.version, outcome.position, outcome.events, True, loaded.state)
    return outcome


EXAMPLE_OPEN = {
    "name": "KAMAZ Engine Plant",
    "industry": "Truck manufacturing",
    "region": "Tatarstan",
    "segment": "OEM",
    "is_key": True,
    "key_reason": "Largest buyer of fuel filters in the region",
}


class OpenAccountIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [EXAMPLE_OPEN]}}

    name: str = Field(min_length=1, max_length=200)
    industry: str = Field("", max_length=200)
    region: str = Field("", max_length=200)
    segment: str = Field("", max_length=200, description="Our company's segment the client belongs to.")
    owner: str | None = Field(None, description="Owner manager; default: you.")
    team: str | None = Field(None, description="Supervisor's team; default: your team.")
    is_key: bool = False
    key_reason: str = ""


@router.post(
    "/accounts",
    operation_id="openAccount",
    summary="Open an account",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountOut,
)
async def open_account(body: OpenAccountIn, response: Response, command: CommandDep) -> AccountOut:
    account_id = command.new_id("account")
    settings = await company_settings(command.runtime)
    owner = body.owner or command.actor.sub
    already = await key_accounts_of(command.runtime, owner) if body.is_key else 0
    outcome = await run(
        command,
        account_id,
        lambda _: cmd.OpenAccount(
            actor=command.actor,
            account_id=account_id,
            name=body.name,
            industry=body.industry,
            region=body.region,
            segment=body.segment,
            owner=body.owner,
            team=body.team,
            is_key=body.is_key,
            key_reason=body.key_reason,
            owner_key_accounts=already,
            ceiling=settings.key_account_ceiling,
        ),
    )
    response.headers["Location"] = f"/v1/accounts/{account_id}"
    return respond(response, outcome)


AsOf = Annotated[AwareDatetime | None, Query(description="Show it as kamplan knew it at this moment (recorded time).")]


@router.get("/accounts/{account_id}", operation_id="getAccount", summary="One account", response_model=AccountOut)
async def get_account(
    account_id: UUID, response: Response, runtime: RuntimeDep, actor: ActorDep, as_of: AsOf = None
) -> AccountOut:
    loaded = await visible_account(runtime, actor, str(account_id))
    if as_of is not None:
        loaded = await runtime.repository.load(ACCOUNT, account_stream(str(account_id)), as_of=as_of)
        if not loaded.state.exists:
            raise NotFound("account-not-found", "the account did not exist at that moment")
    response.headers["ETag"] = f'"{loaded.version}"'
    return account_out(loaded.state, Written(version=loaded.version, position=loaded.position), as_of)


class AccountRow(BaseModel):
    account_id: str
    name: str
    industry: str
    region: str
    segment: str
    owner: str
    team: str | None
    is_key: bool
    criteria: list[str]
    lifecycle: str
    version: int


class AccountPage(BaseModel):
    items: list[AccountRow]
    next_cursor: str | None


LIST = """
SELECT account_id, name, industry, region, segment, owner, team, is_key, criteria, lifecycle, version
FROM read.accounts
WHERE ($1::text IS NULL OR owner = $1) AND ($2::text IS NULL OR team = $2)
  AND ($3::boolean IS NULL OR is_key = $3) AND ($4::text IS NULL OR lifecycle = $4)
  AND ($5::text IS NULL OR (name, account_id) > ($5, $6))
ORDER BY name, account_id
LIMIT $7
"""


@router.get(
    "/accounts",
    operation_id="listAccounts",
    summary="Accounts you may see, by name",
    response_model=AccountPage,
    responses={503: {"description": "min_position not reached in time (problem projection-lagging)"}},
)
async def list_accounts(
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("accounts"))],
    owner: str | None = None,
    is_key: bool | None = None,
    lifecycle: Lifecycle | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
) -> AccountPage:
    scoped = list_scope(actor, owner)
    if scoped is None or (actor.role is Role.MANAGER and owner is not None and owner != scoped[0]):
        return AccountPage(items=[], next_cursor=None)
    own, team = scoped
    after = decode_cursor(cursor, "name", "account_id")
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            LIST,
            own,
            team,
            is_key,
            lifecycle.value if lifecycle else None,
            after["name"] if after else None,
            after["account_id"] if after else None,
            limit + 1,
        )
    page = [AccountRow(**dict(r)) for r in rows[:limit]]
    more = len(rows) > limit
    return AccountPage(
        items=page,
        next_cursor=encode_cursor({"name": page[-1].name, "account_id": page[-1].account_id}) if more else None,
    )


class AccountDetailsIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"region": "Tatarstan", "segment": "OEM"}]}}

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


class HandOverIn(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"to_owner": "petrova", "trigger": "contract_signed", "note": "Framework contract for 2027"}]
        }
    }

    to_owner: str = Field(min_length=1, max_length=200)
    trigger: str = Field(description="One of the company's hand-over triggers (GET /v1/settings).")
    note: str = ""


@router.post(
    "/accounts/{account_id}/hand-over",
    operation_id="handOverAccount",
    summary="Transfer ownership to another manager, with the trigger that justified it",
    response_model=AccountOut,
)
async def hand_over(account_id: UUID, body: HandOverIn, response: Response, command: CommandDep) -> AccountOut:
    settings = await company_settings(command.runtime)
    already = await key_accounts_of(command.runtime, body.to_owner)
    outcome = await run(
        command,
        str(account_id),
        lambda _: cmd.HandOverAccount(
            actor=command.actor,
            to_owner=body.to_owner,
            trigger=body.trigger,
            note=body.note,
            triggers=settings.trigger_codes,
            new_owner_key_accounts=already,
            ceiling=settings.key_account_ceiling,
        ),
    )
    return respond(response, outcome)


class ClassifyIn(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "criteria": ["large", "promising"],
                    "can_influence": True,
                    "influence_reason": "Their engineers ask us to co-design the next filter generation",
                }
            ]
        }
    }

    criteria: set[KeyCriterion]
    can_influence: bool = Field(description="Can the manager influence what this client buys?")
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


class KeyIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"is_key": True, "reason": "Volume doubled in 2026"}]}}

    is_key: bool
    reason: str = Field(min_length=1, max_length=1000)


@router.post(
    "/accounts/{account_id}/key",
    operation_id="markKey",
    summary="Mark or unmark as a key account, with a reason",
    response_model=AccountOut,
)
async def mark_key(account_id: UUID, body: KeyIn, response: Response, command: CommandDep) -> AccountOut:
    settings = await company_settings(command.runtime)
    current = await visible_account(command.runtime, command.actor, str(account_id))
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


class LifecycleIn(BaseModel):
    model_config = {
        "json_schema_extra": {"examples": [{"to_stage": "serial_supply", "reason": "First order fulfilled"}]}
    }

    to_stage: Lifecycle
    reason: str = Field(min_length=1, max_length=1000)


@router.post(
    "/accounts/{account_id}/lifecycle",
    operation_id="changeLifecycle",
    summary="Move the account through its lifecycle",
    response_model=AccountOut,
)
async def change_lifecycle(account_id: UUID, body: LifecycleIn, response: Response, command: CommandDep) -> AccountOut:
    outcome = await run(
        command,
        str(account_id),
        lambda _: cmd.ChangeLifecycle(actor=command.actor, to_stage=body.to_stage, reason=body.reason),
    )
    return respond(response, outcome)


class TeamIn(BaseModel):
    team: str | None = Field(max_length=200)


@router.put(
    "/accounts/{account_id}/team",
    operation_id="assignTeam",
    summary="Move the account to another supervisor's team (admin)",
    response_model=AccountOut,
)
async def assign_team(account_id: UUID, body: TeamIn, response: Response, command: CommandDep) -> AccountOut:
    outcome = await run(command, str(account_id), lambda _: cmd.AssignTeam(actor=command.actor, team=body.team))
    return respond(response, outcome)
