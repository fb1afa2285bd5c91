"""The rules for webhook subscriptions: admins manage them; a change that changes nothing writes nothing."""

from __future__ import annotations

from typing import assert_never

from service.domain.actors import Actor, Role
from service.domain.errors import Conflict, NotAllowed, NotFound, require
from service.domain.webhooks.commands import (
    ChangeSubscription,
    CreateSubscription,
    DeleteSubscription,
    RequestReplay,
    RotateSecret,
    SetStatus,
    WebhookCommand,
)
from service.domain.webhooks.events import (
    ReplayRequested,
    SecretRotated,
    SubscriptionChanged,
    SubscriptionCreated,
    SubscriptionDeleted,
    SubscriptionStatusSet,
    WebhookEvent,
)
from service.domain.webhooks.state import Subscription, SubscriptionStatus, Webhooks


def _admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise NotAllowed("admin-only", "only an admin manages webhook subscriptions")


def existing(state: Webhooks, subscription_id: str) -> Subscription:
    if (found := state.subscriptions.get(subscription_id)) is None:
        raise NotFound("webhook-not-found", "no webhook subscription with this id", subscription_id=subscription_id)
    return found


def _types(event_types: tuple[str, ...] | None) -> None:
    if event_types is not None:
        require(bool(event_types), "empty-event-types", "name at least one event type, or leave the filter out")
        require(len(set(event_types)) == len(event_types), "duplicate-event-type", "an event type appears twice")


def _as_set(event_types: tuple[str, ...] | None) -> frozenset[str] | None:
    """A filter as delivery reads it: the order its types were named in changes nothing."""
    return None if event_types is None else frozenset(event_types)


def decide(state: Webhooks, command: WebhookCommand) -> list[WebhookEvent]:
    match command:
        case CreateSubscription():
            _admin(command.actor)
            if command.subscription_id in state.subscriptions:
                raise Conflict("webhook-exists", "a webhook subscription with this id exists")
            _types(command.event_types)
            require(command.start_after >= 0, "out-of-range", "start_after is a position: 0 or more")
            return [
                SubscriptionCreated(
                    subscription_id=command.subscription_id,
                    url=command.url,
                    event_types=command.event_types,
                    description=command.description,
                    secret=command.secret,
                    start_after=command.start_after,
                    created_by=command.actor.sub,
                )
            ]
        case ChangeSubscription():
            _admin(command.actor)
            current = existing(state, command.subscription_id)
            _types(command.event_types)
            types = None if command.all_events else command.event_types or current.event_types
            changed = SubscriptionChanged(
                subscription_id=current.subscription_id,
                url=command.url if command.url is not None else current.url,
                event_types=types,
                description=command.description if command.description is not None else current.description,
            )
            same = (changed.url, _as_set(changed.event_types), changed.description) == (
                current.url,
                _as_set(current.event_types),
                current.description,
            )
            return [] if same else [changed]
        case SetStatus(status=status):
            current = existing(state, command.subscription_id)
            if status is SubscriptionStatus.DISABLED:  # the dispatcher's own decision, recorded with its reason
                if command.actor.role not in (Role.INTEGRATION, Role.ADMIN):
                    raise NotAllowed("dispatcher-only", "the dispatcher disables a failing subscription")
                require(bool(command.reason), "reason-required", "a disabled subscription says why")
            else:
                _admin(command.actor)
            if current.status is status or (
                status is SubscriptionStatus.DISABLED and current.status is not SubscriptionStatus.ACTIVE
            ):
                return []  # already so, or paused meanwhile: nothing left to disable
            if status is SubscriptionStatus.DISABLED and command.url not in (None, current.url):
                return []  # a new URL since the failures: it starts a fresh streak, not disabled for the old one's
            return [
                SubscriptionStatusSet(subscription_id=command.subscription_id, status=status, reason=command.reason)
            ]
        case RequestReplay(after_position=after):
            _admin(command.actor)
            current = existing(state, command.subscription_id)
            require(after >= 0, "out-of-range", "after_position is a position: 0 or more")
            return [ReplayRequested(subscription_id=current.subscription_id, after_position=after)]
        case RotateSecret():
            _admin(command.actor)
            current = existing(state, command.subscription_id)
            require(command.secret != current.secret, "same-secret", "the new secret is the one signing now")
            return [
                SecretRotated(
                    subscription_id=current.subscription_id,
                    secret=command.secret,
                    previous_valid_until=command.previous_valid_until,
                )
            ]
        case DeleteSubscription():
            _admin(command.actor)
            current = existing(state, command.subscription_id)
            return [SubscriptionDeleted(subscription_id=current.subscription_id)]
        case _:
            assert_never(command)
