"""An account's register of plans: which one is current, so that an account has one plan at a time.

Every start of a plan and every succession is decided here against the register's version, so two requests
racing to start a plan for one account cannot both succeed: the loser reloads and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import assert_never

from service.domain.errors import Conflict


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRegister:
    exists: bool = False
    account_id: str = ""
    # The current plan: in force or being drafted, and replaced by no successor. One; an account whose plans were
    # started before the register existed may have had several, and each is replaced only by its successor.
    current: tuple[str, ...] = ()
    # Successors being drafted, each with the current plan it is to supersede; a successor leaves this list when its
    # first agreement makes it current or when it is abandoned. (Successors started before this list existed are
    # not in it; their predecessor's `successor` still guards them.)
    successors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class CurrentPlansFound:
    """The register was opened on an account with plans started before it: these were current then."""

    account_id: str
    plan_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRegistered:
    """A plan was started that supersedes none: the account's current plan."""

    account_id: str
    plan_id: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SuccessionCompleted:
    """`plan_id` replaced `superseded` as the account's current plan."""

    plan_id: str
    superseded: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SuccessionStarted:
    """`plan_id` is being drafted to supersede the current plan `supersedes`, which stays current meanwhile."""

    plan_id: str
    supersedes: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SuccessionAbandoned:
    """The successor `plan_id` was given up before its first agreement: `superseded` stays current, and may take
    another successor."""

    plan_id: str
    superseded: str
    by: str


RegisterEvent = CurrentPlansFound | PlanRegistered | SuccessionCompleted | SuccessionStarted | SuccessionAbandoned
EVENTS = (CurrentPlansFound, PlanRegistered, SuccessionCompleted, SuccessionStarted, SuccessionAbandoned)


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterPlan:
    """Start `plan_id`, superseding `supersedes` (which must be current) or, with None, as the first current plan.
    `found`: the account's current plans started before the register existed; used only to open it."""

    by: str
    account_id: str
    plan_id: str
    supersedes: str | None
    found: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CompleteSuccession:
    by: str
    account_id: str
    plan_id: str
    superseded: str
    found: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AbandonSuccession:
    by: str
    account_id: str
    plan_id: str
    superseded: str
    found: tuple[str, ...] = ()


RegisterCommand = RegisterPlan | CompleteSuccession | AbandonSuccession


def decide(state: PlanRegister, command: RegisterCommand) -> list[RegisterEvent]:
    opened: list[RegisterEvent] = []
    if not state.exists and command.found:
        opened = [CurrentPlansFound(account_id=command.account_id, plan_ids=command.found)]
        state = evolve(state, opened[0])
    match command:
        case RegisterPlan(supersedes=None):
            if state.current:
                raise Conflict(
                    "current-plan-exists",
                    f"the account's current plan is {state.current[0]}: start a successor that supersedes it",
                    plan_id=state.current[0],
                )
            return [*opened, PlanRegistered(account_id=command.account_id, plan_id=command.plan_id, by=command.by)]
        case RegisterPlan(supersedes=str(old)):
            _current(state, old)
            if pending := next((p for p, of in state.successors.items() if of == old), None):
                raise Conflict(
                    "successor-pending", f"plan {pending} is being drafted to supersede {old} already", plan_id=pending
                )
            return [*opened, SuccessionStarted(plan_id=command.plan_id, supersedes=old, by=command.by)]
        case CompleteSuccession():
            if command.plan_id in state.current and command.superseded not in state.current:
                return opened  # done already: a successor started before the register, which superseded at once
            _current(state, command.superseded)
            return [*opened, SuccessionCompleted(plan_id=command.plan_id, superseded=command.superseded, by=command.by)]
        case AbandonSuccession():
            _current(state, command.superseded)
            return [*opened, SuccessionAbandoned(plan_id=command.plan_id, superseded=command.superseded, by=command.by)]
        case _:
            assert_never(command)


def _current(state: PlanRegister, plan_id: str) -> None:
    if plan_id not in state.current:
        raise Conflict(
            "not-the-current-plan",
            f"plan {plan_id} is not the account's current plan"
            + (f" ({state.current[0]})" if state.current else " (it has none)"),
            plan_id=state.current[0] if state.current else None,
        )


def evolve(state: PlanRegister, event: RegisterEvent) -> PlanRegister:
    match event:
        case CurrentPlansFound():
            return replace(state, exists=True, account_id=event.account_id, current=event.plan_ids)
        case PlanRegistered():
            return replace(state, exists=True, account_id=event.account_id, current=(*state.current, event.plan_id))
        case SuccessionCompleted():
            current = tuple(p for p in state.current if p != event.superseded)
            return replace(state, current=(*current, event.plan_id), successors=_without(state, event.plan_id))
        case SuccessionStarted():
            return replace(state, successors={**state.successors, event.plan_id: event.supersedes})
        case SuccessionAbandoned():
            return replace(state, successors=_without(state, event.plan_id))
    return state


def _without(state: PlanRegister, plan_id: str) -> dict[str, str]:
    return {p: of for p, of in state.successors.items() if p != plan_id}


def initial_state() -> PlanRegister:
    return PlanRegister()
