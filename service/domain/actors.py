"""Who acts: the roles of kamplan and the actor every command and event carries."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    MANAGER = "manager"  # key account manager: own accounts
    SUPERVISOR = "supervisor"  # the manager's head: the team's accounts, reviews plans
    ADMIN = "admin"  # company settings, everything
    INTEGRATION = "integration"  # ERP, bots: only their own endpoints
    BI = "bi"  # analysts: read projections, never write


@dataclass(frozen=True, slots=True)
class Actor:
    sub: str
    role: Role
    team: str | None = None
