"""An interaction: state, facts, commands and rules. Small enough for one module."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, assert_never

from service.domain import codec
from service.domain.actors import Actor
from service.domain.errors import Conflict, NotFound, require
from service.domain.participants import cleaned, who_took_part

DOCUMENT_LIMIT = 2000  # a document reference: an id or a URL, as a dossier document's


class InteractionKind(enum.StrEnum):
    MEETING = "meeting"
    CALL = "call"
    VISIT = "visit"
    NEGOTIATION = "negotiation"  # of mutual terms: the share of these is the seed-003 signal
    EMAIL = "email"
    PROTOCOL = "protocol"


@dataclass(frozen=True, slots=True, kw_only=True)
class Details:
    """What is logged, and what a correction replaces as a whole."""

    kind: InteractionKind
    occurred_on: date  # business time: may be in the past
    participants: tuple[str, ...]  # buying-center member ids
    our_participants: tuple[str, ...]  # people on our side (subjects)
    summary: str
    outcome: str = ""
    next_step: str = ""
    next_step_due: date | None = None
    projects: tuple[str, ...] = ()  # linked sales projects
    documents: tuple[str, ...] = ()  # document references


@dataclass(frozen=True, slots=True, kw_only=True)
class Interaction:
    exists: bool = False
    interaction_id: str = ""
    account_id: str = ""
    details: Details | None = None
    retracted: bool = False
    retraction_reason: str = ""
    logged_at: datetime | None = None
    corrections: tuple[dict[str, Any], ...] = ()  # earlier versions of the details, with when they were replaced


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionLogged:
    interaction_id: str
    account_id: str
    details: Details


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionCorrected:
    details: Details
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionRetracted:
    reason: str


InteractionEvent = InteractionLogged | InteractionCorrected | InteractionRetracted
EVENTS = (InteractionLogged, InteractionCorrected, InteractionRetracted)


@dataclass(frozen=True, slots=True, kw_only=True)
class LogInteraction:
    actor: Actor
    interaction_id: str
    account_id: str
    details: Details
    today: date
    members: frozenset[str]  # the account's buying center
    projects: frozenset[str]  # the account's sales projects


@dataclass(frozen=True, slots=True, kw_only=True)
class CorrectInteraction:
    actor: Actor
    details: Details
    reason: str
    today: date
    members: frozenset[str]
    projects: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetractInteraction:
    actor: Actor
    reason: str


InteractionCommand = LogInteraction | CorrectInteraction | RetractInteraction


def _check(details: Details, today: date, members: frozenset[str], projects: frozenset[str]) -> Details:
    require(
        details.occurred_on <= today,
        "date-in-future",
        "an interaction is logged after it happened",
        field="occurred_on",
    )
    summary = details.summary.strip()
    require(bool(summary), "missing-value", "summary must not be empty", field="summary")
    require(len(summary) <= 10_000, "value-too-long", "summary is longer than 10000 characters", field="summary")
    participants, ours = who_took_part(details.participants, details.our_participants, members)
    if unknown := sorted(set(details.projects) - projects):
        raise NotFound(
            "opportunity-not-found", f"no such project of this account: {', '.join(unknown)}", projects=unknown
        )
    next_step = details.next_step.strip()
    require(not next_step or details.next_step_due is not None, "due-date-required", "a next step needs a date",
            field="next_step_due")  # fmt: skip
    require(bool(next_step) or details.next_step_due is None, "missing-value", "a due date for no next step",
            field="next_step")  # fmt: skip
    # a next step follows the interaction: due before it happened, it would be overdue from the moment it was set
    require(
        details.next_step_due is None or details.next_step_due >= details.occurred_on,
        "due-before-interaction",
        "a next step is due on the day of the interaction or later",
        field="next_step_due",
        occurred_on=details.occurred_on.isoformat(),
    )
    return replace(
        details,
        summary=summary,
        outcome=details.outcome.strip(),
        next_step=next_step,
        participants=participants,
        our_participants=ours,
        projects=tuple(dict.fromkeys(details.projects)),
        documents=cleaned(details.documents, "documents", DOCUMENT_LIMIT),
    )


def decide(state: Interaction, command: InteractionCommand) -> list[InteractionEvent]:
    match command:
        case LogInteraction():
            if state.exists:
                raise Conflict("interaction-exists", "an interaction with this id exists already")
            details = _check(command.details, command.today, command.members, command.projects)
            return [
                InteractionLogged(interaction_id=command.interaction_id, account_id=command.account_id, details=details)
            ]
        case CorrectInteraction():
            _exists(state)
            details = _check(command.details, command.today, command.members, command.projects)
            reason = command.reason.strip()
            require(bool(reason), "missing-value", "say why the entry is corrected", field="reason")
            return [] if details == state.details else [InteractionCorrected(details=details, reason=reason)]
        case RetractInteraction():
            _exists(state)
            reason = command.reason.strip()
            require(bool(reason), "missing-value", "say why the entry is retracted", field="reason")
            return [InteractionRetracted(reason=reason)]
        case _:
            assert_never(command)


def _exists(state: Interaction) -> None:
    if not state.exists:
        raise NotFound("interaction-not-found", "no such interaction")
    if state.retracted:
        raise Conflict("interaction-retracted", "the interaction was retracted")


def evolve(state: Interaction, event: InteractionEvent, at: datetime | None = None) -> Interaction:
    match event:
        case InteractionLogged():
            return replace(
                state,
                exists=True,
                interaction_id=event.interaction_id,
                account_id=event.account_id,
                details=event.details,
                logged_at=at,
            )
        case InteractionCorrected():
            old = (
                {"replaced_at": at.isoformat() if at else None, "reason": event.reason, **codec.to_dict(state.details)}
                if state.details
                else {}
            )
            return replace(state, details=event.details, corrections=(*state.corrections, old))
        case InteractionRetracted():
            return replace(state, retracted=True, retraction_reason=event.reason)
    return state


def initial_state() -> Interaction:
    return Interaction()
