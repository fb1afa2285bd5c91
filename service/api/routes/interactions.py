"""The interaction log: log (with what it taught us, in one atomic commit), correct, retract; the timeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import AwareDatetime, BaseModel, Field

from service.api.commanding import Command, CommandDep, Written, company_settings, today, visible_account, written
from service.api.deps import ActorDep, RuntimeDep
from service.api.freshness import fresh
from service.api.pagination import decode_cursor, encode_cursor
from service.commands.aggregates import (
    BUYING_CENTER,
    DOSSIER,
    INTERACTION,
    OPPORTUNITY,
    buying_center_stream,
    dossier_stream,
    interaction_stream,
    opportunity_stream,
)
from service.commands.handler import Outcome, Step
from service.domain import codec
from service.domain.actors import Actor
from service.domain.buying_center import commands as bc
from service.domain.buying_center.decide import decide as bc_decide
from service.domain.buying_center.decide import evolve as bc_evolve
from service.domain.buying_center.state import Citation, CitationKind
from service.domain.dossier import commands as dc
from service.domain.dossier.decide import decide as dossier_decide
from service.domain.dossier.decide import evolve as dossier_evolve
from service.domain.dossier.state import Confidence
from service.domain.errors import DomainError, NotFound
from service.domain.interaction import model as im
from service.domain.opportunity import commands as oc
from service.domain.opportunity.decide import decide as opp_decide
from service.domain.opportunity.decide import evolve as opp_evolve
from service.runtime import Runtime

router = APIRouter(tags=["interactions"])


def decide_all(
    decide: Callable[[Any, Any], list[Any]], evolve: Callable[..., Any], state: Any, commands: Sequence[Any]
) -> list[Any]:
    """Several commands on one aggregate, each deciding on the state the previous ones left."""
    events: list[Any] = []
    for command in commands:
        for event in decide(state, command):
            events.append(event)
            state = evolve(state, event)
    return events


class AssessmentIn(BaseModel):
    member_id: str
    roles: set[str] | None = None
    influence: int | None = Field(None, ge=1, le=5)
    attitude: int | None = Field(None, ge=-2, le=2)
    attitude_to_competitor: int | None = Field(None, ge=-2, le=2)
    note: str = Field("", max_length=1000)


class NeedIn(BaseModel):
    opportunity_id: str = Field(description="One of the interaction's projects.")
    member_id: str
    need: str = Field(min_length=1, max_length=1000)


class AnswerIn(BaseModel):
    question_code: str
    value: Any
    about: str | None = None
    confidence: Confidence = Confidence.MEDIUM


class LearnedIn(BaseModel):
    """What the interaction taught us: each change cites the interaction."""

    assessments: list[AssessmentIn] = Field(default_factory=list, max_length=50)
    needs: list[NeedIn] = Field(default_factory=list, max_length=50)
    answers: list[AnswerIn] = Field(default_factory=list, max_length=50)


class DetailsIn(BaseModel):
    kind: im.InteractionKind
    occurred_on: date = Field(description="When it happened (business time; may be in the past).")
    participants: list[str] = Field(default_factory=list, max_length=100, description="Buying-center member ids.")
    our_participants: list[str] = Field(default_factory=list, max_length=50, description="People on our side.")
    summary: str = Field(min_length=1, max_length=10_000)
    outcome: str = Field("", max_length=5000)
    next_step: str = Field("", max_length=1000)
    next_step_due: date | None = None
    projects: list[str] = Field(default_factory=list, max_length=20, description="Linked sales project ids.")
    documents: list[str] = Field(default_factory=list, max_length=50, description="Document references.")

    def domain(self) -> im.Details:
        return im.Details(
            kind=self.kind,
            occurred_on=self.occurred_on,
            participants=tuple(self.participants),
            our_participants=tuple(self.our_participants),
            summary=self.summary,
            outcome=self.outcome,
            next_step=self.next_step,
            next_step_due=self.next_step_due,
            projects=tuple(self.projects),
            documents=tuple(self.documents),
        )


EXAMPLE = {
    "kind": "meeting",
    "occurred_on": "2026-11-20",
    "participants": ["<member id>"],
    "our_participants": ["kam.ivanova"],
    "summary": "Reviewed the winter trial report with the engine-systems team",
    "outcome": "They want the filter for all 2027 engines",
    "next_step": "Send the cost calculation",
    "next_step_due": "2026-12-01",
    "projects": ["<opportunity id>"],
    "learned": {
        "assessments": [{"member_id": "<member id>", "attitude": 2, "note": "defended us in the council"}],
        "needs": [{"opportunity_id": "<opportunity id>", "member_id": "<member id>", "need": "No clogging at −40 °C"}],
    },
}


class LogIn(DetailsIn):
    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}

    learned: LearnedIn = Field(default_factory=LearnedIn)


class CorrectIn(DetailsIn):
    reason: str = Field(min_length=1, max_length=1000)


class InteractionOut(Written):
    interaction_id: str
    account_id: str
    details: dict[str, Any] | None
    retracted: bool
    retraction_reason: str
    logged_at: datetime | None
    corrections: list[dict[str, Any]] = Field(description="Earlier versions of the entry, with when and why replaced.")
    as_of: datetime | None = None


def interaction_out(state: im.Interaction, base: Written, as_of: datetime | None = None) -> InteractionOut:
    return InteractionOut(
        **base.model_dump(),
        interaction_id=state.interaction_id,
        account_id=state.account_id,
        details=codec.to_dict(state.details) if state.details else None,
        retracted=state.retracted,
        retraction_reason=state.retraction_reason,
        logged_at=state.logged_at,
        corrections=list(state.corrections),
        as_of=as_of,
    )


def _projects_of(states: dict[str, Any], account_id: str, ids: Sequence[str]) -> frozenset[str]:
    return frozenset(
        i
        for i in ids
        if states[opportunity_stream(i)].exists and states[opportunity_stream(i)].account_id == account_id
    )


def _steps(
    actor: Actor,
    interaction_id: str,
    account_id: str,
    details: im.Details,
    previous: im.Details | None,
    make: Callable[[dict[str, Any]], Any],
    learned: LearnedIn,
    day: date,
    settings: Any,
) -> list[Step]:
    """The interaction's own stream, then what it changes: contacts, assessments, projects, dossier answers."""
    stream, bc_stream = interaction_stream(interaction_id), buying_center_stream(account_id)
    projects = sorted(set(details.projects) | set(previous.projects if previous else ()))
    for need in learned.needs:
        if need.opportunity_id not in details.projects:
            raise DomainError(
                "opportunity-not-linked", "a need confirmed in an interaction belongs to one of its projects"
            )

    def contacts(states: dict[str, Any]) -> list[Any]:
        gone = set(previous.participants if previous else ()) - set(details.participants)
        commands: list[Any] = [
            bc.RecordContact(actor=actor, member_id=m, on=details.occurred_on, today=day, interaction_id=interaction_id)
            for m in details.participants
            if m in states[bc_stream].people
        ]
        commands += [bc.WithdrawContact(actor=actor, member_id=m, interaction_id=interaction_id) for m in sorted(gone)]
        commands += [
            bc.AssessMember(
                actor=actor,
                member_id=a.member_id,
                roles=frozenset(a.roles) if a.roles is not None else None,
                influence=a.influence,
                attitude=a.attitude,
                attitude_to_competitor=a.attitude_to_competitor,
                citation=Citation(kind=CitationKind.INTERACTION, ref=interaction_id, note=a.note),
                known_roles=settings.role_codes,
            )
            for a in learned.assessments
        ]
        return decide_all(bc_decide, bc_evolve, states[bc_stream], commands)

    def project(pid: str) -> Step:
        p_stream = opportunity_stream(pid)

        def decide(states: dict[str, Any]) -> list[Any]:
            if not states[p_stream].exists or states[p_stream].account_id != account_id:
                return []  # refused by the interaction's own rules
            members = {m.member_id: m.roles for m in states[bc_stream].people.values()}
            commands: list[Any] = []
            if pid in details.projects:
                commands.append(
                    oc.LinkInteraction(
                        actor=actor, interaction_id=interaction_id, kind=details.kind.value, on=details.occurred_on
                    )
                )
            else:
                commands.append(oc.UnlinkInteraction(actor=actor, interaction_id=interaction_id))
            commands += [
                oc.ConfirmNeed(
                    actor=actor,
                    member_id=n.member_id,
                    need=n.need,
                    on=details.occurred_on,
                    today=day,
                    interaction_id=interaction_id,
                    members=members,
                )
                for n in learned.needs
                if n.opportunity_id == pid
            ]
            return decide_all(opp_decide, opp_evolve, states[p_stream], commands)

        return Step(OPPORTUNITY, p_stream, decide)

    steps = [
        Step(INTERACTION, stream, lambda states: im.decide(states[stream], make(states))),
        Step(BUYING_CENTER, bc_stream, contacts),
        *(project(pid) for pid in projects),
    ]
    if learned.answers:
        d_stream = dossier_stream(account_id)

        def answers(states: dict[str, Any]) -> list[Any]:
            members = frozenset(states[bc_stream].people)
            commands = [
                dc.RecordAnswer(
                    actor=actor,
                    account_id=account_id,
                    question_code=a.question_code,
                    question=settings.template.question(a.question_code),
                    template_version=settings.template.version,
                    value=a.value,
                    source=f"{details.kind.value} on {details.occurred_on.isoformat()} (interaction {interaction_id})",
                    learned_on=details.occurred_on,
                    today=day,
                    confidence=a.confidence,
                    about=a.about,
                    members=members,
                )
                for a in learned.answers
            ]
            return decide_all(dossier_decide, dossier_evolve, states[d_stream], commands)

        steps.append(Step(DOSSIER, d_stream, answers))
    return steps


async def _run(command: Command, steps: list[Step]) -> Outcome[Any]:
    outcomes = await command.handler.execute_many(
        steps,
        actor=command.actor.sub,
        metadata=command.metadata,
        if_match=command.if_match,
        idempotency=command.idempotency,
    )
    first = outcomes[0]
    position = max((o.position for o in outcomes if o.position is not None), default=None)
    state = first.state or (await command.runtime.repository.load(INTERACTION, first.stream_id)).state
    return Outcome(first.stream_id, first.version, position, first.events, first.replayed, state)


@router.post(
    "/accounts/{account_id}/interactions",
    operation_id="logInteraction",
    summary="Log an interaction, and in the same commit what it taught us (attitudes, needs, dossier answers)",
    status_code=status.HTTP_201_CREATED,
    response_model=InteractionOut,
)
async def log_interaction(account_id: UUID, body: LogIn, response: Response, command: CommandDep) -> InteractionOut:
    account = await visible_account(command.runtime, command.actor, str(account_id))
    settings = await company_settings(command.runtime)
    interaction_id = command.new_id("interaction")
    details, day, aid = body.domain(), today(), account.state.account_id

    def make(states: dict[str, Any]) -> im.LogInteraction:
        return im.LogInteraction(
            actor=command.actor,
            interaction_id=interaction_id,
            account_id=aid,
            details=details,
            today=day,
            members=frozenset(states[buying_center_stream(aid)].people),
            projects=_projects_of(states, aid, details.projects),
        )

    steps = _steps(command.actor, interaction_id, aid, details, None, make, body.learned, day, settings)
    outcome = await _run(command, steps)
    response.headers["Location"] = f"/v1/interactions/{interaction_id}"
    return interaction_out(outcome.state, written(response, outcome))


async def _visible(runtime: Runtime, actor: Actor, interaction_id: str, as_of: datetime | None = None) -> Any:
    loaded = await runtime.repository.load(INTERACTION, interaction_stream(interaction_id), as_of=as_of)
    current = (
        loaded if as_of is None else await runtime.repository.load(INTERACTION, interaction_stream(interaction_id))
    )
    if not current.state.exists:
        raise NotFound("interaction-not-found", "no such interaction, or not one you may see")
    await visible_account(runtime, actor, current.state.account_id)
    if not loaded.state.exists:
        raise NotFound("interaction-not-found", "the interaction was not logged yet at that moment")
    return loaded


@router.get(
    "/interactions/{interaction_id}",
    operation_id="getInteraction",
    summary="One interaction with its corrections",
    response_model=InteractionOut,
)
async def get_interaction(
    interaction_id: UUID,
    response: Response,
    runtime: RuntimeDep,
    actor: ActorDep,
    as_of: Annotated[AwareDatetime | None, Query(description="As kamplan knew it then.")] = None,
) -> InteractionOut:
    loaded = await _visible(runtime, actor, str(interaction_id), as_of)
    response.headers["ETag"] = f'"{loaded.version}"'
    return interaction_out(loaded.state, Written(version=loaded.version, position=loaded.position or None), as_of)


@router.post(
    "/interactions/{interaction_id}/corrections",
    operation_id="correctInteraction",
    summary="Correct an entry (the earlier version is kept); projects and contacts follow the correction",
    response_model=InteractionOut,
)
async def correct_interaction(
    interaction_id: UUID, body: CorrectIn, response: Response, command: CommandDep
) -> InteractionOut:
    current = await _visible(command.runtime, command.actor, str(interaction_id))
    settings = await company_settings(command.runtime)
    state: im.Interaction = current.state
    details, day, aid = body.domain(), today(), state.account_id

    def make(states: dict[str, Any]) -> im.CorrectInteraction:
        return im.CorrectInteraction(
            actor=command.actor,
            details=details,
            reason=body.reason,
            today=day,
            members=frozenset(states[buying_center_stream(aid)].people),
            projects=_projects_of(states, aid, details.projects),
        )

    steps = _steps(command.actor, str(interaction_id), aid, details, state.details, make, LearnedIn(), day, settings)
    outcome = await _run(command, steps)
    return interaction_out(outcome.state, written(response, outcome))


class RetractIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


@router.post(
    "/interactions/{interaction_id}/retract",
    operation_id="retractInteraction",
    summary="Retract an entry logged by mistake: it leaves the timeline, its projects and last contacts",
    response_model=InteractionOut,
)
async def retract_interaction(
    interaction_id: UUID, body: RetractIn, response: Response, command: CommandDep
) -> InteractionOut:
    current = await _visible(command.runtime, command.actor, str(interaction_id))
    state: im.Interaction = current.state
    if state.details is None:
        raise NotFound("interaction-not-found", "no such interaction")
    empty = im.Details(
        kind=state.details.kind,
        occurred_on=state.details.occurred_on,
        participants=(),
        our_participants=(),
        summary="-",
    )
    settings = await company_settings(command.runtime)
    steps = _steps(
        command.actor,
        str(interaction_id),
        state.account_id,
        empty,
        state.details,
        lambda states: im.RetractInteraction(actor=command.actor, reason=body.reason),
        LearnedIn(),
        today(),
        settings,
    )
    outcome = await _run(command, steps)
    return interaction_out(outcome.state, written(response, outcome))


class TimelineEntry(BaseModel):
    interaction_id: str
    kind: str
    occurred_on: date
    participants: list[str]
    our_participants: list[str]
    summary: str
    outcome: str
    next_step: str
    next_step_due: date | None
    projects: list[str]
    logged_by: str | None
    retracted: bool


class TimelinePage(BaseModel):
    items: list[TimelineEntry]
    next_cursor: str | None


TIMELINE = """
SELECT interaction_id, kind, occurred_on, participants, our_participants, summary, outcome, next_step,
       next_step_due, projects, logged_by, retracted
FROM read.interactions
WHERE account_id = $1
  AND ($2::text IS NULL OR $2 = ANY(participants))
  AND ($3::text IS NULL OR kind = $3)
  AND ($4::date IS NULL OR occurred_on >= $4)
  AND ($5::date IS NULL OR occurred_on <= $5)
  AND ($6::boolean OR NOT retracted)
  AND ($7::text IS NULL OR $7 = ANY(projects))
  AND ($8::date IS NULL OR (occurred_on, interaction_id) < ($8, $9))
ORDER BY occurred_on DESC, interaction_id DESC
LIMIT $10
"""


async def timeline(
    runtime: Runtime,
    account_id: str,
    member_id: str | None,
    kind: im.InteractionKind | None,
    since: date | None,
    until: date | None,
    include_retracted: bool,
    opportunity_id: str | None,
    cursor: str | None,
    limit: int,
) -> TimelinePage:
    after = decode_cursor(cursor, "occurred_on", "interaction_id")
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            TIMELINE,
            account_id,
            member_id,
            kind.value if kind else None,
            since,
            until,
            include_retracted,
            opportunity_id,
            date.fromisoformat(after["occurred_on"]) if after else None,
            after["interaction_id"] if after else None,
            limit + 1,
        )
    items = [TimelineEntry(**dict(r)) for r in rows[:limit]]
    more = len(rows) > limit
    last = items[-1] if items else None
    token = {"occurred_on": last.occurred_on.isoformat(), "interaction_id": last.interaction_id} if last else {}
    return TimelinePage(items=items, next_cursor=encode_cursor(token) if more else None)


Limit = Annotated[int, Query(ge=1, le=500)]


@router.get(
    "/accounts/{account_id}/timeline",
    operation_id="accountTimeline",
    summary="The account's interactions, newest first; filter by member, kind, dates, project",
    response_model=TimelinePage,
    responses={503: {"description": "min_position not reached in time (problem projection-lagging)"}},
)
async def account_timeline(
    account_id: UUID,
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("interactions"))],
    member_id: str | None = None,
    kind: im.InteractionKind | None = None,
    since: date | None = None,
    until: date | None = None,
    opportunity_id: str | None = None,
    include_retracted: bool = False,
    cursor: str | None = None,
    limit: Limit = 50,
) -> TimelinePage:
    await visible_account(runtime, actor, str(account_id))
    return await timeline(
        runtime, str(account_id), member_id, kind, since, until, include_retracted, opportunity_id, cursor, limit
    )


@router.get(
    "/accounts/{account_id}/buying-center/members/{member_id}/timeline",
    operation_id="memberTimeline",
    summary="The interactions a member took part in, newest first",
    response_model=TimelinePage,
    responses={503: {"description": "min_position not reached in time (problem projection-lagging)"}},
)
async def member_timeline(
    account_id: UUID,
    member_id: str,
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("interactions"))],
    kind: im.InteractionKind | None = None,
    since: date | None = None,
    until: date | None = None,
    include_retracted: bool = False,
    cursor: str | None = None,
    limit: Limit = 50,
) -> TimelinePage:
    await visible_account(runtime, actor, str(account_id))
    return await timeline(
        runtime, str(account_id), member_id, kind, since, until, include_retracted, None, cursor, limit
    )
