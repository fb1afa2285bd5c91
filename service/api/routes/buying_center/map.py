"""The buying-center map: members as nodes, formal and informal links as edges, roles, coverage risks; JSON
and SVG, as of any moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from service.api.commanding import Written, account_then, company_settings
from service.api.conditional import NOT_MODIFIED, IfNoneMatch, not_modified
from service.api.days import day_of
from service.api.deps import ActorDep, RuntimeDep
from service.api.routes.buying_center.resource import (
    AsOf,
    Node,
    node,
)
from service.commands.aggregates import BUYING_CENTER, buying_center_stream
from service.domain.buying_center.risks import coverage_risks
from service.domain.buying_center.state import BuyingCenter, RelationKind
from service.domain.settings.state import RoleDefinition
from service.runtime import Runtime
from service.views import buying_center_svg

router = APIRouter(tags=["buying center"])


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
    risks: list[RiskOut] = Field(
        description="Coverage risks of an account being worked: none for a lost account, nor for a prospect with "
        "nobody on its map yet."
    )
    roles: list[RoleOut]
    retired_roles: list[RoleOut] = Field(
        description="Roles someone on the map holds that the company's role set has dropped since, as last defined: "
        "they keep them, nobody new is given them."
    )


def _role(r: RoleDefinition) -> RoleOut:
    return RoleOut(code=r.code, label=r.label, label_ru=r.label_ru, required=r.required)


async def _map(runtime: Runtime, actor: Any, account_id: str, as_of: datetime | None) -> MapOut:
    account = await account_then(runtime, actor, account_id, as_of)  # its name then, too
    loaded = await runtime.repository.load(BUYING_CENTER, buying_center_stream(account_id), as_of=as_of)
    settings = await company_settings(runtime, as_of)
    state: BuyingCenter = loaded.state
    day = day_of(as_of)
    held = frozenset(code for m in state.people.values() for code in m.roles)
    return MapOut(
        version=loaded.version,
        position=loaded.position or None,
        account_id=account_id,
        account_name=account.state.name,
        as_of=as_of,
        nodes=[
            node(m, settings.retired_role_codes)
            for m in sorted(state.people.values(), key=lambda m: (m.added_at or datetime.min, m.member_id))
        ],
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
            for r in coverage_risks(state, settings.roles, settings.coverage, day, lifecycle=account.state.lifecycle)
        ],
        roles=[_role(r) for r in settings.roles],
        retired_roles=[_role(r) for r in settings.retired_roles if r.code in held],
    )


@router.get(
    "/accounts/{account_id}/buying-center",
    operation_id="getBuyingCenter",
    summary="The buying-center map: nodes, edges and coverage risks",
    response_model=MapOut,
    responses=NOT_MODIFIED,
)
async def get_map(
    account_id: UUID,
    response: Response,
    runtime: RuntimeDep,
    actor: ActorDep,
    unless: IfNoneMatch,
    as_of: AsOf = None,
) -> MapOut | Response:
    view = await _map(runtime, actor, str(account_id), as_of)
    return not_modified(response, unless, view.version, view.model_dump_json().encode()) or view


@router.get(
    "/accounts/{account_id}/buying-center.svg",
    operation_id="getBuyingCenterPicture",
    summary="The buying-center map as a picture (SVG)",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "An SVG document."}, **NOT_MODIFIED},
)
async def get_map_svg(
    account_id: UUID, runtime: RuntimeDep, actor: ActorDep, unless: IfNoneMatch, as_of: AsOf = None
) -> Response:
    view = await _map(runtime, actor, str(account_id), as_of)
    picture = Response(buying_center_svg.render(view.model_dump(mode="json")), media_type="image/svg+xml")
    return not_modified(picture, unless, view.version, picture.body) or picture
