"""What a project view and the pipeline compute from a project: exit criteria status, contact intensity, stalling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from service.domain.opportunity.criteria import CATALOGUE, Stage, holds
from service.domain.opportunity.roster import Roster
from service.domain.opportunity.state import Opportunity, Status


@dataclass(frozen=True, slots=True)
class CriterionStatus:
    code: str
    description: str
    holds: bool


def exit_status(o: Opportunity, roster: Roster | None = None) -> list[CriterionStatus]:
    """The current stage's exit criteria (in the project's pinned version), each held or not (`criteria.holds`)."""
    return [
        CriterionStatus(code, CATALOGUE[code].description, holds(code, o, roster))
        for code in o.criteria.exits.get(o.stage, ())
    ]


@dataclass(frozen=True, slots=True)
class Intensity:
    """Interactions per 30 days before Implementation and during it: during must be higher (seed 004)."""

    before: float | None
    during: float | None


def contact_intensity(o: Opportunity, today: date) -> Intensity:
    entered = next((h.at.date() for h in o.history if h.to_stage is Stage.IMPLEMENTATION and h.at), None)
    opened = o.opened_at.date() if o.opened_at else None
    if entered is None or opened is None:
        return Intensity(None, None)
    left = next((h.at.date() for h in o.history if h.from_stage is Stage.IMPLEMENTATION and h.at), None)
    if left is None and o.status is Status.LOST and o.lost_at:  # lost in it: no contact counts as ours after that
        left = o.lost_at.date()
    left = left or today

    def rate(start: date, end: date) -> float | None:  # the days from start up to, not including, end
        if end <= start:  # no day in the window: no rate
            return None
        count = sum(start <= m.on < end for m in o.interactions if m.with_client)  # contact with the client
        return round(count * 30 / (end - start).days, 2)

    # A project that entered Implementation on the day it was opened had no time before it: no rate, rather
    # than that day's interactions counted in both windows. One that entered it on a day UTC's has not reached yet
    # (dated by someone east of Greenwich) has had no day in it.
    return Intensity(rate(opened, entered), rate(entered, left + timedelta(days=1)))


def is_stalled(o: Opportunity, today: date, stalled_days: int) -> bool:
    """Open, and stalls (below)."""
    moved = o.stage_entered_at.date() if o.stage_entered_at else None
    return o.status is Status.OPEN and stalls(o.stage, moved, o.last_interaction_on, today, stalled_days)


def stalls(stage: Stage, moved: date | None, last_interaction: date | None, today: date, stalled_days: int) -> bool:
    """Not in serial supply, and neither a stage change nor an interaction for `stalled_days`: one rule for a
    project's view and for the pipeline, which reads these fields from its projection."""
    if stage is Stage.SERIAL_SUPPLY:
        return False
    latest = max((d for d in (moved, last_interaction) if d is not None), default=None)
    return latest is None or (today - latest).days > stalled_days
