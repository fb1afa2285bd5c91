"""Interactions themselves: log one (with what it taught us, in one atomic commit), read it as of any moment,
correct it, retract it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from service.api.bodies import RequestBody
from service.api.commanding import (
    Command,
    CommandDep,
    Written,
    account_of,
    company_settings,
    existing,
    set_etag,
    written,
)
from service.api.days import latest_day
from service.api.deps import ActorDep, RuntimeDep
from service.api.moments import Moment
from service.api.routes.interactions.lessons import LearnedIn, Replan, projects_of, steps_of
from service.api.routes.interactions.resource import CorrectIn, InteractionOut, LogIn, interaction_out
from service.commands.aggregates import (
    INTERACTION,
    buying_center_stream,
    interaction_stream,
)
from service.commands.handler import Outcome, Step
from service.domain.actors import Actor
from service.domain.errors import Conflict, NotFound
from service.domain.interaction import model as im
from service.runtime import Runtime

REPLANS = 4

router = APIRouter(tags=["interactions"])


def _hidden() -> NotFound:
    return NotFound("interaction-not-found", "no such interaction, or not one you may see")


async def _run_planned(command: Command, plan: Callable[[], Awaitable[tuple[list[Step], str]]]) -> Outcome[Any]:
    """Run the steps `plan` makes from the entry as it is (with its account's id); plan again when a racing correction
    or retraction changed it first (its projects and contacts would otherwise keep what that one linked)."""
    for _ in range(REPLANS):
        try:
            steps, account_id = await plan()
            return await _run(command, steps, account_id, _hidden())
        except Replan:
            continue
    raise Conflict("concurrency-conflict", "the interaction kept changing while this request was decided; retry")


async def _run(command: Command, steps: list[Step], account_id: str, hidden: NotFound | None = None) -> Outcome[Any]:
    """The steps in one append, while the actor may see the account (judged on it as loaded, checked at the append)."""
    outcomes = await command.run_many(steps, account_id=account_id, hidden=hidden)
    first = outcomes[0]
    position = max((o.position for o in outcomes if o.position is not None), default=None)
    state = first.state
    return Outcome(first.stream_id, first.version, position, first.events, first.replayed, state)


@router.post(
    "/accounts/{account_id}/interactions",
    operation_id="logInteraction",
    summary="Log an interaction, and in the same commit what it taught us (attitudes, needs, dossier answers)",
    status_code=status.HTTP_201_CREATED,
    response_model=InteractionOut,
)
async def log_interaction(account_id: UUID, body: LogIn, response: Response, command: CommandDep) -> InteractionOut:
    settings = await company_settings(command.runtime)
    interaction_id = command.new_id("interaction")
    details, day, aid = body.domain(), latest_day(), str(account_id)

    def make(states: dict[str, Any]) -> im.LogInteraction:
        return im.LogInteraction(
            actor=command.actor,
            interaction_id=interaction_id,
            account_id=aid,
            details=details,
            today=day,
            members=frozenset(states[buying_center_stream(aid)].people),
            projects=projects_of(states, aid, details.projects),
        )

    steps = steps_of(command.actor, interaction_id, aid, details, None, make, body.learned, day, settings)
    outcome = await _run(command, steps, aid)
    response.headers["Location"] = f"/v1/interactions/{interaction_id}"
    return interaction_out(outcome.state, written(response, outcome))


async def _visible(runtime: Runtime, actor: Actor, interaction_id: str, as_of: datetime | None = None) -> Any:
    loaded = await runtime.repository.load(INTERACTION, interaction_stream(interaction_id), as_of=as_of)
    current = (
        loaded if as_of is None else await runtime.repository.load(INTERACTION, interaction_stream(interaction_id))
    )
    if not current.state.exists:
        raise _hidden()
    await account_of(runtime, actor, current.state.account_id, _hidden())
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
    as_of: Annotated[Moment | None, Query(description="As kamplan knew it then.")] = None,
) -> InteractionOut:
    loaded = await _visible(runtime, actor, str(interaction_id), as_of)
    set_etag(response, loaded.version)
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
    settings = await company_settings(command.runtime)
    details, day = body.domain(), latest_day()

    async def plan() -> tuple[list[Step], str]:
        stream = interaction_stream(str(interaction_id))
        state: im.Interaction = (await existing(command.runtime, INTERACTION, stream, _hidden())).state
        aid = state.account_id

        def make(states: dict[str, Any]) -> im.CorrectInteraction:
            return im.CorrectInteraction(
                actor=command.actor,
                details=details,
                reason=body.reason,
                today=day,
                members=frozenset(states[buying_center_stream(aid)].people),
                projects=projects_of(states, aid, details.projects),
            )

        steps = steps_of(
            command.actor, str(interaction_id), aid, details, state.details, make, LearnedIn(), day, settings
        )
        return steps, aid

    outcome = await _run_planned(command, plan)
    return interaction_out(outcome.state, written(response, outcome))


class InteractionRetractIn(RequestBody):
    reason: str = Field(min_length=1, max_length=1000)


@router.post(
    "/interactions/{interaction_id}/retract",
    operation_id="retractInteraction",
    summary="Retract an entry logged by mistake: it leaves the timeline, its projects and last contacts",
    description="Withdrawn with it: each participant's contact from it, its links to projects and the needs it "
    "taught them. Not withdrawn: the assessments it taught the buying center and the dossier answers learnt from it, "
    "which stay, citing it, until revised or retracted by hand.",
    response_model=InteractionOut,
)
async def retract_interaction(
    interaction_id: UUID, body: InteractionRetractIn, response: Response, command: CommandDep
) -> InteractionOut:
    settings = await company_settings(command.runtime)

    async def plan() -> tuple[list[Step], str]:
        stream = interaction_stream(str(interaction_id))
        state: im.Interaction = (await existing(command.runtime, INTERACTION, stream, _hidden())).state
        if state.details is None:
            raise NotFound("interaction-not-found", "no such interaction")
        empty = im.Details(
            kind=state.details.kind,
            occurred_on=state.details.occurred_on,
            participants=(),
            our_participants=(),
            summary="-",
        )
        steps = steps_of(
            command.actor,
            str(interaction_id),
            state.account_id,
            empty,
            state.details,
            lambda states: im.RetractInteraction(actor=command.actor, reason=body.reason),
            LearnedIn(),
            latest_day(),
            settings,
        )
        return steps, state.account_id

    outcome = await _run_planned(command, plan)
    return interaction_out(outcome.state, written(response, outcome))
