"""Advancing a sales project to its next stage: on met exit criteria, or on a supervisor's written override, and
on a day the project's history allows (not before it entered the stage, was reopened, or met what it leaves on)."""

from __future__ import annotations

from datetime import date

from service.domain.errors import (
    Conflict,
    DomainError,
    NotAllowed,
    clean_text,
    require_not_before,
    require_not_future,
)
from service.domain.opportunity import commands as c
from service.domain.opportunity import events as e
from service.domain.opportunity.criteria import held_since, unmet
from service.domain.opportunity.state import Opportunity


def advance(state: Opportunity, command: c.AdvanceStage) -> list[e.OpportunityEvent]:
    to_stage = state.stage.next
    if to_stage is None:
        raise Conflict("final-stage", "the project is in serial supply: there is no next stage")
    if command.on is not None:
        require_not_future(command.on, command.today or command.on)
        # not while the project was lost in it: a report of that time counted it lost, not advanced
        reopened = state.losses[-1].reopened_at if state.losses else None
        require_not_before(
            command.on,
            reopened.date() if reopened else None,
            "date-before-reopening",
            "a stage cannot be left on a day the project was lost: it was reopened later",
            name="reopened",
            field="on",
        )
        require_not_before(
            command.on,
            state.stage_entered_at.date() if state.stage_entered_at else None,  # or the reopening
            "date-before-stage",
            "a stage cannot be left before it was entered",
            name="entered",
            field="on",
        )
    missing = unmet(state, command.roster)
    codes = tuple(m.code for m in missing)
    held = tuple(code for code in state.criteria.exits.get(state.stage, ()) if code not in codes)
    if command.on is not None:
        _not_before_held(state, held, command.on, command)
    if not missing:
        return [
            e.StageAdvanced(from_stage=state.stage, to_stage=to_stage, held=held, on=command.on, by=command.actor.sub)
        ]
    if command.override_reason is None:
        raise DomainError(
            "exit-criteria-not-met",
            f"{len(missing)} exit criteria of {state.stage.value} are not met",
            stage=state.stage.value,
            unmet=[{"code": m.code, "description": m.description} for m in missing],
        )
    if not command.may_override:
        raise NotAllowed("override-not-allowed", "only the team's supervisor (or an admin) may override")
    return [
        e.StageAdvanced(
            from_stage=state.stage,
            to_stage=to_stage,
            held=held,
            override_reason=clean_text(command.override_reason, "override_reason", required=True, limit=2000),
            unmet=codes,
            on=command.on,
            by=command.actor.sub,
        )
    ]


def _not_before_held(state: Opportunity, held: tuple[str, ...], on: date, command: c.AdvanceStage) -> None:
    """A stage left on `on` (the command's day), before the facts that met its criteria happened, would put a
    passed gate in the past that was not passed then: the audit's "when" must be one the facts allow."""
    dated = [(day, code) for code in held if (day := held_since(code, state, command.roster))]
    if dated and on < (latest := max(dated))[0]:
        raise DomainError(
            "date-before-exit",
            f"the exit criterion {latest[1]} of {state.stage.value} holds only from {latest[0].isoformat()}",
            field="on",
            criterion=latest[1],
            since=latest[0].isoformat(),
        )
