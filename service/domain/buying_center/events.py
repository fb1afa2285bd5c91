"""Facts about a buying center. Names, contacts and notes are sealed per person (subject = member id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from service.domain.buying_center.state import Citation, MemberProblem, RelationKind


class _Personal:
    """Events that carry personal fields name them; the subject is the member they are about."""

    PERSONAL: ClassVar[tuple[str, ...]] = ()
    member_id: str

    def personal(self) -> dict[str, str]:
        return {f: self.member_id for f in self.PERSONAL}


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberAdded(_Personal):
    PERSONAL: ClassVar[tuple[str, ...]] = ("name", "contacts", "notes")
    account_id: str
    member_id: str
    name: str | None
    position: str
    department: str
    organisation: str
    contacts: str | None
    notes: str | None
    roles: frozenset[str]
    influence: int
    attitude: int
    attitude_to_competitor: int
    citation: Citation | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberDetailsChanged(_Personal):
    PERSONAL: ClassVar[tuple[str, ...]] = ("name", "contacts", "notes")
    member_id: str
    name: str | None
    position: str
    department: str
    organisation: str
    contacts: str | None
    notes: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberAssessed(_Personal):
    """A new view of the person: roles, influence, attitudes; citing what justified it."""

    member_id: str
    roles: frozenset[str]
    influence: int
    attitude: int
    attitude_to_competitor: int
    citation: Citation | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberCriteriaRecorded(_Personal):
    member_id: str
    stated: tuple[str, ...]
    observed: tuple[str, ...]
    citation: Citation | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberProblemsRecorded(_Personal):
    member_id: str
    problems: tuple[MemberProblem, ...]
    citation: Citation | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactOwnerAssigned(_Personal):
    member_id: str
    owner: str | None
    contact_plan: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NextActionSet(_Personal):
    member_id: str
    what: str  # empty: no next action
    due: date | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactRecorded(_Personal):
    """We were in touch with the person on this day (an interaction records it too)."""

    member_id: str
    on: date
    interaction_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactWithdrawn(_Personal):
    """The interaction that recorded a contact was retracted or no longer lists the person."""

    member_id: str
    interaction_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberLeft(_Personal):
    """The person left the client: the node stays, inactive, with its history."""

    member_id: str
    on: date
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MembersLinked(_Personal):
    relationship_id: str
    source: str
    target: str
    kind: RelationKind
    strength: int
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MembersUnlinked(_Personal):
    relationship_id: str
    reason: str


BuyingCenterEvent = (
    MemberAdded
    | MemberDetailsChanged
    | MemberAssessed
    | MemberCriteriaRecorded
    | MemberProblemsRecorded
    | ContactOwnerAssigned
    | NextActionSet
    | ContactRecorded
    | ContactWithdrawn
    | MemberLeft
    | MembersLinked
    | MembersUnlinked
)
EVENTS = (
    MemberAdded,
    MemberDetailsChanged,
    MemberAssessed,
    MemberCriteriaRecorded,
    MemberProblemsRecorded,
    ContactOwnerAssigned,
    NextActionSet,
    ContactRecorded,
    ContactWithdrawn,
    MemberLeft,
    MembersLinked,
    MembersUnlinked,
)
