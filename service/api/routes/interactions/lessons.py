"""What an interaction taught us, as commands on the other aggregates it touches: contacts and assessments in the
buying center, needs of sales projects, dossier answers; each citing the interaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from pydantic import Field, StrictInt

from service.api.bodies import RequestBody
from service.api.routes.dossier.answers import AnswerValue
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
from service.commands.handler import Step
from service.domain.actors import Actor
from service.domain.buying_center import commands as bc
from service.domain.buying_center.decide import decide as bc_decide
from service.domain.buying_center.evolve import evolve as bc_evolve
from service.domain.buying_center.state import Citation, CitationKind, Member
from service.domain.dossier import commands as dc
from service.domain.dossier.decide import decide as dossier_decide
from service.domain.dossier.evolve import evolve as dossier_evolve
from service.domain.dossier.state import Confidence
from service.domain.errors import DomainError
from service.domain.interaction import model as im
from service.domain.opportunity import commands as oc
from service.domain.opportunity.decide import decide as opp_decide
from service.domain.opportunity.evolve import evolve as opp_evolve


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


class LearnedAssessmentIn(RequestBody):
    member_id: str = Field(max_length=200)
    roles: set[str] | None = None
    influence: StrictInt | None = Field(None, ge=1, le=5)
    attitude: StrictInt | None = Field(None, ge=-2, le=2)
    attitude_to_competitor: StrictInt | None = Field(None, ge=-2, le=2)
    note: str = Field("", max_length=1000)


class LearnedNeedIn(RequestBody):
    opportunity_id: str = Field(max_length=200, description="One of the interaction's projects.")
    member_id: str = Field(max_length=200)
    need: str = Field(min_length=1, max_length=1000)


class LearnedAnswerIn(RequestBody):
    question_code: str = Field(min_length=1, max_length=100)
    value: AnswerValue
    about: str | None = Field(None, max_length=200)
    confidence: Confidence = Confidence.MEDIUM


class LearnedIn(RequestBody):
    """What the interaction taught us: each change cites the interaction."""

    assessments: list[LearnedAssessmentIn] = Field(default_factory=list, max_length=50)
    needs: list[LearnedNeedIn] = Field(default_factory=list, max_length=50)
    answers: list[LearnedAnswerIn] = Field(default_factory=list, max_length=50)


def projects_of(states: dict[str, Any], account_id: str, ids: Sequence[str]) -> frozenset[str]:
    return frozenset(
        i
        for i in ids
        if states[opportunity_stream(i)].exists and states[opportunity_stream(i)].account_id == account_id
    )


def _at_the_client(member: Member | None, day: date) -> bool:
    return member is not None and member.at_the_client(day)


class Replan(Exception):
    """The interaction was corrected or retracted since its steps were planned: the streams they touch (its
    projects) and the contacts they withdraw were read from the entry as it was, so plan them again."""


def steps_of(
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
    """The interaction's own stream, then what it changes: contacts, assessments, projects, dossier answers.
    `previous` is the entry these steps change (None for a new one); if it has changed when they are decided,
    they raise Replan (the projects to touch and the contacts to withdraw follow from it)."""
    stream, bc_stream = interaction_stream(interaction_id), buying_center_stream(account_id)
    projects = sorted(set(details.projects) | set(previous.projects if previous else ()))
    for need in learned.needs:
        if need.opportunity_id not in details.projects:
            raise DomainError(
                "opportunity-not-linked", "a need confirmed in an interaction belongs to one of its projects"
            )
        if need.member_id not in details.participants:  # their word, heard there: the need_confirmed_by_ally gate
            raise DomainError(
                "need-without-its-member",
                "a need confirmed in an interaction is confirmed by one of its participants",
                field="learned.needs",
                member_id=need.member_id,
            )

    def contacts(states: dict[str, Any]) -> list[Any]:
        people = states[bc_stream].people
        # Each participant's contact is recorded on its day, also one who had left by then or was away: the fold
        # judges it (`last_contact` skips a day an absence covers, as known), so a return dated back before that day
        # counts it, as the projects do. A correction that drops a participant takes back their contact.
        there = [m for m in details.participants if m in people]
        gone = (set(previous.participants if previous else ()) | set(details.participants)) - set(there)
        commands: list[Any] = [
            bc.RecordContact(actor=actor, member_id=m, on=details.occurred_on, today=day, interaction_id=interaction_id)
            for m in there
        ]
        commands += [
            bc.WithdrawContact(actor=actor, member_id=m, interaction_id=interaction_id)
            for m in sorted(gone)
            if m in people
        ]
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
                retired_roles=settings.retired_role_codes,
            )
            for a in learned.assessments
        ]
        return decide_all(bc_decide, bc_evolve, states[bc_stream], commands)

    def project(pid: str) -> Step:
        p_stream = opportunity_stream(pid)

        def decide(states: dict[str, Any]) -> list[Any]:
            if not states[p_stream].exists or states[p_stream].account_id != account_id:
                return []  # refused by the interaction's own rules
            people = states[bc_stream].people
            members = {m.member_id: m.roles for m in people.values()}
            # gone now, or away on its day: their word heard there is no fact of the project's
            left = frozenset(m.member_id for m in people.values() if not _at_the_client(m, details.occurred_on))
            left |= states[bc_stream].left
            commands: list[Any] = []
            with_client = any(_at_the_client(people.get(m), details.occurred_on) for m in details.participants)
            if pid in details.projects:
                commands.append(
                    oc.LinkInteraction(
                        actor=actor,
                        interaction_id=interaction_id,
                        kind=details.kind.value,
                        on=details.occurred_on,
                        with_client=with_client,
                        participants=tuple(sorted(set(details.participants))),
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
                    left=left,
                )
                for n in learned.needs
                if n.opportunity_id == pid
            ]
            return decide_all(opp_decide, opp_evolve, states[p_stream], commands)

        return Step(OPPORTUNITY, p_stream, decide)

    def own(states: dict[str, Any]) -> list[Any]:
        if previous is not None and states[stream].details != previous:  # a new one: its own rules answer
            raise Replan(interaction_id)
        return im.decide(states[stream], make(states))

    steps = [
        Step(INTERACTION, stream, own),
        Step(BUYING_CENTER, bc_stream, contacts),
        *(project(pid) for pid in projects),
    ]
    if learned.answers:
        d_stream = dossier_stream(account_id)

        def answers(states: dict[str, Any]) -> list[Any]:
            people = states[bc_stream].people
            members = frozenset(people)
            left = states[bc_stream].left
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
                    left=left,
                )
                for a in learned.answers
            ]
            return decide_all(dossier_decide, dossier_evolve, states[d_stream], commands)

        steps.append(Step(DOSSIER, d_stream, answers))
    return steps
