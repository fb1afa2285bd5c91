"""How the subscriptions follow from their events."""

from __future__ import annotations

from dataclasses import replace

from service.domain.webhooks.events import (
    ReplayRequested,
    SecretRotated,
    SubscriptionChanged,
    SubscriptionCreated,
    SubscriptionDeleted,
    SubscriptionStatusSet,
    WebhookEvent,
)
from service.domain.webhooks.state import Subscription, Webhooks


def _with(state: Webhooks, subscription: Subscription, created: int | None = None) -> Webhooks:
    subscriptions = {**state.subscriptions, subscription.subscription_id: subscription}
    return Webhooks(subscriptions, state.created if created is None else created)


def evolve(state: Webhooks, event: WebhookEvent) -> Webhooks:
    current = state.subscriptions.get(event.subscription_id)
    match event:
        case SubscriptionCreated():
            return _with(
                state,
                Subscription(
                    subscription_id=event.subscription_id,
                    url=event.url,
                    event_types=event.event_types,
                    description=event.description,
                    secret=event.secret,
                    start_after=event.start_after,
                    created_by=event.created_by,
                    number=state.created + 1,
                ),
                created=state.created + 1,
            )
        case SubscriptionDeleted():
            kept = {k: v for k, v in state.subscriptions.items() if k != event.subscription_id}
            return Webhooks(kept, state.created)
    if current is None:
        return state
    match event:
        case SubscriptionChanged():
            return _with(
                state, replace(current, url=event.url, event_types=event.event_types, description=event.description)
            )
        case SubscriptionStatusSet():
            return _with(state, replace(current, status=event.status, disabled_reason=event.reason))
        case ReplayRequested():
            return _with(state, replace(current, replays=(*current.replays, event.after_position)))
        case SecretRotated():
            rotated = replace(
                current,
                secret=event.secret,
                previous_secret=current.secret,
                previous_valid_until=event.previous_valid_until,
            )
            return _with(state, rotated)
    return state


def initial_state() -> Webhooks:
    return Webhooks()
