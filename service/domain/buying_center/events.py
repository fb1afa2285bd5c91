"""Facts about a buying center. What we write about a person is sealed with that person (subject = member id):
name, contacts, notes, criteria, problems, how we contact them, the next action, why they left, the citations
behind our view of them (their note and ref), and a link's note (with both people it links, as it is about both).
What stays readable once they are forgotten: the node, its position, roles, influence, attitudes, links and when
each changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar
from uuid import UUID

from service.domain.buying_center.state import Citation, CitationKind, MemberProblem, RelationKind


def _our_interaction(citation: Citation) -> bool:
    """Whether the citation's ref is only the id of one of our interactions: a UUID as we write them, which says
    nothing about the person. Any other ref is free text (a document's name, a URL of their profile)."""
    if citation.kind is not CitationKind.INTERACTION:
        return False
    try:
        return str(UUID(citation.ref)) == citation.ref
    except ValueError:
        return False


def _holds_something(value: object) -> bool:
    """Whether a field says anything about the person: a citation by its note or its ref (free text up to 500
    characters), but not by its kind nor by a ref that only names one of our interactions, so an interaction may
    still assess a forgotten person, as it may without citing itself. Citations written before refs were sealed
    keep theirs in clear: the log is immutable."""
    if isinstance(value, Citation):
        return bool(value.note) or (bool(value.ref) and not _our_interaction(value))
    return value not in (None, "", ())


class _Personal:
    """Events that carry personal fields name them; the subject is the member they are about. An empty field
    holds nothing to seal, so blanking one needs no key: a forgotten person's position can still be cleared."""

    PERSONAL: ClassVar[tuple[str, ...]] = ()
    member_id: str

    def personal(self) -> dict[str, str]:
        return {f: self.member_id for f in self.PERSONAL if _holds_something(getattr(self, f))}


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberAdded(_Personal):
    PERSONAL: ClassVar[tuple[str, ...]] = ("name", "contacts", "notes", "citation")
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

    PERSONAL: ClassVar[tuple[str, ...]] = ("citation",)
    member_id: str
    roles: frozenset[str]
    influence: int
    attitude: int
    attitude_to_competitor: int
    citation: Citation | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberCriteriaRecorded(_Personal):
    PERSONAL: ClassVar[tuple[str, ...]] = ("stated", "observed", "citation")
    member_id: str
    stated: tuple[str, ...] | None  # None: forgotten
    observed: tuple[str, ...] | None
    citation: Citation | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberProblemsRecorded(_Personal):
    PERSONAL: ClassVar[tuple[str, ...]] = ("problems", "citation")
    member_id: str
    problems: tuple[MemberProblem, ...] | None
    citation: Citation | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactOwnerAssigned(_Personal):
    PERSONAL: ClassVar[tuple[str, ...]] = ("contact_plan",)
    member_id: str
    owner: str | None  # one of us: not the person's data
    contact_plan: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NextActionSet(_Personal):
    PERSONAL: ClassVar[tuple[str, ...]] = ("what",)
    member_id: str
    what: str | None  # empty: no next action
    due: date | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactRecorded(_Personal):
    """We were in touch with the person on this day (an interaction records it too)."""

    member_id: str
    on: date
    interaction_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactWithdrawn(_Personal):
    """The interaction that recorded a contact was retracted or no longer lists the person; or a contact recorded
    by hand was taken back (`interaction_id` "manual:<day>")."""

    member_id: str
    interaction_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberLeft(_Personal):
    """The person left the client: the node stays, inactive, with its history."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("reason",)
    member_id: str
    on: date
    reason: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberReturned(_Personal):
    """The person is the client's again: back from elsewhere, or their leaving was recorded by mistake (back `on`
    the day they left: never away). Version 2; version 1 had no `on`, lifted as None: the day it was recorded."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("reason",)
    member_id: str
    reason: str | None
    on: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MembersLinked(_Personal):
    relationship_id: str
    source: str
    target: str
    kind: RelationKind
    strength: int
    note: str | None

    def personal(self) -> dict[str, tuple[str, str]]:
        return {"note": (self.source, self.target)} if self.note else {}  # forgotten with either of them


@dataclass(frozen=True, slots=True, kw_only=True)
class MembersUnlinked:
    """Version 2. Version 1 also had a `reason`, free text sealed with nobody that no route ever set (stored empty),
    which would have outlived the people the link was about; its upcaster drops it."""

    relationship_id: str


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
    | MemberReturned
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
    MemberReturned,
    MembersLinked,
    MembersUnlinked,
)
