"""A key account as it stands."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime


class Lifecycle(enum.StrEnum):
    PROSPECT = "prospect"
    PROJECT = "project"  # a sales project in progress
    SERIAL_SUPPLY = "serial_supply"  # repeat purchases
    SLEEPING = "sleeping"  # no orders for a while: reactivation is a task
    REACTIVATED = "reactivated"
    LOST = "lost"


# Which lifecycle moves make sense (DOMAIN.md section 1); anything else is refused.
TRANSITIONS: dict[Lifecycle, frozenset[Lifecycle]] = {
    Lifecycle.PROSPECT: frozenset({Lifecycle.PROJECT, Lifecycle.LOST}),
    Lifecycle.PROJECT: frozenset({Lifecycle.SERIAL_SUPPLY, Lifecycle.PROSPECT, Lifecycle.LOST}),
    Lifecycle.SERIAL_SUPPLY: frozenset({Lifecycle.SLEEPING, Lifecycle.PROJECT, Lifecycle.LOST}),
    Lifecycle.SLEEPING: frozenset({Lifecycle.REACTIVATED, Lifecycle.LOST}),
    Lifecycle.REACTIVATED: frozenset({Lifecycle.SERIAL_SUPPLY, Lifecycle.PROJECT, Lifecycle.SLEEPING, Lifecycle.LOST}),
    Lifecycle.LOST: frozenset({Lifecycle.REACTIVATED, Lifecycle.PROSPECT}),  # reactivated: only a former client
}


class KeyCriterion(enum.StrEnum):
    """Company-level reasons a client is key (seed 001)."""

    LARGE = "large"
    LOYAL = "loyal"
    PROMISING = "promising"  # перспективный
    PRESTIGIOUS = "prestigious"  # статусный
    PARTNER = "partner"
    COMPLEX = "complex"


@dataclass(frozen=True, slots=True, kw_only=True)
class HandOver:
    from_owner: str
    to_owner: str
    trigger: str
    note: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    exists: bool = False
    account_id: str = ""
    name: str = ""
    industry: str = ""
    region: str = ""
    segment: str = ""
    owner: str = ""  # the manager (token sub) who owns the account
    team: str | None = None  # the supervisor's team
    is_key: bool = False
    key_reason: str = ""
    criteria: frozenset[KeyCriterion] = frozenset()
    can_influence: bool | None = None  # "the manager can influence what this client buys"
    influence_reason: str = ""
    lifecycle: Lifecycle = Lifecycle.PROSPECT
    lifecycle_reason: str = ""
    supplied: bool = False  # has been in serial supply: a client who bought from us, whom a loss leaves to reactivate
    client: bool = False  # buys from us now: from serial supply until lost or a prospect again (cross-selling)
    lifecycle_since: date | None = None  # the day of the latest lifecycle change (none before the first)
    client_since: date | None = None  # the day it became a client this time; None while it is none
    opened_at: datetime | None = None
    hand_overs: tuple[HandOver, ...] = ()

    @property
    def under_ceiling(self) -> bool:
        """Whether it takes a place under its manager's key-account ceiling: a key account being worked. The ceiling
        is how many key clients one manager can really work (seed 001), and a lost client is not worked."""
        return self.is_key and self.lifecycle is not Lifecycle.LOST

    def next_stages(self) -> frozenset[Lifecycle]:
        """Where the lifecycle may go from here. Reactivation is of clients who bought and stopped (seed 002): a
        lost account that never was in serial supply (lost as a prospect, or in its first project) is a prospect
        again instead."""
        allowed = TRANSITIONS[self.lifecycle]
        if self.lifecycle is Lifecycle.LOST and not self.supplied:
            return allowed - {Lifecycle.REACTIVATED}
        return allowed
