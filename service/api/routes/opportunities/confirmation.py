"""The facts of Confirmation: evidence from trials and tests, the volume confirmed, price rounds."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field, StrictInt

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep
from service.api.days import latest_day
from service.api.moments import Day
from service.api.routes.opportunities.resource import MoneyIn, OpportunityOut, act
from service.domain.opportunity import commands as cmd
from service.domain.opportunity.state import Evidence, EvidenceKind, PriceRound

router = APIRouter(tags=["sales projects"])


class EvidenceIn(RequestBody):
    kind: EvidenceKind
    title: str = Field(
        min_length=1, max_length=500, examples=["Winter trial report: cost per truck, overtime, failures"]
    )
    ref: str = Field("", max_length=1000, description="URL or document id.")


@router.post(
    "/opportunities/{opportunity_id}/evidence",
    operation_id="addEvidence",
    summary="Evidence for the decision makers' criteria: tests, lab reports, calculations, estimates, past projects",
    response_model=OpportunityOut,
)
async def add_evidence(
    opportunity_id: UUID, body: EvidenceIn, response: Response, command: CommandDep
) -> OpportunityOut:
    evidence = Evidence(evidence_id=command.new_id("evidence"), kind=body.kind, title=body.title, ref=body.ref)
    return await act(
        command, opportunity_id, response, lambda o, m, a: cmd.AddEvidence(actor=command.actor, evidence=evidence)
    )


class VolumeIn(RequestBody):
    volume: str = Field(min_length=1, max_length=200, examples=["40,000 filters in 2027"])
    member_id: str | None = Field(None, description="Who confirmed it.")


@router.post(
    "/opportunities/{opportunity_id}/volume",
    operation_id="confirmVolume",
    summary="A confirmed purchase volume",
    response_model=OpportunityOut,
)
async def confirm_volume(
    opportunity_id: UUID, body: VolumeIn, response: Response, command: CommandDep
) -> OpportunityOut:
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.ConfirmVolume(
            actor=command.actor, volume=body.volume, member_id=body.member_id, members=m.roles, left=m.left
        ),
    )


class PriceRoundIn(RequestBody):
    round: StrictInt = Field(ge=1, le=3)
    level: str = Field(min_length=1, max_length=200, examples=["procurement director"])
    on: Day
    offer: MoneyIn | None = None
    outcome: str = Field("", max_length=1000)


@router.post(
    "/opportunities/{opportunity_id}/price-rounds",
    operation_id="recordPriceRound",
    summary="A price discussion (1st, 2nd, 3rd round) and the level at which it happened",
    response_model=OpportunityOut,
)
async def price_round(
    opportunity_id: UUID, body: PriceRoundIn, response: Response, command: CommandDep
) -> OpportunityOut:
    price = PriceRound(
        round=body.round,
        level=body.level,
        on=body.on,
        offer=body.offer.domain() if body.offer else None,
        outcome=body.outcome,
    )
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.RecordPriceRound(actor=command.actor, price_round=price, today=latest_day()),
    )
