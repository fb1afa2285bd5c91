"""What managers, supervisors and admins ask of a key account. Inputs the rules need come with the command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.domain.account.state import KeyCriterion, Lifecycle
from service.domain.actors import Actor


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenAccount:
    actor: Actor
    account_id: str
    name: str
    industry: str
    region: str
    segment: str
    owner: str | None = None  # default: the acting manager
    team: str | None = None  # default: the actor's team
    is_key: bool = False
    key_reason: str = ""
    owner_key_accounts: int = 0  # key accounts the owner works already (none lost)
    ceiling: int = 15


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeAccountDetails:
    actor: Actor
    name: str | None = None
    industry: str | None = None
    region: str | None = None
    segment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignTeam:
    actor: Actor
    team: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HandOverAccount:
    actor: Actor
    to_owner: str
    to_team: str | None = None  # the new owner's team, which the account moves to; None: it stays in its team
    trigger: str
    note: str = ""
    triggers: frozenset[str]  # the company's trigger kinds
    new_owner_key_accounts: int = 0
    ceiling: int = 15


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassifyAccount:
    actor: Actor
    criteria: frozenset[KeyCriterion]
    can_influence: bool
    influence_reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkKey:
    actor: Actor
    reason: str
    owner_key_accounts: int = 0
    ceiling: int = 15


@dataclass(frozen=True, slots=True, kw_only=True)
class UnmarkKey:
    actor: Actor
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeLifecycle:
    actor: Actor
    to_stage: Lifecycle
    reason: str
    on: date | None = None  # the day it happened, if before today
    today: date | None = None
    owner_key_accounts: int = 0  # key accounts the owner works already (a key account won back takes a place again)
    ceiling: int = 15


AccountCommand = (
    OpenAccount
    | ChangeAccountDetails
    | AssignTeam
    | HandOverAccount
    | ClassifyAccount
    | MarkKey
    | UnmarkKey
    | ChangeLifecycle
)
