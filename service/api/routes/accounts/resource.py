"""A key account as an API resource: rendered with its history of hand-overs, run through a command, answered
with the warnings the command raised."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Query, Response
from pydantic import BaseModel, Field

from service.api.commanding import (
    CommandDep,
    Warning_,
    Written,
    written,
)
from service.api.moments import Moment
from service.commands.aggregates import ACCOUNT, account_stream
from service.commands.handler import Outcome
from service.domain.account.decide import decide
from service.domain.account.events import KeyAccountCeilingExceeded
from service.domain.account.state import Account, KeyCriterion, Lifecycle
from service.runtime import Runtime


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
    lifecycle_since: date | None = Field(description="The day of the latest lifecycle change; null before the first.")
    client_since: date | None = Field(
        description="The day it became a client (serial supply or reactivation), while it is one: null otherwise."
    )
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
        lifecycle_since=state.lifecycle_since,
        client_since=state.client_since,
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
    assert outcome.state is not None  # a retry's too: as the first answer showed it
    return account_out(outcome.state, written(response, outcome, warnings_of(outcome)))


# The rows of read.accounts that take a place under their owner's ceiling, as Account.under_ceiling decides
UNDER_CEILING = "is_key AND lifecycle <> 'lost'"
KEY_ACCOUNTS_OF = f"SELECT count(*) FROM read.accounts WHERE owner = $1 AND {UNDER_CEILING}"


async def key_accounts_of(runtime: Runtime, owner: str) -> int:
    """The owner's key accounts under the ceiling (`Account.under_ceiling`: not lost), from read.accounts: a
    warning's count may trail a concurrent change by a moment."""
    async with runtime.pool.acquire() as conn:
        return int(await conn.fetchval(KEY_ACCOUNTS_OF, owner))


async def run(command: CommandDep, account_id: str, make: Any) -> Outcome[Account]:
    """Decide `make(state)` on the account. An Idempotency-Key retry shows the account as the first answer did
    (`Command.run_many`); it is answered before `decide`, where visibility is checked, so a hand-over's retry by the
    former owner still gets its answer."""
    return await command.run(ACCOUNT, account_stream(account_id), lambda state: decide(state, make(state)))


AsOf = Annotated[Moment | None, Query(description="Show it as kamplan knew it at this moment (recorded time).")]
