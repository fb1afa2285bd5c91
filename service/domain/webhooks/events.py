"""Facts about webhook subscriptions. The signing secret is sealed with its own subject, so that deleting a
subscription destroys it for good while the log stays as it was."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.domain.webhooks.state import SubscriptionStatus


def secret_subject(subscription_id: str) -> str:
    """The subject whose key seals a subscription's secret (service/events/personal.py)."""
    return f"webhook-secret-{subscription_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionCreated:
    subscription_id: str
    url: str
    event_types: tuple[str, ...] | None
    description: str
    secret: str | None  # None only when read back after deletion
    start_after: int
    created_by: str

    def personal(self) -> dict[str, str]:
        return {"secret": secret_subject(self.subscription_id)}


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionChanged:
    subscription_id: str
    url: str
    event_types: tuple[str, ...] | None
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionStatusSet:
    subscription_id: str
    status: SubscriptionStatus
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayRequested:
    subscription_id: str
    after_position: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretRotated:
    """The new secret signs from now on; the one it replaces signs beside it until `previous_valid_until`."""

    subscription_id: str
    secret: str | None  # None only when read back after deletion
    previous_valid_until: datetime

    def personal(self) -> dict[str, str]:
        return {"secret": secret_subject(self.subscription_id)}


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionDeleted:
    subscription_id: str


WebhookEvent = (
    SubscriptionCreated
    | SubscriptionChanged
    | SubscriptionStatusSet
    | ReplayRequested
    | SecretRotated
    | SubscriptionDeleted
)
EVENTS = (
    SubscriptionCreated,
    SubscriptionChanged,
    SubscriptionStatusSet,
    ReplayRequested,
    SecretRotated,
    SubscriptionDeleted,
)
