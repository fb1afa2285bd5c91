"""Sales-project interactions: links and their corrections, the needs learnt in them, stalling and contact
intensity."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from service.domain.errors import Conflict
from service.domain.opportunity import commands as c
from service.domain.opportunity import events as e
from service.domain.opportunity.criteria import Stage, StageCriteria
from service.domain.opportunity.decide import decide
from service.domain.opportunity.evolve import evolve
from service.domain.opportunity.state import Kind, Opportunity
from service.domain.opportunity.view import Intensity, contact_intensity, is_stalled
from tests.support.opportunity_rules import KAM, MEMBERS, TODAY, V1, advance, opened, run, unmet_codes


def test_stalled_and_contact_intensity() -> None:
    state = opened()
    assert is_stalled(state, date(2026, 3, 1), 30)
    assert not is_stalled(
        run(state, c.LinkInteraction(actor=KAM, interaction_id="i", kind="call", on=date(2026, 2, 20))),
        date(2026, 3, 1),
        30,
    )
    impl = Opportunity(
        exists=True, stage=Stage.APPROVAL, criteria=StageCriteria(version=9, exits={}), opened_at=datetime(2026, 1, 1)
    )
    impl = run(impl, c.LinkInteraction(actor=KAM, interaction_id="a", kind="call", on=date(2026, 1, 15)))
    impl = run(impl, c.AdvanceStage(actor=KAM), at=datetime(2026, 3, 1))
    for i, day in enumerate([date(2026, 3, 5), date(2026, 3, 10), date(2026, 3, 20)]):
        impl = run(impl, c.LinkInteraction(actor=KAM, interaction_id=f"x{i}", kind="visit", on=day))
    intensity = contact_intensity(impl, date(2026, 3, 31))
    assert intensity.before is not None
    assert intensity.during is not None
    assert intensity.during > intensity.before


def test_contact_intensity_counts_each_interaction_in_one_window() -> None:
    """A project that entered Implementation on the day it was opened counted that day's meeting before it too, as
    30 per 30 days: a drop of contact during Implementation that never happened."""
    impl = Opportunity(
        exists=True, stage=Stage.APPROVAL, criteria=StageCriteria(version=9, exits={}), opened_at=datetime(2026, 3, 2)
    )
    impl = run(impl, c.LinkInteraction(actor=KAM, interaction_id="a", kind="meeting", on=date(2026, 3, 2)))
    impl = run(impl, c.AdvanceStage(actor=KAM), at=datetime(2026, 3, 2, 15))
    assert contact_intensity(impl, date(2026, 3, 31)) == Intensity(before=None, during=1.0)


def test_contact_intensity_during_implementation_ends_when_the_project_is_lost_in_it() -> None:
    """Found by review: the window of a project lost in Implementation ran on to today, so its rate fell every day
    after the loss, as if the manager had stopped calling a client still in implementation."""
    impl = Opportunity(
        exists=True, stage=Stage.APPROVAL, criteria=StageCriteria(version=9, exits={}), opened_at=datetime(2026, 1, 1)
    )
    impl = run(impl, c.AdvanceStage(actor=KAM), at=datetime(2026, 3, 1))
    for i, day in enumerate([date(2026, 3, 5), date(2026, 3, 10), date(2026, 3, 20)]):
        impl = run(impl, c.LinkInteraction(actor=KAM, interaction_id=f"x{i}", kind="visit", on=day))
    lost = run(impl, c.MarkLost(actor=KAM, reason="went back to the old supplier"), at=datetime(2026, 3, 30, 12))
    for today in (date(2026, 3, 30), date(2026, 9, 1)):  # the day it was lost, and months later: one rate
        assert contact_intensity(lost, today) == Intensity(before=0.0, during=3.0), today
    reopened = run(lost, c.Reopen(actor=KAM, reason="they came back"), at=datetime(2026, 4, 10))
    assert contact_intensity(reopened, date(2026, 4, 29)).during == round(3 * 30 / 60, 2)  # runs on once reopened


def test_contact_intensity_of_a_project_that_entered_implementation_on_a_day_utc_has_not_reached_is_no_rate() -> None:
    """A stage change may be dated the day of UTC+14, which UTC has not reached: the window of Implementation up to
    today had no day in it, and its rate divided by zero (a 500 on the project's view and on the advance itself)."""
    impl = Opportunity(
        exists=True, stage=Stage.APPROVAL, criteria=StageCriteria(version=9, exits={}), opened_at=datetime(2026, 3, 1)
    )
    impl = advance(impl, on=date(2026, 3, 3), today=date(2026, 3, 3))
    assert impl.stage is Stage.IMPLEMENTATION
    assert contact_intensity(impl, date(2026, 3, 2)) == Intensity(before=0.0, during=None)
    assert contact_intensity(impl, date(2026, 3, 3)) == Intensity(before=0.0, during=0.0)


def test_a_meeting_of_our_people_alone_is_no_meeting_held_nor_contact_with_the_client() -> None:
    impl = Opportunity(exists=True, stage=Stage.ENTRY, criteria=V1, opened_at=datetime(2026, 3, 2))
    impl = run(
        impl,
        c.LinkInteraction(actor=KAM, interaction_id="a", kind="meeting", on=date(2026, 3, 2), with_client=False),
    )
    assert unmet_codes(impl) == ["meeting_or_invitation"]
    impl = run(impl, c.MigrateCriteria(actor=KAM, criteria=StageCriteria(version=9, exits={}), reason="t",
                                       may_override=True))  # fmt: skip
    for _ in range(4):  # Entry → Implementation, on the day it was opened
        impl = run(impl, c.AdvanceStage(actor=KAM), at=datetime(2026, 3, 2, 15))
    assert impl.stage is Stage.IMPLEMENTATION
    assert contact_intensity(impl, date(2026, 3, 31)) == Intensity(before=None, during=0.0)
    relinked = c.LinkInteraction(actor=KAM, interaction_id="a", kind="meeting", on=date(2026, 3, 2))
    assert contact_intensity(run(impl, relinked), date(2026, 3, 31)) == Intensity(before=None, during=1.0)


def test_a_correction_of_a_link_written_before_participants_were_recorded_takes_no_need_away() -> None:
    """Found by review: such a link named no one, so every need learnt in it was taken out by the next
    correction, even of the summary alone: now only a member the correction takes out takes their need along."""
    old_link = e.InteractionLinked(interaction_id="i", kind="meeting", on=TODAY)  # as written before participants
    state = evolve(opened(Kind.CROSS_SELL), old_link, datetime(2026, 1, 1))
    state = run(state, c.LinkAlly(actor=KAM, member_id="ally", members=MEMBERS))
    need = c.ConfirmNeed(
        actor=KAM, member_id="ally", need="One supplier", on=TODAY, today=TODAY, interaction_id="i", members=MEMBERS
    )
    state = run(state, need)
    link = {"actor": KAM, "interaction_id": "i", "kind": "meeting", "on": TODAY}
    state = run(state, c.LinkInteraction(**link, participants=("buyer",)))  # the summary corrected, say
    assert [n.member_id for n in state.needs] == ["ally"]
    state = run(state, c.LinkInteraction(**link, participants=("ally", "buyer")))
    assert [n.member_id for n in state.needs] == ["ally"]
    assert [n.member_id for n in run(state, c.LinkInteraction(**link, participants=("buyer",))).needs] == []


def test_an_interaction_linked_before_the_project_was_lost_may_be_sent_again_unchanged() -> None:
    """Correcting an interaction's summary sends its projects the same link again: a lost project used to refuse
    it (409 opportunity-lost), so the correction failed as a whole."""
    met = c.LinkInteraction(actor=KAM, interaction_id="i1", kind="meeting", on=TODAY)
    state = run(opened(), met, c.MarkLost(actor=KAM, reason="price"))
    assert decide(state, met) == []
    with pytest.raises(Conflict) as new_link:
        decide(state, c.LinkInteraction(actor=KAM, interaction_id="i2", kind="meeting", on=TODAY))
    assert new_link.value.code == "opportunity-lost"


def test_a_corrected_interaction_reaches_its_project_with_its_new_kind_and_day() -> None:
    """A correction sends the link again; the project kept the first kind and day, so a meeting corrected to an
    e-mail still opened Entry's gate, and the project's last interaction kept the wrong day."""
    earlier = date(2026, 9, 1)
    met = run(opened(), c.LinkInteraction(actor=KAM, interaction_id="i1", kind="meeting", on=TODAY))
    assert not is_stalled(met, TODAY, 30)
    events = decide(met, c.LinkInteraction(actor=KAM, interaction_id="i1", kind="email", on=earlier))
    assert [type(event).__name__ for event in events] == ["InteractionRelinked"]
    emailed = run(met, c.LinkInteraction(actor=KAM, interaction_id="i1", kind="email", on=earlier))
    assert [(m.kind, m.on) for m in emailed.interactions] == [("email", earlier)]
    assert emailed.last_interaction_on == earlier
    assert is_stalled(emailed, TODAY, 30)
    assert unmet_codes(emailed) == ["meeting_or_invitation"]
    lost = run(met, c.MarkLost(actor=KAM, reason="price"))
    corrected = run(lost, c.LinkInteraction(actor=KAM, interaction_id="i1", kind="email", on=earlier))
    assert [(m.kind, m.on) for m in corrected.interactions] == [("email", earlier)]  # what happened, even when lost


def test_a_need_learnt_in_an_interaction_goes_when_the_interaction_is_unlinked_or_retracted() -> None:
    """The project kept the need after its interaction was retracted (or corrected away from the project), so an
    ally's need confirmed in a meeting that never happened still met Finding an ally's criterion."""
    state = run(
        opened(Kind.CROSS_SELL),
        c.LinkAlly(actor=KAM, member_id="ally", members=MEMBERS),
        c.LinkInteraction(actor=KAM, interaction_id="i1", kind="meeting", on=TODAY),
        c.ConfirmNeed(actor=KAM, member_id="buyer", need="cheaper", on=TODAY, today=TODAY, members=MEMBERS),
    )
    learnt = c.ConfirmNeed(
        actor=KAM, member_id="ally", need="one supplier", on=TODAY, today=TODAY, interaction_id="i1", members=MEMBERS
    )
    taught = run(state, learnt)
    assert "need_confirmed_by_ally" not in unmet_codes(taught)
    earlier = date(2026, 11, 2)
    moved = run(taught, c.LinkInteraction(actor=KAM, interaction_id="i1", kind="meeting", on=earlier))
    assert [(n.member_id, n.on) for n in moved.needs] == [("buyer", TODAY), ("ally", earlier)]  # it follows the day
    retracted = run(taught, c.UnlinkInteraction(actor=KAM, interaction_id="i1"))
    assert [(n.member_id, n.interaction_id) for n in retracted.needs] == [("buyer", "")]  # told us directly: stays
    assert "need_confirmed_by_ally" in unmet_codes(retracted)
    lost = run(taught, c.MarkLost(actor=KAM, reason="price"), c.UnlinkInteraction(actor=KAM, interaction_id="i1"))
    assert [n.member_id for n in lost.needs] == ["buyer"]
