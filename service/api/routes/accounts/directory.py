"""The accounts one may see: open one, read one as of any moment, list them page by page."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from service.api.bodies import RequestBody
from service.api.commanding import (
    CommandDep,
    Written,
    account_then,
    company_settings,
    set_etag,
)
from service.api.deps import ActorDep, RuntimeDep
from service.api.freshness import LAGGING, fresh
from service.api.pagination import Cursor, Limit, decode_cursor, page, text
from service.api.routes.accounts.resource import AccountOut, AsOf, account_out, key_accounts_of, respond, run
from service.domain.account import commands as cmd
from service.domain.account.access import list_scope
from service.domain.account.decide import owner_of
from service.domain.account.state import Lifecycle
from service.domain.actors import Role

router = APIRouter(tags=["accounts"])


EXAMPLE_OPEN = {
    "name": "KAMAZ Engine Plant",
    "industry": "Truck manufacturing",
    "region": "Tatarstan",
    "segment": "OEM",
    "is_key": True,
    "key_reason": "Largest buyer of fuel filters in the region",
}


class OpenAccountIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_OPEN]})

    name: str = Field(min_length=1, max_length=200)
    industry: str = Field("", max_length=200)
    region: str = Field("", max_length=200)
    segment: str = Field("", max_length=200, description="Our company's segment the client belongs to.")
    owner: str | None = Field(None, max_length=200, description="Owner manager (trimmed, not blank); null: you.")
    team: str | None = Field(None, max_length=200, description="Supervisor's team (trimmed, not blank); null: yours.")
    is_key: StrictBool = False
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
    owner = owner_of(body.owner, command.actor)
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


@router.get("/accounts/{account_id}", operation_id="getAccount", summary="One account", response_model=AccountOut)
async def get_account(
    account_id: UUID, response: Response, runtime: RuntimeDep, actor: ActorDep, as_of: AsOf = None
) -> AccountOut:
    loaded = await account_then(runtime, actor, str(account_id), as_of)
    set_etag(response, loaded.version)
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
    responses=LAGGING,
)
async def list_accounts(
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("accounts"))],
    owner: str | None = None,
    is_key: bool | None = None,
    lifecycle: Lifecycle | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AccountPage:
    scoped = list_scope(actor, owner)
    if scoped is None or (actor.role is Role.MANAGER and owner is not None and owner != scoped[0]):
        return AccountPage(items=[], next_cursor=None)
    own, team = scoped
    after = decode_cursor(cursor, name=text, account_id=text)
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
    items, next_cursor = page(
        [AccountRow(**dict(r)) for r in rows], limit, lambda last: {"name": last.name, "account_id": last.account_id}
    )
    return AccountPage(items=items, next_cursor=next_cursor)
