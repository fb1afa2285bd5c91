"""Sales-project days: losing and reopening, and stage changes or openings never back-dated past what they rest on."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from service.domain.errors import DomainError
from service.domain.opportunity import commands as c
from service.domain.opportunity.criteria import Stage
from service.domain.opportunity.decide import decide
from service.domain.opportunity.evolve import initial_state
from service.domain.opportunity.state import Kind, Opportunity
from service.domain.opportunity.view import is_stalled
from tests.support.opportunity_rules import KAM, MEMBERS, TODAY, V1, advance, opened, run


def test_lost_projects_take_no_facts_until_reopened() -> None:
    state = run(opened(), c.MarkLost(actor=KAM, reason="went to the competitor"))
    with pytest.raises(DomainError) as lost:
        decide(state, c.RecordInvitation(actor=KAM, note="x"))
    assert lost.value.code == "opportunity-lost"
    state = run(state, c.Reopen(actor=KAM, reason="their supplier failed"))
    assert state.status.value == "open"
    assert state.stage is Stage.ENTRY


def test_a_reopened_project_enters_its_stage_again_on_the_day_it_is_reopened() -> None:
    """Found by review: a project reopened after months lost kept the day it had entered its stage, so the
    pipeline showed the lost months as days in stage and the project stalled on the day it came back."""
    state = run(opened(), c.MarkLost(actor=KAM, reason="no budget"), at=datetime(2026, 3, 10))
    state = run(state, c.Reopen(actor=KAM, reason="budget found"), at=datetime(2026, 9, 1, 9))
    assert state.stage_entered_at == datetime(2026, 9, 1, 9)
    assert not is_stalled(state, date(2026, 9, 20), 30)
    assert is_stalled(state, date(2026, 10, 2), 30)
    assert [h.to_stage for h in state.history] == [Stage.ENTRY]  # a reopening is no stage change


def test_a_cross_sell_is_not_back_dated_before_the_account_became_a_client() -> None:
    since, today = date(2026, 5, 4), date(2026, 6, 30)
    fields = {"actor": KAM, "opportunity_id": "o1", "account_id": "a1", "product_line": "Lines", "criteria": V1}
    fields |= {"kind": Kind.CROSS_SELL, "client_since": since, "today": today}
    with pytest.raises(DomainError) as refused:
        decide(initial_state(), c.OpenOpportunity(**fields, opened_on=date(2026, 5, 3)))  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.details) == (
        "opened-before-client",
        {"field": "opened_on", "client_since": "2026-05-04"},
    )
    assert decide(initial_state(), c.OpenOpportunity(**fields, opened_on=since))  # type: ignore[arg-type]


def test_a_stage_is_not_left_back_dated_before_the_facts_that_met_its_criteria() -> None:
    """A back-dated advance was checked only against the day the stage was entered: Entry could be left on a day
    before the meeting that met its criterion had happened, a gate passed in the past that was not (review)."""
    state = run(opened(), c.LinkInteraction(actor=KAM, interaction_id="i", kind="meeting", on=date(2026, 3, 10)))
    today = date(2026, 3, 31)
    with pytest.raises(DomainError) as refused:
        decide(state, c.AdvanceStage(actor=KAM, on=date(2026, 3, 5), today=today))
    assert refused.value.code == "date-before-exit"
    assert refused.value.details == {"field": "on", "criterion": "meeting_or_invitation", "since": "2026-03-10"}
    assert advance(state, on=date(2026, 3, 10), today=today).stage is Stage.FINDING_ALLY
    invited = run(state, c.RecordInvitation(actor=KAM, note="a tender"))  # no day of its own: no bound
    assert advance(invited, on=date(2026, 3, 5), today=today).stage is Stage.FINDING_ALLY
    at_approval = Opportunity(exists=True, opportunity_id="o1", account_id="a1", stage=Stage.APPROVAL, criteria=V1)
    confirmed = run(
        at_approval,
        c.RecordLeaderConfirmation(actor=KAM, member_id="boss", note="go", on=TODAY, today=TODAY, members=MEMBERS),
    )
    with pytest.raises(DomainError) as overridden:  # an override skips the unmet criteria, not the held ones' days
        decide(confirmed, c.AdvanceStage(actor=KAM, on=TODAY - timedelta(days=1), today=TODAY, override_reason="x",
                                         may_override=True))  # fmt: skip
    assert overridden.value.details == {"field": "on", "criterion": "leader_confirmation", "since": TODAY.isoformat()}


def test_a_stage_is_not_left_back_dated_to_a_day_the_project_was_lost_in_it() -> None:
    """Found by review: lost in Entry, reopened, then advanced with `on` before the loss, the project counted both
    as advanced out of Entry and as lost in it, in a report of a period that ended while it was lost."""
    state = run(opened(), c.MarkLost(actor=KAM, reason="no budget"), at=datetime(2026, 3, 10))
    state = run(state, c.Reopen(actor=KAM, reason="budget found"), at=datetime(2026, 3, 20, 9))
    today = date(2026, 3, 31)
    override = {"override_reason": "they had agreed before", "may_override": True, "today": today}
    with pytest.raises(DomainError) as refused:
        decide(state, c.AdvanceStage(actor=KAM, on=date(2026, 3, 5), **override))
    assert (refused.value.code, refused.value.details) == (
        "date-before-reopening",
        {"reopened": "2026-03-20", "field": "on"},
    )
    assert advance(state, on=date(2026, 3, 20), **override).stage is Stage.FINDING_ALLY


def test_a_stage_change_dated_before_its_stage_was_entered_names_on() -> None:
    """date-before-stage and date-before-reopening named no field, as every other refusal of an input does."""
    state = run(opened(), c.RecordInvitation(actor=KAM, note="a tender"))
    with pytest.raises(DomainError) as refused:
        decide(state, c.AdvanceStage(actor=KAM, on=date(2025, 12, 31), today=date(2026, 3, 31)))
    assert (refused.value.code, refused.value.details) == (
        "date-before-stage",
        {"entered": "2026-01-01", "field": "on"},
    )
