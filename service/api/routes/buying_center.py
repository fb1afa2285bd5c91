"""The buying-center map: members, their roles and attitudes, links between them, coverage risks; JSON and SVG."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import AwareDatetime, BaseModel, Field

from service.api.commanding import Command, CommandDep, Written, company_settings, today, visible_account, written
from service.api.deps import ActorDep, RuntimeDep
from service.commands.aggregates import BUYING_CENTER, buying_center_stream
from service.commands.handler import Outcome
from service.domain import codec
from service.domain.buying_center import commands as cmd
from service.domain.buying_center.decide import decide
from service.domain.buying_center.risks import coverage_risks
from service.domain.buying_center.state import BuyingCenter, Citation, CitationKind, Member, MemberProblem, RelationKind
from service.domain.errors import NotFound
from service.runtime import Runtime
from service.views import buying_center_svg

router = APIRouter(tags=["buying center"])

AsOf = Annotated[AwareDatetime | None, Query(description="The map as kamplan knew it at this moment.")]


class CitationIn(BaseModel):
    kind: CitationKind
    ref: str = Field("", max_length=500, description="Interaction id, document id or URL.")
    note: str = Field("", max_length=1000)

    def domain(self) -> Citation:
        return Citation(kind=self.kind, ref=self.ref, note=self.note)


def _cite(citation: CitationIn | None) -> Citation | None:
    return citation.domain() if citation else None


class Node(BaseModel):
    member_id: str
    name: str | None = Field(description="Null once the person has been forgotten: the node stays, anonymous.")
    position: str
    department: str
    organisation: str
    roles: list[str]
    influence: int
    attitude: int
    attitude_to_competitor: int
    owner: str | None
    contact_plan: str
    next_action: dict[str, Any] | None
    last_contact: date | None
    active: bool
    left_on: date | None


class Edge(BaseModel):
    relationship_id: str
    source: str
    target: str
    kind: RelationKind
    formal: bool
    strength: int
    note: str


class RiskOut(BaseModel):
    code: str = Field(examples=["single-threaded"])
    reason: str
    members: list[str]
    role: str | None


class RoleOut(BaseModel):
    code: str
    label: str
    label_ru: str
    required: bool


class MapOut(Written):
    account_id: str
    account_name: str
    as_of: datetime | None
    nodes: list[Node]
    edges: list[Edge]
    risks: list[RiskOut]
    roles: list[RoleOut]


def node(m: Member) -> Node:
    return Node(
        member_id=m.member_id,
        name=m.name,
        position=m.position,
        department=m.department,
        organisation=m.organisation,
        roles=sorted(m.roles),
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


async def _map(runtime: Runtime, actor: Any, account_id: str, as_of: datetime | None) -> MapOut:
    account = await visible_account(runtime, actor, account_id)
    loaded = await runtime.repository.load(BUYING_CENTER, buying_center_stream(account_id), as_of=as_of)
    settings = await company_settings(runtime, as_of)
    state: BuyingCenter = loaded.state
    day = as_of.date() if as_of else today()
    return MapOut(
        version=loaded.version,
        position=loaded.position or None,
        account_id=account_id,
        account_name=account.state.name,
        as_of=as_of,
        nodes=[node(m) for m in sorted(state.people.values(), key=lambda m: (m.added_at or datetime.min, m.member_id))],
        edges=[
            Edge(
                relationship_id=r.relationship_id,
                source=r.source,
                target=r.target,
                kind=r.kind,
                formal=r.kind.formal,
                strength=r.strength,
                note=r.note,
            )
            for r in state.links.values()
        ],
        risks=[
            RiskOut(code=r.code, reason=r.reason, members=list(r.members), role=r.role)
            for r in coverage_risks(state, settings.roles, settings.coverage, day)
        ],
        roles=[RoleOut(code=r.code, label=r.label, label_ru=r.label_ru, required=r.required) for r in settings.roles],
    )


@router.get(
    "/accounts/{account_id}/buying-center",
    operation_id="getBuyingCenter",
    summary="The buying-center map: nodes, edges and coverage risks",
    response_model=MapOut,
)
async def get_map(
    account_id: UUID, response: Response, runtime: RuntimeDep, actor: ActorDep, as_of: AsOf = None
) -> MapOut:
    view = await _map(runtime, actor, str(account_id), as_of)
    response.headers["ETag"] = f'"{view.version}"'
    return view


@router.get(
    "/accounts/{account_id}/buying-center.svg",
    operation_id="getBuyingCenterPicture",
    summary="The buying-center map as a picture (SVG)",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "An SVG document."}},
)
async def get_map_svg(account_id: UUID, runtime: RuntimeDep, actor: ActorDep, as_of: AsOf = None) -> Response:
    view = await _map(runtime, actor, str(account_id), as_of)
    return Response(
        buying_center_svg.render(view.model_dump(mode="json")),
        media_type="image/svg+xml",
        headers={"ETag": f'"{view.version}"'},
    )


class MemberOut(Node):
    contacts: str | None
    notes: str | None
    stated_criteria: list[str]
    observed_criteria: list[str]
    problems: list[dict[str, Any]]
    left_reason: str
    history: list[dict[str, Any]] = Field(description="How and why the view of this person changed, oldest first.")


class MemberWritten(Written):
    member: MemberOut


def member_out(m: Member) -> MemberOut:
    data = codec.to_dict(m)
    return MemberOut(
        **node(m).model_dump(),
        contacts=m.contacts,
        notes=m.notes,
        stated_criteria=list(m.stated_criteria),
        observed_criteria=list(m.observed_criteria),
        problems=data["problems"],
        left_reason=m.left_reason,
        history=data["history"],
    )


def _member_of(state: BuyingCenter | None, member_id: str) -> Member:
    member = (state or BuyingCenter()).people.get(member_id)
    if member is None:
        raise NotFound("member-not-in-buying-center", f"no member {member_id} in this buying center")
    return member


@router.get(
    "/accounts/{account_id}/buying-center/members/{member_id}",
    operation_id="getMember",
    summary="One member with the history of how our view of them changed",
    response_model=MemberOut,
)
async def get_member(
    account_id: UUID, member_id: str, response: Response, runtime: RuntimeDep, actor: ActorDep, as_of: AsOf = None
) -> MemberOut:
    await visible_account(runtime, actor, str(account_id))
    loaded = await runtime.repository.load(BUYING_CENTER, buying_center_stream(str(account_id)), as_of=as_of)
    response.headers["ETag"] = f'"{loaded.version}"'
    return member_out(_member_of(loaded.state, member_id))


async def _run(command: Command, account_id: UUID, make: Any, response: Response, member_id: str) -> MemberWritten:
    await visible_account(command.runtime, command.actor, str(account_id))
    stream = buying_center_stream(str(account_id))
    outcome: Outcome[BuyingCenter] = await command.run(BUYING_CENTER, stream, lambda s: decide(s, make(s)))
    state = outcome.state
    if outcome.replayed:
        state = (await command.runtime.repository.load(BUYING_CENTER, stream)).state
    return MemberWritten(**written(response, outcome).model_dump(), member=member_out(_member_of(state, member_id)))


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


class MemberIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [EXAMPLE_MEMBER]}}

    name: str = Field(min_length=1, max_length=200, description="Personal data: erased when the person is forgotten.")
    position: str = Field("", max_length=200)
    department: str = Field("", max_length=200)
    organisation: str = Field("", max_length=200, description="The client, or an outside body.")
    contacts: str = Field("", max_length=1000, description="Personal data.")
    notes: str = Field("", max_length=5000, description="Personal data.")
    roles: set[str] = Field(default_factory=set, description="Codes from the company's role set (GET /v1/settings).")
    influence: int = Field(3, ge=1, le=5)
    attitude: int = Field(0, ge=-2, le=2, description="To us: -2 opponent … +2 ally.")
    attitude_to_competitor: int = Field(0, ge=-2, le=2)
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
    made = await _run(
        command,
        account_id,
        lambda _: cmd.AddMember(
            actor=command.actor,
            account_id=str(account_id),
            member_id=member_id,
            roles=frozenset(body.roles),
            citation=_cite(body.citation),
            known_roles=settings.role_codes,
            **fields,
        ),
        response,
        member_id,
    )
    response.headers["Location"] = f"/v1/accounts/{account_id}/buying-center/members/{member_id}"
    return made


class DetailsIn(BaseModel):
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
    account_id: UUID, member_id: str, body: DetailsIn, response: Response, command: CommandDep
) -> MemberWritten:
    return await _run(
        command,
        account_id,
        lambda _: cmd.ChangeMemberDetails(actor=command.actor, member_id=member_id, **body.model_dump()),
        response,
        member_id,
    )


class AssessmentIn(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "attitude": 1,
                    "influence": 5,
                    "citation": {"kind": "interaction", "ref": "meeting 2026-05-20", "note": "backed the trial"},
                }
            ]
        }
    }

    roles: set[str] | None = None
    influence: int | None = Field(None, ge=1, le=5)
    attitude: int | None = Field(None, ge=-2, le=2)
    attitude_to_competitor: int | None = Field(None, ge=-2, le=2)
    citation: CitationIn | None = Field(None, description="The interaction or document that justified the change.")


@router.post(
    "/accounts/{account_id}/buying-center/members/{member_id}/assessment",
    operation_id="assessMember",
    summary="Change roles, influence or attitudes, citing why",
    response_model=MemberWritten,
)
async def assess_member(
    account_id: UUID, member_id: str, body: AssessmentIn, response: Response, command: CommandDep
) -> MemberWritten:
    settings = await company_settings(command.runtime)
    return await _run(
        command,
        account_id,
        lambda _: cmd.AssessMember(
            actor=command.actor,
            member_id=member_id,
            roles=frozenset(body.roles) if body.roles is not None else None,
            influence=body.influence,
            attitude=body.attitude,
            attitude_to_competitor=body.attitude_to_competitor,
            citation=_cite(body.citation),
            known_roles=settings.role_codes,
        ),
        response,
        member_id,
    )


class CriteriaIn(BaseModel):
    stated: list[str] = Field(default_factory=list, max_length=30, description="What the person says matters.")
    observed: list[str] = Field(default_factory=list, max_length=30, description="What we see actually matters.")
    citation: CitationIn | None = None


@router.put(
    "/accounts/{account_id}/buying-center/members/{member_id}/criteria",
    operation_id="recordCriteria",
    summary="Stated and observed decision criteria",
    response_model=MemberWritten,
)
async def record_criteria(
    account_id: UUID, member_id: str, body: CriteriaIn, response: Response, command: CommandDep
) -> MemberWritten:
    return await _run(
        command,
        account_id,
        lambda _: cmd.RecordCriteria(
            actor=command.actor,
            member_id=member_id,
            stated=tuple(body.stated),
            observed=tuple(body.observed),
            citation=_cite(body.citation),
        ),
        response,
        member_id,
    )


class ProblemIn(BaseModel):
    problem: str = Field(min_length=1, max_length=1000)
    consequence: str = Field("", max_length=1000)


class ProblemsIn(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"problems": [{"problem": "Filters clog in winter", "consequence": "Warranty claims on engines"}]}
            ]
        }
    }

    problems: list[ProblemIn] = Field(max_length=30)
    citation: CitationIn | None = None


@router.put(
    "/accounts/{account_id}/buying-center/members/{member_id}/problems",
    operation_id="recordMemberProblems",
    summary="The person's problems and their consequences",
    response_model=MemberWritten,
)
async def record_problems(
    account_id: UUID, member_id: str, body: ProblemsIn, response: Response, command: CommandDep
) -> MemberWritten:
    problems = tuple(MemberProblem(problem=p.problem, consequence=p.consequence) for p in body.problems)
    return await _run(
        command,
        account_id,
        lambda _: cmd.RecordProblems(
            actor=command.actor, member_id=member_id, problems=problems, citation=_cite(body.citation)
        ),
        response,
        member_id,
    )


class ContactOwnerIn(BaseModel):
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
    return await _run(
        command,
        account_id,
        lambda _: cmd.AssignContactOwner(
            actor=command.actor, member_id=member_id, owner=body.owner, contact_plan=body.contact_plan
        ),
        response,
        member_id,
    )


class NextActionIn(BaseModel):
    what: str = Field(max_length=1000, description="Empty clears the next action.")
    due: date | None = None


@router.put(
    "/accounts/{account_id}/buying-center/members/{member_id}/next-action",
    operation_id="setNextAction",
    summary="The next action with this person, with a date",
    response_model=MemberWritten,
)
async def set_next_action(
    account_id: UUID, member_id: str, body: NextActionIn, response: Response, command: CommandDep
) -> MemberWritten:
    return await _run(
        command,
        account_id,
        lambda _: cmd.SetNextAction(actor=command.actor, member_id=member_id, what=body.what, due=body.due),
        response,
        member_id,
    )


class ContactIn(BaseModel):
    on: date = Field(description="The day we were in touch.")


@router.post(
    "/accounts/{account_id}/buying-center/members/{member_id}/contacts",
    operation_id="recordContact",
    summary="Record that we were in touch with the person (their last contact)",
    response_model=MemberWritten,
)
async def record_contact(
    account_id: UUID, member_id: str, body: ContactIn, response: Response, command: CommandDep
) -> MemberWritten:
    day = today()
    return await _run(
        command,
        account_id,
        lambda _: cmd.RecordContact(actor=command.actor, member_id=member_id, on=body.on, today=day),
        response,
        member_id,
    )


class LeftIn(BaseModel):
    on: date
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
    return await _run(
        command,
        account_id,
        lambda _: cmd.MarkMemberLeft(actor=command.actor, member_id=member_id, on=body.on, reason=body.reason),
        response,
        member_id,
    )


class LinkIn(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"source": "<member id>", "target": "<member id>", "kind": "influences", "strength": 3}]
        }
    }

    source: str
    target: str
    kind: RelationKind
    strength: int = Field(2, ge=1, le=3)
    note: str = Field("", max_length=1000)


class LinkWritten(Written):
    relationship_id: str


@router.post(
    "/accounts/{account_id}/buying-center/relationships",
    operation_id="linkMembers",
    summary="Link two members: reports to (formal), influences, allied with, rival of (informal)",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkWritten,
)
async def link(account_id: UUID, body: LinkIn, response: Response, command: CommandDep) -> LinkWritten:
    await visible_account(command.runtime, command.actor, str(account_id))
    relationship_id = command.new_id("relationship")
    outcome = await command.run(
        BUYING_CENTER,
        buying_center_stream(str(account_id)),
        lambda s: decide(
            s,
            cmd.LinkMembers(
                actor=command.actor,
                relationship_id=relationship_id,
                source=body.source,
                target=body.target,
                kind=body.kind,
                strength=body.strength,
                note=body.note,
            ),
        ),
    )
    return LinkWritten(**written(response, outcome).model_dump(), relationship_id=relationship_id)


@router.delete(
    "/accounts/{account_id}/buying-center/relationships/{relationship_id}",
    operation_id="unlinkMembers",
    summary="Remove a link (it stays in the history and in as-of views)",
    response_model=Written,
)
async def unlink(account_id: UUID, relationship_id: str, response: Response, command: CommandDep) -> Written:
    await visible_account(command.runtime, command.actor, str(account_id))
    outcome = await command.run(
        BUYING_CENTER,
        buying_center_stream(str(account_id)),
        lambda s: decide(s, cmd.UnlinkMembers(actor=command.actor, relationship_id=relationship_id)),
    )
    return written(response, outcome)
