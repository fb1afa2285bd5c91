"""What an admin (or the dispatcher) asks of the webhook subscriptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.domain.actors import Actor
from service.domain.webhooks.state import SubscriptionStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSubscription:
    actor: Actor
    subscription_id: str
    url: str
    event_types: tuple[str, ...] | None
    description: str
    secret: str
    start_after: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeSubscription:
    """Fields left None stay as they are; `event_types=()` is refused, `all_events` clears the filter."""

    actor: Actor
    subscription_id: str
    url: str | None = None
    event_types: tuple[str, ...] | None = None
    all_events: bool = False
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetStatus:
    """PAUSED or ACTIVE by an admin; DISABLED by the dispatcher, with its reason and the URL that failed (`url`),
    if the failures were a URL's."""

    actor: Actor
    subscription_id: str
    status: SubscriptionStatus
    reason: str = ""
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestReplay:
    actor: Actor
    subscription_id: str
    after_position: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RotateSecret:
    """A new signing secret; the current one keeps signing beside it until `previous_valid_until` (the caller's
    clock: the domain has none), so that receivers can switch over without missing a delivery."""

    actor: Actor
    subscription_id: str
    secret: str
    previous_valid_until: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteSubscription:
    actor: Actor
    subscription_id: str


WebhookCommand = CreateSubscription | ChangeSubscription | SetStatus | RequestReplay | RotateSecret | DeleteSubscription
