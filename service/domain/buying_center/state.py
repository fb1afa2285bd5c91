"""A buying center as it stands: members (people; name, contacts and notes are personal data) and links."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


class RelationKind(enum.StrEnum):
    REPORTS_TO = "reports_to"  # formal
    INFLUENCES = "influences"  # informal from here on: the links an org chart does not show
    ALLIED_WITH = "allied_with"
    RIVAL_OF = "rival_of"

    @property
    def formal(self) -> bool:
        return self is RelationKind.REPORTS_TO


class CitationKind(enum.StrEnum):
    INTERACTION = "interaction"
    DOCUMENT = "document"
    OBSERVATION = "observation"


@dataclass(frozen=True, slots=True, kw_only=True)
class Citation:
    """What justified a change of view on a person: an interaction, a document, or an observation."""

    kind: CitationKind
    ref: str = ""  # interaction id, document id or URL
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberProblem:
    """SPIN: a problem of this person and what it costs them."""

    problem: str
    consequence: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class NextAction:
    what: str
    due: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One step in the history of a member: which fields changed from what to what, when and why."""

    at: datetime | None
    event: str
    changes: dict[str, Any]  # field → [old, new]
    citation: Citation | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Away:
    """A period the person was not the client's: from the day they left up to, not including, the day they were back."""

    left_on: date
    returned_on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    member_id: str
    name: str | None  # None once the person is forgotten: the node stays, anonymous
    position: str = ""
    department: str = ""
    organisation: str = ""  # the client, or an outside body: association, ministry, regulator
    contacts: str | None = None
    notes: str | None = None
    roles: frozenset[str] = frozenset()
    influence: int = 3  # 1 … 5
    attitude: int = 0  # to us: −2 opponent … +2 ally
    attitude_to_competitor: int = 0
    stated_criteria: tuple[str, ...] = ()
    observed_criteria: tuple[str, ...] = ()  # stated criteria can be false: record what we see too
    problems: tuple[MemberProblem, ...] = ()
    owner: str | None = None  # who on our side owns the contact
    contact_plan: str = ""  # how we contact this person
    next_action: NextAction | None = None
    last_contact: date | None = None  # the latest touchpoint on a day they were the client's (`at_the_client`)
    touchpoints: dict[str, date] | None = None  # interaction id (or "manual:<day>") → day, kept also inside an absence
    active: bool = True
    left_on: date | None = None
    left_reason: str = ""
    returned_reason: str = ""  # why they are the client's again (back, or marked as left by mistake), till they leave
    away: tuple[Away, ...] = ()  # the periods they were away and came back from, oldest first (none of no length)
    added_at: datetime | None = None
    history: tuple[Change, ...] = ()

    @property
    def opposed(self) -> bool:
        """Against us: by attitude (-1 or less), or mapped with the opponent role. Whatever other roles they keep,
        such a person is a coverage risk and no ally of a project."""
        return self.attitude <= -1 or OPPONENT in self.roles

    def at_the_client(self, day: date) -> bool:
        """Whether they were the client's on that day: a meeting with someone who had left it, also one back since
        but away that day, is none with the client, and no contact to count."""
        if any(p.left_on <= day < p.returned_on for p in self.away):
            return False
        return self.active or (self.left_on is not None and day < self.left_on)


OPPONENT = "opponent"


def contact_key(interaction_id: str, on: date | None) -> str:
    """A touchpoint's key: the interaction that recorded the contact, or "manual:<day>" for one recorded by hand."""
    return interaction_id or f"manual:{on.isoformat() if on else ''}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Relationship:
    relationship_id: str
    source: str  # member ids
    target: str
    kind: RelationKind
    strength: int = 2  # 1 weak … 3 strong
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BuyingCenter:
    account_id: str = ""
    members: dict[str, Member] | None = None
    relationships: dict[str, Relationship] | None = None

    @property
    def people(self) -> dict[str, Member]:
        return self.members or {}

    @property
    def links(self) -> dict[str, Relationship]:
        return self.relationships or {}

    @property
    def left(self) -> frozenset[str]:
        """The members who have left the client (and not come back): named in no new fact, and what is known of
        them no longer describes who is there."""
        return frozenset(m.member_id for m in self.people.values() if not m.active)
