"""Who on our side works with a member: the contact owner, the next action, the contacts made."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep
from service.api.days import latest_day
from service.api.moments import Day
from service.api.routes.buying_center.resource import (
    MemberWritten,
    act_on_member,
)
from service.domain.buying_center import commands as cmd

router = APIRouter(tags=["buying center"])


class ContactOwnerIn(RequestBody):
    owner: str | None = Field(max_length=200, description="Who on our side owns the contact; null: nobody.")
    contact_plan: str = Field("", max_length=2000, description="Who contacts whom, and how.")


@router.put(
    "/accounts/{account_id}/buying-center/members/{member_id}/contact-owner",
    operation_id="assignContactOwner",
    summary="Who on our side owns the contact, and the contact plan",
    response_model=MemberWritten,
)
async def assign_owner(
    account_id: UUID, member_id: str, body: ContactOwnerIn, response: Response, command: CommandDep
) -> MemberWritten:
    return await act_on_member(
        command,
        account_id,
        lambda _: cmd.AssignContactOwner(
            actor=command.actor, member_id=member_id, owner=body.owner, contact_plan=body.contact_plan
        ),
        response,
        member_id,
    )


class NextActionIn(RequestBody):
    what: str = Field(max_length=1000, description="Empty (with no `due`) clears the next action.")
    due: Day | None = Field(None, description="Required with a `what`; none without one (422 missing-value).")


@router.put(
    "/accounts/{account_id}/buying-center/members/{member_id}/next-action",
    operation_id="setNextAction",
    summary="The next action with this person, with a date",
    response_model=MemberWritten,
)
async def set_next_action(
    account_id: UUID, member_id: str, body: NextActionIn, response: Response, command: CommandDep
) -> MemberWritten:
    return await act_on_member(
        command,
        account_id,
        lambda _: cmd.SetNextAction(actor=command.actor, member_id=member_id, what=body.what, due=body.due),
        response,
        member_id,
    )


class ContactIn(RequestBody):
    on: Day = Field(description="The day we were in touch.")


@router.post(
    "/accounts/{account_id}/buying-center/members/{member_id}/contacts",
    operation_id="recordContact",
    summary="Record that we were in touch with the person (their last contact)",
    response_model=MemberWritten,
)
async def record_contact(
    account_id: UUID, member_id: str, body: ContactIn, response: Response, command: CommandDep
) -> MemberWritten:
    day = latest_day()
    return await act_on_member(
        command,
        account_id,
        lambda _: cmd.RecordContact(actor=command.actor, member_id=member_id, on=body.on, today=day),
        response,
        member_id,
    )


@router.delete(
    "/accounts/{account_id}/buying-center/members/{member_id}/contacts/{on}",
    operation_id="withdrawContact",
    summary="Take back a contact recorded by hand on that day (a mistyped day); the last contact falls back",
    response_model=MemberWritten,
    responses={404: {"description": "No contact recorded by hand with the person on that day (contact-not-found)"}},
)
async def withdraw_contact(
    account_id: UUID, member_id: str, on: Day, response: Response, command: CommandDep
) -> MemberWritten:
    return await act_on_member(
        command,
        account_id,
        lambda _: cmd.WithdrawContact(actor=command.actor, member_id=member_id, on=on),
        response,
        member_id,
    )
