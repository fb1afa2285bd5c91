"""Who is in the buying center: adding a person, changing their details, recording that they left."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import ConfigDict, Field, StrictInt

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep, account_then, company_settings
from service.api.conditional import NOT_MODIFIED, IfNoneMatch, not_modified
from service.api.days import latest_day
from service.api.deps import ActorDep, RuntimeDep
from service.api.moments import Day
from service.api.routes.buying_center.resource import (
    AsOf,
    CitationIn,
    MemberOut,
    MemberWritten,
    act_on_member,
    cite,
    member_of,
    member_out,
)
from service.commands.aggregates import BUYING_CENTER, buying_center_stream
from service.domain.buying_center import commands as cmd

router = APIRouter(tags=["buying center"])


@router.get(
    "/accounts/{account_id}/buying-center/members/{member_id}",
    operation_id="getMember",
    summary="One member with the history of how our view of them changed",
    response_model=MemberOut,
    responses=NOT_MODIFIED,
)
async def get_member(
    account_id: UUID,
    member_id: str,
    response: Response,
    runtime: RuntimeDep,
    actor: ActorDep,
    unless: IfNoneMatch,
    as_of: AsOf = None,
) -> MemberOut | Response:
    await account_then(runtime, actor, str(account_id), as_of)  # a 404 for a moment before the account existed
    loaded = await runtime.repository.load(BUYING_CENTER, buying_center_stream(str(account_id)), as_of=as_of)
    settings = await company_settings(runtime, as_of)  # the roles retired then
    member = member_out(member_of(loaded.state, member_id), settings.retired_role_codes)
    return not_modified(response, unless, loaded.version, member.model_dump_json().encode()) or member


EXAMPLE_MEMBER = {
    "name": "Ivan Sergeevich Orlov",
    "position": "Chief engineer, engine systems",
    "department": "Engine systems",
    "organisation": "KAMAZ",
    "roles": ["ally", "user", "expert"],
    "influence": 4,
    "attitude": 2,
    "attitude_to_competitor": -1,
    "citation": {"kind": "interaction", "ref": "first visit 2026-03-12", "note": "asked for a trial batch"},
}


class MemberIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_MEMBER]})

    name: str = Field(min_length=1, max_length=200, description="Personal data: erased when the person is forgotten.")
    position: str = Field("", max_length=200)
    department: str = Field("", max_length=200)
    organisation: str = Field("", max_length=200, description="The client, or an outside body.")
    contacts: str = Field("", max_length=1000, description="Personal data.")
    notes: str = Field("", max_length=5000, description="Personal data.")
    roles: set[str] = Field(
        default_factory=set,
        description="Codes from the company's role set (GET /v1/settings); a retired role is a 422 `role-retired`.",
    )
    influence: StrictInt = Field(3, ge=1, le=5)
    attitude: StrictInt = Field(0, ge=-2, le=2, description="To us: -2 opponent … +2 ally.")
    attitude_to_competitor: StrictInt = Field(0, ge=-2, le=2)
    citation: CitationIn | None = None


@router.post(
    "/accounts/{account_id}/buying-center/members",
    operation_id="addMember",
    summary="Add a person to the buying center",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberWritten,
)
async def add_member(account_id: UUID, body: MemberIn, response: Response, command: CommandDep) -> MemberWritten:
    settings = await company_settings(command.runtime)
    member_id = command.new_id("member")
    fields = body.model_dump(exclude={"citation", "roles"})
    made = await act_on_member(
        command,
        account_id,
        lambda _: cmd.AddMember(
            actor=command.actor,
            account_id=str(account_id),
            member_id=member_id,
            roles=frozenset(body.roles),
            citation=cite(body.citation),
            known_roles=settings.role_codes,
            retired_roles=settings.retired_role_codes,
            **fields,
        ),
        response,
        member_id,
        settings,
    )
    response.headers["Location"] = f"/v1/accounts/{account_id}/buying-center/members/{member_id}"
    return made


class MemberDetailsIn(RequestBody):
    name: str | None = Field(None, min_length=1, max_length=200)
    position: str | None = Field(None, max_length=200)
    department: str | None = Field(None, max_length=200)
    organisation: str | None = Field(None, max_length=200)
    contacts: str | None = Field(None, max_length=1000)
    notes: str | None = Field(None, max_length=5000)


@router.patch(
    "/accounts/{account_id}/buying-center/members/{member_id}",
    operation_id="changeMember",
    summary="Change a member's name, position, department, organisation, contacts or notes",
    response_model=MemberWritten,
)
async def change_member(
    account_id: UUID, member_id: str, body: MemberDetailsIn, response: Response, command: CommandDep
) -> MemberWritten:
    return await act_on_member(
        command,
        account_id,
        lambda _: cmd.ChangeMemberDetails(actor=command.actor, member_id=member_id, **body.model_dump()),
        response,
        member_id,
    )


class LeftIn(RequestBody):
    on: Day = Field(
        description="The day they left: not in the future, nor before the day they last came back, as periods away "
        "do not overlap (422 `date-before-return`)."
    )
    reason: str = Field("", max_length=1000)


@router.post(
    "/accounts/{account_id}/buying-center/members/{member_id}/left",
    operation_id="memberLeft",
    summary="The person left the client: the node stays, inactive, with its history",
    response_model=MemberWritten,
)
async def member_left(
    account_id: UUID, member_id: str, body: LeftIn, response: Response, command: CommandDep
) -> MemberWritten:
    return await act_on_member(
        command,
        account_id,
        lambda _: cmd.MarkMemberLeft(
            actor=command.actor, member_id=member_id, on=body.on, reason=body.reason, today=latest_day()
        ),
        response,
        member_id,
    )


class ReturnedIn(RequestBody):
    reason: str = Field("", max_length=1000, examples=["Marked as left by mistake", "Back as head of purchasing"])
    on: Day | None = Field(
        None,
        description="The day they were back: on or after the day they left (that day for one marked as left by "
        "mistake, who was never away), not in the future; omitted, UTC's day now. Until then they were away: an "
        "interaction dated in between is none with the client.",
    )


@router.post(
    "/accounts/{account_id}/buying-center/members/{member_id}/returned",
    operation_id="memberReturned",
    summary="The person is the client's again (back, or marked as left by mistake): new facts and contacts count",
    response_model=MemberWritten,
    responses={
        409: {"description": "The person has not left (member-active)"},
        422: {"description": "A day of return before the leaving (date-before-leaving) or in the future"},
    },
)
async def member_returned(
    account_id: UUID, member_id: str, body: ReturnedIn, response: Response, command: CommandDep
) -> MemberWritten:
    return await act_on_member(
        command,
        account_id,
        lambda _: cmd.MarkMemberReturned(
            actor=command.actor, member_id=member_id, reason=body.reason, on=body.on, today=latest_day()
        ),
        response,
        member_id,
    )
