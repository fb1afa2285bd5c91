"""A member's periods away, folded from the events: the day they left, and the day they were back, given or (a return
stored before it was, version 1) the UTC day the return was recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import reduce

from service.commands.aggregates import UPCASTERS
from service.domain.buying_center.events import MemberAdded, MemberLeft, MemberReturned
from service.domain.buying_center.evolve import evolve, initial_state
from service.domain.buying_center.state import Away, Citation, CitationKind

AT = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)


def member_after(*events: object) -> object:
    added = MemberAdded(
        account_id="a",
        member_id="m",
        name="N",
        position="",
        department="",
        organisation="",
        contacts=None,
        notes=None,
        roles=frozenset(),
        influence=3,
        attitude=0,
        attitude_to_competitor=0,
        citation=Citation(kind=CitationKind.OBSERVATION),
    )
    return reduce(lambda s, e: evolve(s, e, AT), (added, *events), initial_state()).people["m"]


def test_a_return_stored_without_its_day_is_back_on_the_utc_day_it_was_recorded() -> None:
    _, data = UPCASTERS.upcast("MemberReturned", 1, {"member_id": "m", "reason": "Back"})
    old = MemberReturned(**data)
    member = member_after(MemberLeft(member_id="m", on=date(2026, 2, 1), reason=""), old)
    assert member.away == (Away(left_on=date(2026, 2, 1), returned_on=date(2026, 3, 10)),)
    assert member.at_the_client(date(2026, 1, 31))
    assert not member.at_the_client(date(2026, 2, 1))
    assert not member.at_the_client(date(2026, 3, 9))
    assert member.at_the_client(date(2026, 3, 10))


def test_each_absence_is_kept_and_one_by_mistake_is_none() -> None:
    first, second = date(2026, 1, 1), date(2026, 2, 1)
    member = member_after(
        MemberLeft(member_id="m", on=first, reason=""),
        MemberReturned(member_id="m", reason="", on=first + timedelta(days=10)),
        MemberLeft(member_id="m", on=second, reason=""),
        MemberReturned(member_id="m", reason="Left by mistake", on=second),
        MemberLeft(member_id="m", on=date(2026, 3, 1), reason=""),
    )
    assert member.away == (Away(left_on=first, returned_on=first + timedelta(days=10)),)
    assert not member.at_the_client(first + timedelta(days=9))
    assert member.at_the_client(second + timedelta(days=5))
    assert not member.at_the_client(date(2026, 3, 1))  # gone again
