"""A project's facts judged on the buying center at hand (`Roster`), not frozen when recorded: an interaction is one
with the client only with a member who was the client's on its day, and a fact in a member's word counts only if
they were the client's on its day, as the map knows it when the facts are read."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from service.domain.buying_center.state import Away, BuyingCenter, Member
from service.domain.opportunity import commands as c
from service.domain.opportunity.criteria import unmet
from service.domain.opportunity.roster import Roster, roster_of
from service.domain.opportunity.state import Kind, Opportunity
from service.domain.opportunity.view import is_stalled
from tests.support.opportunity_rules import KAM, MEMBERS, TODAY, opened, run

DAY = date(2026, 11, 10)
HERE = Member(member_id="ally", name="A", roles=frozenset({"ally"}))


def roster(member: Member) -> Roster:
    return roster_of(BuyingCenter(account_id="a1", members={member.member_id: member}))


def codes(state: Opportunity, on: Roster | None = None) -> list[str]:
    return [x.code for x in unmet(state, on)]


def test_an_interaction_on_a_day_the_map_now_says_its_member_had_left_is_none_with_the_client() -> None:
    linked = c.LinkInteraction(actor=KAM, interaction_id="i", kind="meeting", on=DAY, participants=("ally",))
    met = run(opened(), linked)
    gone = roster(replace(HERE, active=False, left_on=date(2026, 11, 1)))
    assert [m.with_client for m in gone.judged(met).interactions] == [False]
    assert [m.with_client for m in met.interactions] == [True]  # the fact as recorded stays
    assert codes(met) == []
    assert codes(met, gone) == ["meeting_or_invitation"]
    assert (is_stalled(met, date(2026, 11, 30), 30), is_stalled(gone.judged(met), date(2026, 11, 30), 30)) == (
        False,
        True,
    )
    back_before = roster(replace(HERE, away=(Away(left_on=date(2026, 11, 1), returned_on=DAY),)))
    assert [m.with_client for m in back_before.judged(met).interactions] == [True]


def test_a_link_that_names_no_one_or_no_map_keeps_the_verdict_it_was_linked_with() -> None:
    linked = c.LinkInteraction(actor=KAM, interaction_id="i", kind="meeting", on=DAY, with_client=True)
    met = run(opened(), linked)  # written before links carried the participants
    gone = roster(replace(HERE, active=False, left_on=date(2026, 11, 1)))
    assert [m.with_client for m in gone.judged(met).interactions] == [True]
    assert Roster(left=frozenset({"ally"})).judged(met) == met


def test_a_need_in_the_word_of_a_member_away_on_its_day_counts_for_nothing() -> None:
    state = run(opened(Kind.CROSS_SELL), c.LinkAlly(actor=KAM, member_id="ally", members=MEMBERS))
    state = run(state, c.ConfirmNeed(actor=KAM, member_id="ally", need="x", on=DAY, today=TODAY, members=MEMBERS))
    away = roster(replace(HERE, away=(Away(left_on=date(2026, 11, 1), returned_on=date(2026, 11, 20)),)))
    assert "need_confirmed_by_ally" not in codes(state, roster(HERE))
    assert "need_confirmed_by_ally" in codes(state, away)
    assert [away.heard("ally"), away.heard("ally", DAY), away.heard("ally", date(2026, 11, 20))] == [True, False, True]
