"""The rules of a sales project: the facts its exit criteria read, its losses and reopenings; a stage advances only
on met exit criteria, or on a supervisor's written override (advancing.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any, assert_never

from service.domain.errors import (
    Conflict,
    DomainError,
    NotAllowed,
    NotFound,
    amount,
    clean_text,
    decision_criteria,
    require,
    require_not_before,
    require_not_future,
)
from service.domain.opportunity import commands as c
from service.domain.opportunity import events as e
from service.domain.opportunity.advancing import advance
from service.domain.opportunity.criteria import ALLY, LEADER_ROLES, Stage, check_known
from service.domain.opportunity.state import Kind, Meeting, Opportunity, Status

# Free text with this aggregate's defaults (a call may override them).
_text = partial(clean_text, required=True, limit=1000)
CRITERIA_LIMIT = 20  # a problem's decision criteria: as many, and each as long, as the API takes
CRITERION_LIMIT = 500  # as a buying-center member's


def _member(
    members: dict[str, frozenset[str]],
    left: frozenset[str],
    member_id: str | None,
    on: date | None = None,
    away: c.Absences | None = None,
) -> None:
    """A new fact may name only a member of the buying center who is still at the client (facts recorded before
    they left stay, as history); one with a day of its own also one at the client on that day: someone away then,
    back since, was not the client's, as for an interaction."""
    if member_id is None:
        return
    if member_id not in members:
        raise NotFound("member-not-in-buying-center", f"no member {member_id} in this buying center", member=member_id)
    if member_id in left:
        raise Conflict("member-has-left", f"member {member_id} has left the client", member=member_id)
    for left_on, back in (away or {}).get(member_id, ()) if on else ():
        if left_on <= on < back:
            raise Conflict(
                "member-has-left",
                f"member {member_id} was away from the client on {on}: left {left_on}, back {back}",
                member=member_id,
            )


def _open(state: Opportunity) -> None:
    if not state.exists:
        raise NotFound("opportunity-not-found", "no such sales project")
    if state.status is Status.LOST:
        raise Conflict("opportunity-lost", "the project is lost: reopen it first")


def _link(command: c.LinkInteraction) -> dict[str, Any]:
    """What a project records of an interaction linked to it, the same in a first link and in a correction's."""
    return {
        "interaction_id": command.interaction_id,
        "kind": command.kind,
        "on": command.on,
        "with_client": command.with_client,
        "participants": command.participants,
    }


def _heard_in(meeting: Meeting | None, command: c.ConfirmNeed) -> None:
    """A need cites one of the project's interactions, so that it goes when that interaction is retracted or
    corrected away from its member: one they took part in, on its day."""
    if meeting is None:
        raise DomainError(
            "interaction-not-linked",
            "the need's interaction is not linked to this project: log it with the project among its projects",
            field="interaction_id",
        )
    require(
        meeting.participants is None or command.member_id in meeting.participants,
        "need-without-its-member",
        "a need confirmed in an interaction is confirmed by one of its participants",
        field="member_id",
    )
    require(
        command.on == meeting.on,
        "date-not-the-interactions",
        f"a need confirmed in an interaction is confirmed on its day, {meeting.on.isoformat()}",
        field="on",
    )


def decide(state: Opportunity, command: c.OpportunityCommand) -> list[e.OpportunityEvent]:
    if isinstance(command, c.OpenOpportunity):
        if state.exists:
            raise Conflict("opportunity-exists", "a project with this id exists already")
        check_known(command.criteria.exits)
        if command.kind is Kind.CROSS_SELL and not command.buys_from_us:
            raise DomainError(
                "not-a-client",
                "cross-selling is to an existing client, and this account never was in serial supply, or is lost: "
                "open a new_client project, which starts at Entry",
                field="kind",
            )
        if command.opened_on is not None:
            require_not_future(command.opened_on, command.today or command.opened_on, "opened_on")
            require_not_before(
                command.opened_on,
                command.client_since if command.kind is Kind.CROSS_SELL else None,
                "opened-before-client",
                "a cross-sell cannot be opened before the account became a client",
                name="client_since",
                field="opened_on",
            )
        if command.expected_value is not None:
            amount(command.expected_value.amount, "expected_value.amount")
        return [
            e.OpportunityOpened(
                opportunity_id=command.opportunity_id,
                account_id=command.account_id,
                product_line=_text(command.product_line, "product_line", limit=200),
                kind=command.kind,
                expected_volume=_text(command.expected_volume, "expected_volume", required=False, limit=200),
                expected_value=command.expected_value,
                main_competitor=_text(command.main_competitor, "main_competitor", required=False, limit=200),
                stage=Stage.FINDING_ALLY if command.kind is Kind.CROSS_SELL else Stage.ENTRY,
                criteria=command.criteria,
                opened_on=command.opened_on,
                by=command.actor.sub,
            )
        ]
    if isinstance(command, c.Reopen):
        if not state.exists:
            raise NotFound("opportunity-not-found", "no such sales project")
        if state.status is not Status.LOST:
            raise Conflict("opportunity-open", "the project is not lost")
        return [e.OpportunityReopened(stage=state.stage, reason=_text(command.reason, "reason", limit=2000))]
    if isinstance(command, c.UnlinkInteraction):  # a retracted interaction leaves even a lost project
        if not state.linked(command.interaction_id):
            return []
        return [e.InteractionUnlinked(interaction_id=command.interaction_id)]
    if isinstance(command, c.LinkInteraction) and (linked := state.interaction(command.interaction_id)):
        # linked already: a correction sends the link again. Its kind and day are what happened, recorded even for
        # a lost project (as an unlink is); an unchanged one is no fact at all, so a lost project does not refuse it
        if Meeting(**_link(command)) == linked:
            return []
        return [e.InteractionRelinked(**_link(command))]
    _open(state)
    match command:
        case c.LinkInteraction():
            return [e.InteractionLinked(**_link(command))]
        case c.RecordInvitation():
            return [e.InvitationRecorded(note=_text(command.note, "note"))]
        case c.LinkAlly():
            _member(command.members, command.left, command.member_id)
            require(
                ALLY in command.members[command.member_id],
                "member-not-ally",
                "only a buying-center member with the ally role, and not opposed to us (attitude -1 or less, or the "
                "opponent role), can be the project's ally",
                member=command.member_id,
            )
            return [] if command.member_id in state.allies else [e.AllyLinked(member_id=command.member_id)]
        case c.ConfirmNeed():
            _member(command.members, command.left, command.member_id, command.on, command.away)
            require_not_future(command.on, command.today)
            if command.interaction_id:
                _heard_in(state.interaction(command.interaction_id), command)
            return [
                e.NeedConfirmed(
                    member_id=command.member_id,
                    need=_text(command.need, "need"),
                    on=command.on,
                    interaction_id=command.interaction_id,
                )
            ]
        case c.RecordProblem(problem=problem):
            if command.refine and problem.problem_id not in state.problems:
                raise NotFound("problem-not-found", f"no problem {problem.problem_id} in this project")
            # refining keeps the people the problem named already, even one who has left since: that is history
            before = state.problems.get(problem.problem_id) if command.refine else None
            named = (before.affected_member, before.need_confirmed_by) if before else ()
            left = frozenset(m for m in command.left if m not in named)
            _member(command.members, left, problem.affected_member)
            said = (problem.need_confirmed_by, problem.confirmed_on)  # a new confirmation is judged on its day
            on = None if before and (before.need_confirmed_by, before.confirmed_on) == said else problem.confirmed_on
            _member(command.members, left, problem.need_confirmed_by, on, command.away)  # the one it had is history
            require(
                problem.need_confirmed_by is None or problem.confirmed_on is not None,
                "confirmation-date-required",
                "a confirmed need needs the date it was confirmed",
                field="confirmed_on",
            )
            require(  # a day on which nobody confirmed the need is no fact any criterion could read
                problem.confirmed_on is None or problem.need_confirmed_by is not None,
                "missing-value",
                "a confirmation date needs the member who confirmed the need",
                field="need_confirmed_by",
            )
            if problem.confirmed_on is not None and command.today is not None:
                require_not_future(problem.confirmed_on, command.today, "confirmed_on")
            require(  # SPIN: a need the client confirmed is stated aloud; as an implied one no criterion would read it
                problem.need_confirmed_by is None or problem.explicit,
                "need-not-explicit",
                "a need a member confirmed is explicit: send explicit true (an implied need has no confirmation yet)",
                field="explicit",
            )
            cleaned = replace(
                problem,
                problem=_text(problem.problem, "problem"),
                consequence=_text(problem.consequence, "consequence", required=False),
                criteria=(),
            )
            return [
                e.ProblemRecorded(
                    problem=cleaned,
                    criteria=decision_criteria(
                        problem.criteria or (), "criteria", most=CRITERIA_LIMIT, limit=CRITERION_LIMIT
                    ),
                )
            ]
        case c.RemoveProblem():
            if command.problem_id not in state.problems:
                raise NotFound("problem-not-found", "no such problem in this project")
            return [e.ProblemRemoved(problem_id=command.problem_id)]
        case c.AddEvidence(evidence=evidence):
            if any(x.evidence_id == evidence.evidence_id for x in state.evidence):
                raise Conflict("evidence-exists", "evidence with this id was added already")
            return [e.EvidenceAdded(evidence=replace(evidence, title=_text(evidence.title, "title", limit=500)))]
        case c.ConfirmVolume():
            _member(command.members, command.left, command.member_id)
            return [e.VolumeConfirmed(volume=_text(command.volume, "volume", limit=200), member_id=command.member_id)]
        case c.RecordPriceRound(price_round=price_round):
            require(1 <= price_round.round <= 3, "out-of-range", "price rounds are 1st, 2nd or 3rd", field="round")
            if command.today is not None:
                require_not_future(price_round.on, command.today)
            if price_round.offer is not None:
                amount(price_round.offer.amount, "offer.amount")
            return [e.PriceRoundRecorded(price_round=replace(price_round, level=_text(price_round.level, "level")))]
        case c.RecordLeaderConfirmation():
            _member(command.members, command.left, command.member_id, command.on, command.away)
            require(
                bool(LEADER_ROLES & command.members[command.member_id]),
                "member-not-leader",
                "only a buying-center member with the decision_maker or signer role can confirm as the buyer's leader",
                member=command.member_id,
            )
            require_not_future(command.on, command.today)
            return [
                e.LeaderConfirmationRecorded(
                    member_id=command.member_id, note=_text(command.note, "note", limit=2000), on=command.on
                )
            ]
        case c.SetLaunchPlan(actions=actions):
            require(bool(actions), "missing-value", "a launch plan needs actions", field="actions")
            for action in actions:
                _text(action.what, "what")
                _text(action.owner, "owner", limit=200)
            return [e.LaunchPlanSet(actions=actions)]
        case c.ConfirmConfidentUse():
            _member(command.members, command.left, command.member_id, command.on, command.away)
            require_not_future(command.on, command.today)
            return [
                e.ConfidentUseConfirmed(
                    member_id=command.member_id, note=_text(command.note, "note", limit=2000), on=command.on
                )
            ]
        case c.AdvanceStage():
            return advance(state, command)
        case c.MarkLost():
            if state.stage is Stage.SERIAL_SUPPLY:  # a client that stops buying is the account's lifecycle
                raise Conflict("opportunity-won", "the project reached serial supply: it is won and cannot be lost")
            return [e.OpportunityLost(at_stage=state.stage, reason=_text(command.reason, "reason", limit=2000))]
        case c.MigrateCriteria():
            if not command.may_override:
                raise NotAllowed("override-not-allowed", "only the team's supervisor (or an admin) migrates criteria")
            if command.criteria.version == state.criteria.version:
                return []
            return [
                e.CriteriaMigrated(
                    from_version=state.criteria.version,
                    criteria=command.criteria,
                    reason=_text(command.reason, "reason", limit=2000),
                )
            ]
        case c.OpenOpportunity() | c.Reopen() | c.UnlinkInteraction():
            raise AssertionError("handled above")
        case _:
            assert_never(command)
