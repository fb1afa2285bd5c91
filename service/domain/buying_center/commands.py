"""What managers ask of a buying center. `known_roles` is the company's role set and `retired_roles` the roles it
dropped, passed in for validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.domain.actors import Actor
from service.domain.buying_center.state import Citation, MemberProblem, RelationKind


@dataclass(frozen=True, slots=True, kw_only=True)
class AddMember:
    actor: Actor
    account_id: str
    member_id: str
    name: str
    position: str = ""
    department: str = ""
    organisation: str = ""
    contacts: str = ""
    notes: str = ""
    roles: frozenset[str] = frozenset()
    influence: int = 3
    attitude: int = 0
    attitude_to_competitor: int = 0
    citation: Citation | None = None
    known_roles: frozenset[str]
    retired_roles: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeMemberDetails:
    actor: Actor
    member_id: str
    name: str | None = None
    position: str | None = None
    department: str | None = None
    organisation: str | None = None
    contacts: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssessMember:
    actor: Actor
    member_id: str
    roles: frozenset[str] | None = None
    influence: int | None = None
    attitude: int | None = None
    attitude_to_competitor: int | None = None
    citation: Citation | None = None
    known_roles: frozenset[str]
    retired_roles: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordCriteria:
    actor: Actor
    member_id: str
    stated: tuple[str, ...]
    observed: tuple[str, ...]
    citation: Citation | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordProblems:
    actor: Actor
    member_id: str
    problems: tuple[MemberProblem, ...]
    citation: Citation | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignContactOwner:
    actor: Actor
    member_id: str
    owner: str | None
    contact_plan: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetNextAction:
    actor: Actor
    member_id: str
    what: str
    due: date | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordContact:
    actor: Actor
    member_id: str
    on: date
    today: date  # contacts are not recorded in the future
    interaction_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawContact:
    """The contact an interaction recorded (silently none if it recorded none), or, without one, the contact
    recorded by hand on `on` (a mistyped day would otherwise hide a contact gone cold for good)."""

    actor: Actor
    member_id: str
    interaction_id: str = ""
    on: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkMemberLeft:
    actor: Actor
    member_id: str
    on: date
    reason: str
    today: date | None = None  # when given, `on` may not be later


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkMemberReturned:
    actor: Actor
    member_id: str
    reason: str
    on: date | None = None  # the day they were back, from the day they left; None: the (UTC) day it is recorded
    today: date | None = None  # when given, `on` may not be later


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkMembers:
    actor: Actor
    relationship_id: str
    source: str
    target: str
    kind: RelationKind
    strength: int = 2
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class UnlinkMembers:
    actor: Actor
    relationship_id: str


BuyingCenterCommand = (
    AddMember
    | ChangeMemberDetails
    | AssessMember
    | RecordCriteria
    | RecordProblems
    | AssignContactOwner
    | SetNextAction
    | RecordContact
    | WithdrawContact
    | MarkMemberLeft
    | MarkMemberReturned
    | LinkMembers
    | UnlinkMembers
)
