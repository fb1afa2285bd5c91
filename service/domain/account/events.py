"""Facts about a key account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.domain.account.state import KeyCriterion, Lifecycle


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountOpened:
    account_id: str
    name: str
    industry: str
    region: str
    segment: str
    owner: str
    team: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountDetailsChanged:
    name: str
    industry: str
    region: str
    segment: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountTeamAssigned:
    team: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountHandedOver:
    from_owner: str
    to_owner: str
    trigger: str
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountClassified:
    criteria: frozenset[KeyCriterion]
    can_influence: bool
    influence_reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountMarkedKey:
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountUnmarkedKey:
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleChanged:
    from_stage: Lifecycle
    to_stage: Lifecycle
    reason: str
    on: date | None = None  # the day it happened, when recorded later; None: the day it was recorded


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyAccountCeilingExceeded:
    """Allowed, but a warning the manager gets and a portfolio risk the supervisor sees."""

    owner: str
    key_accounts: int
    ceiling: int


AccountEvent = (
    AccountOpened
    | AccountDetailsChanged
    | AccountTeamAssigned
    | AccountHandedOver
    | AccountClassified
    | AccountMarkedKey
    | AccountUnmarkedKey
    | LifecycleChanged
    | KeyAccountCeilingExceeded
)
EVENTS = (
    AccountOpened,
    AccountDetailsChanged,
    AccountTeamAssigned,
    AccountHandedOver,
    AccountClassified,
    AccountMarkedKey,
    AccountUnmarkedKey,
    LifecycleChanged,
    KeyAccountCeilingExceeded,
)
