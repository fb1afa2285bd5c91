"""A buying center's member as an API resource: cited facts, the member as rendered, and running a command
that changes one member."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Response
from pydantic import BaseModel, Field

from service.api.bodies import RequestBody
from service.api.commanding import Command, Written, company_settings, written
from service.api.moments import Moment
from service.commands.aggregates import BUYING_CENTER, buying_center_stream
from service.commands.handler import Outcome
from service.domain import codec
from service.domain.buying_center.decide import decide
from service.domain.buying_center.state import BuyingCenter, Citation, CitationKind, Member
from service.domain.errors import NotFound
from service.domain.settings.state import CompanySettings

AsOf = Annotated[Moment | None, Query(description="The map as kamplan knew it at this moment.")]


class CitationIn(RequestBody):
    kind: CitationKind
    ref: str = Field(
        "",
        max_length=500,
        description="Interaction id, document id or URL. Sealed with the person and forgotten with them, but for the "
        "id of one of our interactions.",
    )
    note: str = Field("", max_length=1000)

    def domain(self) -> Citation:
        return Citation(kind=self.kind, ref=self.ref, note=self.note)


def cite(citation: CitationIn | None) -> Citation | None:
    return citation.domain() if citation else None


class Node(BaseModel):
    member_id: str
    name: str | None = Field(description="Null once the person has been forgotten: the node stays, anonymous.")
    position: str
    department: str
    organisation: str
    roles: list[str]
    retired_roles: list[str] = Field(
        description="Those of `roles` the company's role set has dropped since (GET /v1/settings `retired_roles`): "
        "kept while re-sent in an assessment, given to nobody new."
    )
    influence: int
    attitude: int
    attitude_to_competitor: int
    owner: str | None
    contact_plan: str
    next_action: dict[str, Any] | None
    last_contact: date | None
    active: bool
    left_on: date | None


def node(m: Member, retired: frozenset[str]) -> Node:
    return Node(
        member_id=m.member_id,
        name=m.name,
        position=m.position,
        department=m.department,
        organisation=m.organisation,
        roles=sorted(m.roles),
        retired_roles=sorted(m.roles & retired),
        influence=m.influence,
        attitude=m.attitude,
        attitude_to_competitor=m.attitude_to_competitor,
        owner=m.owner,
        contact_plan=m.contact_plan,
        next_action=codec.to_dict(m.next_action) if m.next_action else None,
        last_contact=m.last_contact,
        active=m.active,
        left_on=m.left_on,
    )


class AwayOut(BaseModel):
    left_on: date
    returned_on: date = Field(description="The day they were back: the client's again from that day on.")


class MemberOut(Node):
    contacts: str | None
    notes: str | None
    stated_criteria: list[str]
    observed_criteria: list[str]
    problems: list[dict[str, Any]]
    left_reason: str = Field(description="Why the person left the client, while they stay gone; empty once forgotten.")
    returned_reason: str = Field(
        description="Why the person is the client's again (back, or marked as left by mistake: `…/returned`), until "
        "they leave again; empty once forgotten, as `left_reason`."
    )
    away: list[AwayOut] = Field(
        description="The periods the person was away from the client and came back from, oldest first: an "
        "interaction dated in one is none with the client. The one they are in now, if they have left, is `left_on`."
    )
    history: list[dict[str, Any]] = Field(description="How and why the view of this person changed, oldest first.")


class MemberWritten(Written):
    member: MemberOut


def member_out(m: Member, retired: frozenset[str]) -> MemberOut:
    data = codec.to_dict(m)
    return MemberOut(
        **node(m, retired).model_dump(),
        contacts=m.contacts,
        notes=m.notes,
        stated_criteria=list(m.stated_criteria),
        observed_criteria=list(m.observed_criteria),
        problems=data["problems"],
        left_reason=m.left_reason,
        returned_reason=m.returned_reason,
        away=[AwayOut(left_on=p.left_on, returned_on=p.returned_on) for p in m.away],
        history=data["history"],
    )


def member_of(state: BuyingCenter | None, member_id: str) -> Member:
    member = (state or BuyingCenter()).people.get(member_id)
    if member is None:
        raise NotFound("member-not-in-buying-center", f"no member {member_id} in this buying center")
    return member


async def act_on_member(
    command: Command,
    account_id: UUID,
    make: Any,
    response: Response,
    member_id: str,
    settings: CompanySettings | None = None,
) -> MemberWritten:
    """Run a command on the visible account's buying center and answer with the member it concerns, with the roles
    it holds that `settings` (loaded if not given) have retired."""
    stream = buying_center_stream(str(account_id))
    outcome: Outcome[BuyingCenter] = await command.run(
        BUYING_CENTER, stream, lambda s: decide(s, make(s)), account_id=str(account_id)
    )
    retired = (settings or await company_settings(command.runtime)).retired_role_codes
    member = member_out(member_of(outcome.state, member_id), retired)
    return MemberWritten(**written(response, outcome).model_dump(), member=member)
