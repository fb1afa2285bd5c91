"""The rules of a sales project: stages advance only on met exit criteria, or on a supervisor's written override."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from functools import partial
from typing import assert_never

from service.domain.errors import Conflict, DomainError, NotAllowed, NotFound, clean_text, require
from service.domain.opportunity import commands as c
from service.domain.opportunity import events as e
from service.domain.opportunity.criteria import CATALOGUE, Stage, unmet
from service.domain.opportunity.state import Confirmation, Kind, Meeting, Need, Opportunity, StageChange, Status

ALLY = "ally"


# Free text with this aggregate's defaults (a call may override them).
_text = partial(clean_text, required=True, limit=1000)


def _member(members: dict[str, frozenset[str]], member_id: str | None) -> None:
    if member_id is not None and member_id not in members:
        raise NotFound("member-not-in-buying-center", f"no member {member_id} in this buying center", member=member_id)


def _open(state: Opportunity) -> None:
    if not state.exists:
        raise NotFound("opportunity-not-found", "no such sales project")
    if state.status is Status.LOST:
        raise Conflict("opportunity-lost", "the project is lost: reopen it first")


def _not_future(day: date, today: date) -> None:
    require(day <= today, "date-in-future", "the date is in the future")


def decide(state: Opportunity, command: c.OpportunityCommand) -> list[e.OpportunityEvent]:
    if isinstance(command, c.OpenOpportunity):
        if state.exists:
            raise Conflict("opportunity-exists", "a project with this id exists already")
        unknown = sorted({code for codes in command.criteria.exits.values() for code in codes} - set(CATALOGUE))
        require(not unknown, "unknown-criterion", f"unknown exit criteria: {unknown}")
        if command.opened_on is not None:
            _not_future(command.opened_on, command.today or command.opened_on)
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
        return [e.OpportunityReopened(stage=state.stage, reason=_text(command.reason, "reason"))]
    if isinstance(command, c.UnlinkInteraction):  # a retracted interaction leaves even a lost project
        if not state.linked(command.interaction_id):
            return []
        return [e.InteractionUnlinked(interaction_id=command.interaction_id)]
    _open(state)
    match command:
        case c.LinkInteraction():
            if state.linked(command.interaction_id):
                return []
            return [e.InteractionLinked(interaction_id=command.interaction_id, kind=command.kind, on=command.on)]
        case c.RecordInvitation():
            return [e.InvitationRecorded(note=_text(command.note, "note"))]
        case c.LinkAlly():
            _member(command.members, command.member_id)
            require(
                ALLY in command.members[command.member_id],
                "member-not-ally",
                "only a buying-center member with the ally role can be the project's ally",
                member=command.member_id,
            )
            return [] if command.member_id in state.allies else [e.AllyLinked(member_id=command.member_id)]
        case c.ConfirmNeed():
            _member(command.members, command.member_id)
            _not_future(command.on, command.today)
            return [
                e.NeedConfirmed(
                    member_id=command.member_id,
                    need=_text(command.need, "need"),
                    on=command.on,
                    interaction_id=command.interaction_id,
                )
            ]
        case c.RecordProblem(problem=problem):
            _member(command.members, problem.affected_member)
            _member(command.members, problem.need_confirmed_by)
            require(
                problem.need_confirmed_by is None or problem.confirmed_on is not None,
                "confirmation-date-required",
                "a confirmed need needs the date it was confirmed",
            )
            cleaned = replace(
                problem,
                problem=_text(problem.problem, "problem"),
                consequence=_text(problem.consequence, "consequence", required=False),
                criteria=tuple(t for t in (x.strip() for x in problem.criteria) if t),
            )
            return [e.ProblemRecorded(problem=cleaned)]
        case c.RemoveProblem():
            if command.problem_id not in state.problems:
                raise NotFound("problem-not-found", "no such problem in this project")
            return [e.ProblemRemoved(problem_id=command.problem_id)]
        case c.AddEvidence(evidence=evidence):
            require(
                all(x.evidence_id != evidence.evidence_id for x in state.evidence), "evidence-exists", "added already"
            )
            return [e.EvidenceAdded(evidence=replace(evidence, title=_text(evidence.title, "title", limit=500)))]
        case c.ConfirmVolume():
            _member(command.members, command.member_id)
            return [e.VolumeConfirmed(volume=_text(command.volume, "volume", limit=200), member_id=command.member_id)]
        case c.RecordPriceRound(price_round=price_round):
            require(1 <= price_round.round <= 3, "out-of-range", "price rounds are 1st, 2nd or 3rd", field="round")
            return [e.PriceRoundRecorded(price_round=replace(price_round, level=_text(price_round.level, "level")))]
        case c.RecordLeaderConfirmation():
            _member(command.members, command.member_id)
            return [
                e.LeaderConfirmationRecorded(
                    member_id=command.member_id, note=_text(command.note, "note"), on=command.on
                )
            ]
        case c.SetLaunchPlan(actions=actions):
            require(bool(actions), "missing-value", "a launch plan needs actions", field="actions")
            for action in actions:
                _text(action.what, "what")
                _text(action.owner, "owner", limit=200)
            return [e.LaunchPlanSet(actions=actions)]
        case c.ConfirmConfidentUse():
            _member(command.members, command.member_id)
            return [
                e.ConfidentUseConfirmed(member_id=command.member_id, note=_text(command.note, "note"), on=command.on)
            ]
        case c.AdvanceStage():
            to_stage = state.stage.next
            if to_stage is None:
                raise Conflict("final-stage", "the project is in serial supply: there is no next stage")
            if command.on is not None:
                _not_future(command.on, command.today or command.on)
                entered = state.stage_entered_at.date() if state.stage_entered_at else None
                require(
                    entered is None or command.on >= entered,
                    "date-before-stage",
                    "a stage cannot be left before it was entered",
                    entered=entered.isoformat() if entered else None,
                )
            missing = unmet(state)
            codes = tuple(m.code for m in missing)
            held = tuple(code for code in state.criteria.exits.get(state.stage, ()) if code not in codes)
            if not missing:
                return [
                    e.StageAdvanced(
                        from_stage=state.stage, to_stage=to_stage, held=held, on=command.on, by=command.actor.sub
                    )
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
                    override_reason=_text(command.override_reason, "override_reason", limit=2000),
                    unmet=codes,
                    on=command.on,
                    by=command.actor.sub,
                )
            ]
        case c.MarkLost():
            return [e.OpportunityLost(at_stage=state.stage, reason=_text(command.reason, "reason"))]
        case c.MigrateCriteria():
            if not command.may_override:
                raise NotAllowed("override-not-allowed", "only the team's supervisor (or an admin) migrates criteria")
            if command.criteria.version == state.criteria.version:
                return []
            return [
                e.CriteriaMigrated(
                    from_version=state.criteria.version,
                    criteria=command.criteria,
                    reason=_text(command.reason, "reason"),
                )
            ]
        case c.OpenOpportunity() | c.Reopen() | c.UnlinkInteraction():
            raise AssertionError("handled above")
        case _:
            assert_never(command)


def evolve(state: Opportunity, event: e.OpportunityEvent, at: datetime | None = None) -> Opportunity:
    match event:
        case e.OpportunityOpened():
            at = _business(event.opened_on, at)
            return replace(
                state,
                exists=True,
                opportunity_id=event.opportunity_id,
                account_id=event.account_id,
                product_line=event.product_line,
                kind=event.kind,
                expected_volume=event.expected_volume,
                expected_value=event.expected_value,
                main_competitor=event.main_competitor,
                stage=event.stage,
                criteria=event.criteria,
                opened_at=at,
                stage_entered_at=at,
                history=(StageChange(from_stage=None, to_stage=event.stage, at=at, by=event.by),),
            )
        case e.InteractionLinked():
            linked = Meeting(interaction_id=event.interaction_id, kind=event.kind, on=event.on)
            last = max(state.last_interaction_on, event.on) if state.last_interaction_on else event.on
            return replace(state, interactions=(*state.interactions, linked), last_interaction_on=last)
        case e.InteractionUnlinked():
            kept = tuple(m for m in state.interactions if m.interaction_id != event.interaction_id)
            return replace(state, interactions=kept, last_interaction_on=max((m.on for m in kept), default=None))
        case e.InvitationRecorded():
            return replace(state, invitation=event.note)
        case e.AllyLinked():
            return replace(state, allies=(*state.allies, event.member_id))
        case e.NeedConfirmed():
            need = Need(member_id=event.member_id, need=event.need, on=event.on)
            return replace(state, needs=(*state.needs, need))
        case e.ProblemRecorded(problem=problem):
            return replace(state, problems={**state.problems, problem.problem_id: problem})
        case e.ProblemRemoved():
            return replace(state, problems={k: v for k, v in state.problems.items() if k != event.problem_id})
        case e.EvidenceAdded():
            return replace(state, evidence=(*state.evidence, event.evidence))
        case e.VolumeConfirmed():
            return replace(state, confirmed_volume=event.volume, volume_confirmed_by=event.member_id)
        case e.PriceRoundRecorded():
            return replace(state, price_rounds=(*state.price_rounds, event.price_round))
        case e.LeaderConfirmationRecorded():
            confirmation = Confirmation(member_id=event.member_id, note=event.note, on=event.on)
            return replace(state, leader_confirmation=confirmation)
        case e.LaunchPlanSet():
            return replace(state, launch_plan=event.actions)
        case e.ConfidentUseConfirmed():
            return replace(state, confident_use=Confirmation(member_id=event.member_id, note=event.note, on=event.on))
        case e.StageAdvanced():
            at = _business(event.on, at)
            change = StageChange(
                from_stage=event.from_stage,
                to_stage=event.to_stage,
                at=at,
                held=event.held,
                override_reason=event.override_reason,
                unmet=event.unmet,
                by=event.by,
            )
            return replace(state, stage=event.to_stage, stage_entered_at=at, history=(*state.history, change))
        case e.OpportunityLost():
            return replace(state, status=Status.LOST, lost_reason=event.reason)
        case e.OpportunityReopened():
            return replace(state, status=Status.OPEN, lost_reason="")
        case e.CriteriaMigrated():
            return replace(state, criteria=event.criteria)
    return state


def _business(day: date | None, at: datetime | None) -> datetime | None:
    """A day given by the user is the business time; otherwise the event's own time."""
    return datetime.combine(day, time.min, tzinfo=UTC) if day is not None else at


def initial_state() -> Opportunity:
    return Opportunity()
