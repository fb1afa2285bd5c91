"""A subscription's signing secret (admin): shown once when created or rotated, never read back.

A rotation keeps the replaced secret signing beside the new one for a grace period, so that a receiver
switches over without refusing a delivery (service/webhooks/delivery.py signs with both).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Response

from service.api.commanding import CommandDep, written
from service.api.deps import AdminDep
from service.api.routes.webhook_schemas import RotatedSecret, SecretRotationIn, SubscriptionId
from service.commands.aggregates import WEBHOOKS, WEBHOOKS_STREAM
from service.commands.handler import Outcome
from service.domain.errors import NotFound
from service.domain.webhooks import commands as cmd
from service.domain.webhooks.decide import decide
from service.domain.webhooks.events import SecretRotated, SubscriptionCreated
from service.events.errors import SubjectForgotten
from service.webhooks.signing import new_secret

router = APIRouter(tags=["webhooks"])

WithSecret = TypeVar("WithSecret", SubscriptionCreated, SecretRotated)


def as_stored(outcome: Outcome[Any], kind: type[WithSecret], did: str) -> WithSecret:
    """The event holding the secret as first stored (a keyed retry answers with it); a 404 when the subscription
    was deleted since, its secret with it."""
    event = next(e for e in outcome.events if isinstance(e, kind))
    if event.secret is None:
        raise NotFound("webhook-not-found", f"the subscription this request {did} was deleted since",
                       subscription_id=event.subscription_id)  # fmt: skip
    return event


@router.post(
    "/webhooks/{subscription_id}/rotate-secret",
    operation_id="rotateWebhookSecret",
    summary="Give a subscription a new signing secret; the old one signs beside it for a grace period (admin)",
    response_model=RotatedSecret,
)
async def rotate_secret(
    subscription_id: SubscriptionId,
    response: Response,
    command: CommandDep,
    _: AdminDep,
    body: Annotated[SecretRotationIn | None, Body()] = None,
) -> RotatedSecret:
    body = body or SecretRotationIn()
    rotate = cmd.RotateSecret(
        actor=command.actor,
        subscription_id=subscription_id,
        secret=body.secret or new_secret(),
        previous_valid_until=datetime.now(UTC) + timedelta(seconds=body.grace_seconds),
    )
    try:
        outcome = await command.run(WEBHOOKS, WEBHOOKS_STREAM, lambda state: decide(state, rotate))
    except SubjectForgotten as deleted:  # deleted between deciding and sealing the new secret
        raise NotFound("webhook-not-found", "no webhook subscription with this id",
                       subscription_id=subscription_id) from deleted  # fmt: skip
    rotated = as_stored(outcome, SecretRotated, "rotated")
    assert rotated.secret is not None  # as_stored answered 404 otherwise
    until, base = rotated.previous_valid_until, written(response, outcome)
    return RotatedSecret(secret=rotated.secret, previous_secret_valid_until=until, written=base)
