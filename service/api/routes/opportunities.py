"""Sales projects: open, record the facts the exit criteria read, advance (or override), lose, reopen; the view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import AwareDatetime, BaseModel, Field

from service.api.commanding import Command, CommandDep, Written, company_settings, today, visible_account, written
from service.api.deps import ActorDep, RuntimeDep
from service.commands.aggregates import BUYING_CENTER, OPPORTUNITY, buying_center_stream, opportunity_stream
from service.commands.handler import Step
from service.domain import codec
from service.domain.account.state import Account
from service.domain.actors import Actor, Role
from service.domain.buying_center.state import BuyingCenter
from service.domain.errors import NotFound
from service.domain.opportunity import commands as cmd
from service.domain.opportunity.criteria import Stage
from service.domain.opportunity.decide import decide
from service.domain.opportunity.state import (
    Evidence,
    EvidenceKind,
    Kind,
    LaunchAction,
    Money,
    Opportunity,
    PriceRound,
    Problem,
    Side,
    Status,
)
from service.domain.opportunity.view import contact_intensity, exit_status, is_stalled
from service.runtime import Runtime

router = APIRouter(tags=["sales projects"])

AsOf = Annotated[AwareDatetime | None, Query(description="The project as kamplan knew it at this moment.")]


class MoneyIn(BaseModel):
    amount: Decimal = Field(examples=["12500000"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["RUB"])

    def domain(self) -> Money:
        return Money(amount=self.amount, currency=self.currency)


class CriterionOut(BaseModel):
    code: str
    description: str
    holds: bool


class OpportunityOut(Written):
    opportunity_id: str
    account_id: str
    product_line: str
    kind: Kind
    stage: Stage
    status: Status
    lost_reason: str
    expected_volume: str
    expected_value: dict[str, Any] | None
    main_competitor: str
    criteria_version: int
    exit_criteria: list[CriterionOut] = Field(description="The current stage's exit criteria and whether each holds.")
    stalled: bool
    opened_at: datetime | None
    stage_entered_at: datetime | None
    stage_history: list[dict[str, Any]] = Field(description="Who moved it when, which criteria held, overrides.")
    contact_intensity: dict[str, float | None] = Field(
        description="Interactions per 30 days before Implementation and during it (during should be higher)."
    )
    facts: dict[str, Any] = Field(
        description="allies, needs, problems, evidence, confirmed volume, price rounds, leader confirmation, "
        "launch plan, confident use, linked interactions."
    )
    as_of: datetime | None = None


FACTS = (
    "invitation",
    "allies",
    "needs",
    "problems",
    "evidence",
    "confirmed_volume",
    "volume_confirmed_by",
    "price_rounds",
    "leader_confirmation",
    "launch_plan",
    "confident_use",
    "interactions",
)


def opportunity_out(o: Opportunity, base: Written, stalled_days: int, as_of: datetime | None = None) -> OpportunityOut:
    day = as_of.date() if as_of else today()
    data = codec.to_dict(o)
    intensity = contact_intensity(o, day)
    return OpportunityOut(
        **base.model_dump(),
        opportunity_id=o.opportunity_id,
        account_id=o.account_id,
        product_line=o.product_line,
        kind=o.kind,
        stage=o.stage,
        status=o.status,
        lost_reason=o.lost_reason,
        expected_volume=o.expected_volume,
        expected_value=data["expected_value"],
        main_competitor=o.main_competitor,
        criteria_version=o.criteria.version,
        exit_criteria=[CriterionOut(code=c.code, description=c.description, holds=c.holds) for c in exit_status(o)],
        stalled=is_stalled(o, day, stalled_days),
        opened_at=o.opened_at,
        stage_entered_at=o.stage_entered_at,
        stage_history=data["history"],
        contact_intensity={"before": intensity.before, "during": intensity.during},
        facts={k: data[k] for k in FACTS},
        as_of=as_of,
    )


def may_override(actor: Actor, account: Account) -> bool:
    return actor.role is Role.ADMIN or (
        actor.role is Role.SUPERVISOR and actor.team is not None and actor.team == account.team
    )


def roles_of(state: BuyingCenter) -> dict[str, frozenset[str]]:
    return {m.member_id: m.roles for m in state.people.values()}


async def load_visible(runtime: Runtime, actor: Actor, opportunity_id: str, as_of: datetime | None = None) -> Any:
    loaded = await runtime.repository.load(OPPORTUNITY, opportunity_stream(opportunity_id), as_of=as_of)
    if not loaded.state.exists:
        current = await runtime.repository.load(OPPORTUNITY, opportunity_stream(opportunity_id))
        if not current.state.exists:
            raise NotFound("opportunity-not-found", "no such sales project, or not one you may see")
        await visible_account(runtime, actor, current.state.account_id)
        raise NotFound("opportunity-not-found", "the project did not exist at that moment")
    await visible_account(runtime, actor, loaded.state.account_id)
    return loaded


async def act(
    command: Command,
    opportunity_id: UUID,
    response: Response,
    make: Callable[[Opportunity, dict[str, frozenset[str]], Account], Any],
) -> OpportunityOut:
    """Decide on the project with the account's buying center at hand (members and their roles)."""
    current = await load_visible(command.runtime, command.actor, str(opportunity_id))
    account = await visible_account(command.runtime, command.actor, current.state.account_id)
    stream, bc = opportunity_stream(str(opportunity_id)), buying_center_stream(current.state.account_id)
    [outcome, _] = await command.handler.execute_many(
        [
            Step(OPPORTUNITY, stream, lambda s: decide(s[stream], make(s[stream], roles_of(s[bc]), account.state))),
            Step(BUYING_CENTER, bc, lambda s: []),
        ],
        actor=command.actor.sub,
        metadata=command.metadata,
        if_match=command.if_match,
        idempotency=command.idempotency,
    )
    state = outcome.state
    if state is None:
        state = (await command.runtime.repository.load(OPPORTUNITY, stream)).state
    settings = await company_settings(command.runtime)
    return opportunity_out(state, written(response, outcome), settings.stalled_days)


class OpenIn(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "product_line": "Fuel filters",
                    "kind": "new_client",
                    "expected_volume": "40,000 filters a year",
                    "expected_value": {"amount": "38000000", "currency": "RUB"},
                    "main_competitor": "Imported brand via a distributor",
                }
            ]
        }
    }

    product_line: str = Field(min_length=1, max_length=200)
    kind: Kind = Field(description="new_client starts at Entry; cross_sell starts at Finding an ally.")
    expected_volume: str = Field("", max_length=200)
    expected_value: MoneyIn | None = None
    main_competitor: str = Field("", max_length=200)
    opened_on: date | None = Field(None, description="When the project really started, if recorded later.")


@router.post(
    "/accounts/{account_id}/opportunities",
    operation_id="openOpportunity",
    summary="Open a sales project on an account (pinned to the exit criteria in force)",
    status_code=status.HTTP_201_CREATED,
    response_model=OpportunityOut,
)
async def open_opportunity(account_id: UUID, body: OpenIn, response: Response, command: CommandDep) -> OpportunityOut:
    account = await visible_account(command.runtime, command.actor, str(account_id))
    settings = await company_settings(command.runtime)
    opportunity_id = command.new_id("opportunity")
    outcome = await command.run(
        OPPORTUNITY,
        opportunity_stream(opportunity_id),
        lambda s: decide(
            s,
            cmd.OpenOpportunity(
                actor=command.actor,
                opportunity_id=opportunity_id,
                account_id=account.state.account_id,
                product_line=body.product_line,
                kind=body.kind,
                expected_volume=body.expected_volume,
                expected_value=body.expected_value.domain() if body.expected_value else None,
                main_competitor=body.main_competitor,
                criteria=settings.exit_criteria,
                opened_on=body.opened_on,
                today=today(),
            ),
        ),
    )
    state = outcome.state or (await command.runtime.repository.load(OPPORTUNITY, outcome.stream_id)).state
    response.headers["Location"] = f"/v1/opportunities/{opportunity_id}"
    return opportunity_out(state, written(response, outcome), settings.stalled_days)


@router.get(
    "/opportunities/{opportunity_id}",
    operation_id="getOpportunity",
    summary="A sales project: stage, exit criteria, stage history, facts",
    response_model=OpportunityOut,
)
async def get_opportunity(
    opportunity_id: UUID, response: Response, runtime: RuntimeDep, actor: ActorDep, as_of: AsOf = None
) -> OpportunityOut:
    loaded = await load_visible(runtime, actor, str(opportunity_id), as_of)
    settings = await company_settings(runtime, as_of)
    response.headers["ETag"] = f'"{loaded.version}"'
    base = Written(version=loaded.version, position=loaded.position or None)
    return opportunity_out(loaded.state, base, settings.stalled_days, as_of)


class AdvanceIn(BaseModel):
    model_config = {
        "json_schema_extra": {"examples": [{}, {"override_reason": "Signed letter of intent replaces the volume"}]}
    }

    override_reason: str | None = Field(
        None, min_length=1, max_length=2000, description="Supervisor only: advance despite unmet criteria, and why."
    )
    on: date | None = Field(None, description="When the stage really changed, if recorded later (not in the future).")


@router.post(
    "/opportunities/{opportunity_id}/stage",
    operation_id="advanceStage",
    summary="Advance to the next stage: refused with every unmet exit criterion unless a supervisor overrides",
    response_model=OpportunityOut,
)
async def advance(opportunity_id: UUID, body: AdvanceIn, response: Response, command: CommandDep) -> OpportunityOut:
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.AdvanceStage(
            actor=command.actor,
            override_reason=body.override_reason,
            may_override=may_override(command.actor, a),
            on=body.on,
            today=today(),
        ),
    )


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.post(
    "/opportunities/{opportunity_id}/lost",
    operation_id="markLost",
    summary="Mark the project lost",
    response_model=OpportunityOut,
)
async def mark_lost(opportunity_id: UUID, body: ReasonIn, response: Response, command: CommandDep) -> OpportunityOut:
    return await act(
        command, opportunity_id, response, lambda o, m, a: cmd.MarkLost(actor=command.actor, reason=body.reason)
    )


@router.post(
    "/opportunities/{opportunity_id}/reopen",
    operation_id="reopen",
    summary="Reopen a lost project",
    response_model=OpportunityOut,
)
async def reopen(opportunity_id: UUID, body: ReasonIn, response: Response, command: CommandDep) -> OpportunityOut:
    return await act(
        command, opportunity_id, response, lambda o, m, a: cmd.Reopen(actor=command.actor, reason=body.reason)
    )


class InvitationIn(BaseModel):
    note: str = Field(min_length=1, max_length=1000, examples=["Invited to the tender for 2027 filters"])


@router.post(
    "/opportunities/{opportunity_id}/invitation",
    operation_id="recordInvitation",
    summary="An invitation to a concrete project (meets Entry's exit criterion like a meeting)",
    response_model=OpportunityOut,
)
async def invitation(
    opportunity_id: UUID, body: InvitationIn, response: Response, command: CommandDep
) -> OpportunityOut:
    return await act(
        command, opportunity_id, response, lambda o, m, a: cmd.RecordInvitation(actor=command.actor, note=body.note)
    )


class AllyIn(BaseModel):
    member_id: str = Field(description="A buying-center member with the ally role.")


@router.post(
    "/opportunities/{opportunity_id}/allies",
    operation_id="linkAlly",
    summary="Link an ally",
    response_model=OpportunityOut,
)
async def link_ally(opportunity_id: UUID, body: AllyIn, response: Response, command: CommandDep) -> OpportunityOut:
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.LinkAlly(actor=command.actor, member_id=body.member_id, members=m),
    )


class NeedIn(BaseModel):
    member_id: str
    need: str = Field(min_length=1, max_length=1000, examples=["Filters that survive −40 °C without heating"])
    on: date
    interaction_id: str = ""


@router.post(
    "/opportunities/{opportunity_id}/needs",
    operation_id="confirmNeed",
    summary="A member confirmed an explicit need",
    response_model=OpportunityOut,
)
async def confirm_need(opportunity_id: UUID, body: NeedIn, response: Response, command: CommandDep) -> OpportunityOut:
    day = today()
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.ConfirmNeed(
            actor=command.actor,
            member_id=body.member_id,
            need=body.need,
            on=body.on,
            today=day,
            interaction_id=body.interaction_id,
            members=m,
        ),
    )


class ProblemIn(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "problem": "Filters clog in winter",
                    "consequence": "Trucks idle; overtime for maintenance",
                    "affected_member": "<member id>",
                    "explicit": True,
                    "criteria": ["cost per truck in winter", "failure-free operation"],
                }
            ]
        }
    }

    problem_id: str | None = Field(None, description="Give an existing id to refine that problem.")
    problem: str = Field(min_length=1, max_length=1000)
    consequence: str = Field("", max_length=1000)
    affected_member: str | None = None
    explicit: bool = False
    criteria: list[str] = Field(default_factory=list, max_length=20)
    need_confirmed_by: str | None = None
    confirmed_on: date | None = None


@router.post(
    "/opportunities/{opportunity_id}/problems",
    operation_id="recordProblem",
    summary="Add or refine a problem of the problems-and-consequences (SPIN) list",
    response_model=OpportunityOut,
)
async def record_problem(
    opportunity_id: UUID, body: ProblemIn, response: Response, command: CommandDep
) -> OpportunityOut:
    problem = Problem(
        problem_id=body.problem_id or command.new_id(f"problem:{body.problem}"),
        problem=body.problem,
        consequence=body.consequence,
        affected_member=body.affected_member,
        explicit=body.explicit,
        criteria=tuple(body.criteria),
        need_confirmed_by=body.need_confirmed_by,
        confirmed_on=body.confirmed_on,
    )
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.RecordProblem(actor=command.actor, problem=problem, members=m),
    )


@router.delete(
    "/opportunities/{opportunity_id}/problems/{problem_id}",
    operation_id="removeProblem",
    summary="Remove a problem from the list",
    response_model=OpportunityOut,
)
async def remove_problem(
    opportunity_id: UUID, problem_id: str, response: Response, command: CommandDep
) -> OpportunityOut:
    return await act(
        command, opportunity_id, response, lambda o, m, a: cmd.RemoveProblem(actor=command.actor, problem_id=problem_id)
    )


class EvidenceIn(BaseModel):
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


class VolumeIn(BaseModel):
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
        lambda o, m, a: cmd.ConfirmVolume(actor=command.actor, volume=body.volume, member_id=body.member_id, members=m),
    )


class PriceRoundIn(BaseModel):
    round: int = Field(ge=1, le=3)
    level: str = Field(min_length=1, max_length=200, examples=["procurement director"])
    on: date
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
        command, opportunity_id, response, lambda o, m, a: cmd.RecordPriceRound(actor=command.actor, price_round=price)
    )


class ConfirmationIn(BaseModel):
    member_id: str
    note: str = Field(min_length=1, max_length=2000)
    on: date


@router.post(
    "/opportunities/{opportunity_id}/leader-confirmation",
    operation_id="recordLeaderConfirmation",
    summary="The buyer's authorised leader confirmed need and volume",
    response_model=OpportunityOut,
)
async def leader_confirmation(
    opportunity_id: UUID, body: ConfirmationIn, response: Response, command: CommandDep
) -> OpportunityOut:
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.RecordLeaderConfirmation(
            actor=command.actor, member_id=body.member_id, note=body.note, on=body.on, members=m
        ),
    )


class LaunchActionIn(BaseModel):
    side: Side
    what: str = Field(min_length=1, max_length=1000)
    owner: str = Field(min_length=1, max_length=200)
    due: date


class LaunchPlanIn(BaseModel):
    actions: list[LaunchActionIn] = Field(min_length=1, max_length=100)


@router.put(
    "/opportunities/{opportunity_id}/launch-plan",
    operation_id="setLaunchPlan",
    summary="The action plan for launch into series: both sides' actions, each with a deadline",
    response_model=OpportunityOut,
)
async def launch_plan(
    opportunity_id: UUID, body: LaunchPlanIn, response: Response, command: CommandDep
) -> OpportunityOut:
    actions = tuple(LaunchAction(**a.model_dump()) for a in body.actions)
    return await act(
        command, opportunity_id, response, lambda o, m, a: cmd.SetLaunchPlan(actor=command.actor, actions=actions)
    )


@router.post(
    "/opportunities/{opportunity_id}/confident-use",
    operation_id="confirmConfidentUse",
    summary="The client uses the product confidently (Implementation's exit)",
    response_model=OpportunityOut,
)
async def confident_use(
    opportunity_id: UUID, body: ConfirmationIn, response: Response, command: CommandDep
) -> OpportunityOut:
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.ConfirmConfidentUse(
            actor=command.actor, member_id=body.member_id, note=body.note, on=body.on, members=m
        ),
    )


@router.post(
    "/opportunities/{opportunity_id}/criteria-migration",
    operation_id="migrateCriteria",
    summary="Move the project to the company's exit criteria in force (supervisor or admin; audited)",
    response_model=OpportunityOut,
)
async def migrate_criteria(
    opportunity_id: UUID, body: ReasonIn, response: Response, command: CommandDep
) -> OpportunityOut:
    settings = await company_settings(command.runtime)
    return await act(
        command,
        opportunity_id,
        response,
        lambda o, m, a: cmd.MigrateCriteria(
            actor=command.actor,
            criteria=settings.exit_criteria,
            reason=body.reason,
            may_override=may_override(command.actor, a),
        ),
    )
