"""The company's webhook subscriptions, as their events leave them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class SubscriptionStatus(enum.StrEnum):
    ACTIVE = "active"  # delivering
    PAUSED = "paused"  # stopped by an admin; resumes where it stopped
    DISABLED = "disabled"  # stopped by the dispatcher after a long failure streak; resumes where it stopped


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    subscription_id: str
    url: str
    event_types: tuple[str, ...] | None  # None: every event of the domain
    description: str
    secret: str | None  # `whsec_…`; None once deleted (its key is destroyed, so it reads back redacted)
    previous_secret: str | None = None  # the secret a rotation replaced: it signs too until `previous_valid_until`
    previous_valid_until: datetime | None = None
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE
    disabled_reason: str = ""
    start_after: int  # events after this global position are delivered
    replays: tuple[int, ...] = ()  # each replay's position, in the order asked: the dispatcher applies each once
    created_by: str
    number: int = 0  # the how-manieth subscription created: the order of the list, and its page cursor


@dataclass(frozen=True, slots=True)
class Webhooks:
    subscriptions: dict[str, Subscription] = field(default_factory=dict)  # deleted ones are gone
    created: int = 0  # subscriptions ever created, deleted ones included
