"""How a sales project's state follows from its events: stages, evidence and the dates they happened on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

from service.domain.opportunity import events as e
from service.domain.opportunity.state import Confirmation, Loss, Meeting, Need, Opportunity, StageChange, Status


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
            return replace(state, interactions=(*state.interactions, _meeting(event)))
        case e.InteractionRelinked():
            iid = event.interaction_id
            before = state.interaction(iid)
            corrected = _meeting(event)
            entries = tuple(corrected if m.interaction_id == iid else m for m in state.interactions)
            # a need learnt in it takes its day, and goes when the correction takes its member out of those who
            # took part (a link written before participants were recorded names no one to take out)
            out: set[str] = set()
            if before is not None and before.participants is not None and event.participants is not None:
                out = set(before.participants) - set(event.participants)
            needs = tuple(
                replace(n, on=event.on) if n.interaction_id == iid else n
                for n in state.needs
                if n.interaction_id != iid or n.member_id not in out
            )
            return replace(state, interactions=entries, needs=needs)
        case e.InteractionUnlinked():
            # the needs learnt in it go with it: it was not about this project, or never happened
            kept = tuple(m for m in state.interactions if m.interaction_id != event.interaction_id)
            needs = tuple(n for n in state.needs if n.interaction_id != event.interaction_id)
            return replace(state, interactions=kept, needs=needs)
        case e.InvitationRecorded():
            return replace(state, invitation=event.note)
        case e.AllyLinked():
            return replace(state, allies=(*state.allies, event.member_id))
        case e.NeedConfirmed():
            need = Need(member_id=event.member_id, need=event.need, on=event.on, interaction_id=event.interaction_id)
            return replace(state, needs=(*state.needs, need))
        case e.ProblemRecorded(problem=problem):
            if event.criteria is None or event.criteria:  # sealed beside the problem (an older event has them in it)
                problem = replace(problem, criteria=event.criteria)
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
            entered = state.stage_entered_at
            if event.on is not None and entered is not None and event.on <= entered.date():
                # dated the day its stage was entered, or the project reopened: it left the stage after that moment,
                # not at midnight before it (while it was still lost, for a report of a period ending then)
                at = entered
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
            losses = (*state.losses, Loss(stage=state.stage, at=at))
            return replace(state, status=Status.LOST, lost_reason=event.reason, lost_at=at, losses=losses)
        case e.OpportunityReopened():
            losses = state.losses
            if losses:
                losses = (*losses[:-1], replace(losses[-1], reopened_at=at))
            # back in play: its days in its stage, and the days until it stalls, count from the reopening
            return replace(state, status=Status.OPEN, lost_reason="", lost_at=None, losses=losses, stage_entered_at=at)
        case e.CriteriaMigrated():
            return replace(state, criteria=event.criteria)
    return state


def _business(day: date | None, at: datetime | None) -> datetime | None:
    """A day given by the user is the business time; otherwise the event's own time."""
    return datetime.combine(day, time.min, tzinfo=UTC) if day is not None else at


def initial_state() -> Opportunity:
    return Opportunity()


def _meeting(event: e.InteractionLinked | e.InteractionRelinked) -> Meeting:
    return Meeting(
        interaction_id=event.interaction_id,
        kind=event.kind,
        on=event.on,
        with_client=event.with_client,
        participants=event.participants,
    )
