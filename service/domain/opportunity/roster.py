"""The account's buying center as a sales project's rules read it: roles, who has left, who was the client's when.

A project's facts are judged on it when they are read (decided on, shown, projected), not once when they were
recorded: a leaving or a return recorded late, dated back over a fact's day, changes whether an interaction was one
with the client and whether a fact in a member's word counts, and nothing stored is rewritten. A view as of a moment
reads the map as of that moment, so it judges with what was known then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from service.domain.buying_center.state import BuyingCenter, Member
from service.domain.opportunity.criteria import roles_for_rules
from service.domain.opportunity.state import Meeting, Opportunity

# member id → the periods they were away and came back from, [left_on, returned_on): not the client's on those days
Absences = dict[str, tuple[tuple[date, date], ...]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Roster:
    """What a project's rules read of the map; `roster_of` builds it from the buying center (now, or as of a moment)."""

    roles: dict[str, frozenset[str]] = field(default_factory=dict)  # member → roles, no ally for one opposed to us
    left: frozenset[str] = frozenset()  # gone from the client, not back: facts in their word count no more
    people: Mapping[str, Member] | None = None  # None: no map at hand, so interactions keep their verdict as linked

    @property
    def away(self) -> Absences:
        """The periods each member was away and came back from, which a new fact's day is checked against."""
        people = (self.people or {}).values()
        return {m.member_id: tuple((p.left_on, p.returned_on) for p in m.away) for m in people if m.away}

    def there(self, member_id: str, day: date) -> bool:
        """Whether they were the client's on `day`, by the map's one rule (`Member.at_the_client`)."""
        member = (self.people or {}).get(member_id)
        return member is not None and member.at_the_client(day)

    def heard(self, member_id: str | None, on: date | None = None) -> bool:
        """Whether a fact in their word counts: they are still the client's and, for a fact with a day of its own
        (`on`), were the client's that day, so a need heard while they were away, back since, counts for nothing."""
        if member_id is None or member_id in self.left:
            return False
        return on is None or self.people is None or self.there(member_id, on)

    def with_client(self, meeting: Meeting) -> bool:
        """Whether a member who was the client's on its day took part. A link that names no one (written before links
        carried the participants) keeps the verdict it was linked with, as with no map at hand."""
        if self.people is None or meeting.participants is None:
            return meeting.with_client
        return any(self.there(m, meeting.on) for m in meeting.participants)

    def judged(self, o: Opportunity) -> Opportunity:
        """The project with each linked interaction judged with the client or not on this map: what its meeting
        criterion, stalling and contact intensity read. Its facts stay as recorded."""
        if self.people is None:
            return o
        return replace(o, interactions=tuple(replace(m, with_client=self.with_client(m)) for m in o.interactions))


def roster_of(center: BuyingCenter) -> Roster:
    return Roster(
        roles={m.member_id: roles_for_rules(m.roles, m.opposed) for m in center.people.values()},
        left=center.left,
        people=center.people,
    )
