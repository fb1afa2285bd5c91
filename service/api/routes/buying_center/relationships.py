"""Links between members, formal (reports to) and informal (trusts, is friends with)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import ConfigDict, Field, StrictInt

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep, Written, written
from service.commands.aggregates import BUYING_CENTER, buying_center_stream
from service.domain.buying_center import commands as cmd
from service.domain.buying_center.decide import decide
from service.domain.buying_center.state import RelationKind

router = APIRouter(tags=["buying center"])


class LinkIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"source": "<member id>", "target": "<member id>", "kind": "influences", "strength": 3}]
        }
    )

    source: str
    target: str
    kind: RelationKind
    strength: StrictInt = Field(2, ge=1, le=3)
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
        account_id=str(account_id),
    )
    return LinkWritten(**written(response, outcome).model_dump(), relationship_id=relationship_id)


@router.delete(
    "/accounts/{account_id}/buying-center/relationships/{relationship_id}",
    operation_id="unlinkMembers",
    summary="Remove a link (it stays in the history and in as-of views)",
    response_model=Written,
)
async def unlink(account_id: UUID, relationship_id: str, response: Response, command: CommandDep) -> Written:
    outcome = await command.run(
        BUYING_CENTER,
        buying_center_stream(str(account_id)),
        lambda s: decide(s, cmd.UnlinkMembers(actor=command.actor, relationship_id=relationship_id)),
        account_id=str(account_id),
    )
    return written(response, outcome)
