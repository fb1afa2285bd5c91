"""Webhook subscriptions (admin): which URLs hear which events of the log, their delivery state and log.

Subscriptions are events of one stream (`webhooks-company`), so they have an audit trail, `If-Match` and
`Idempotency-Key` like every resource; its version is the ETag of each of them. Delivery itself runs in
the background (service/webhooks/dispatcher.py); the signing secret is shown once, when created, and a
new one when rotated (webhook_secrets.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Response, status

from service.api.commanding import Command, CommandDep, Written, set_etag, written
from service.api.deps import AdminDep, RuntimeDep
from service.api.freshness import within_log
from service.api.pagination import Cursor, Limit, counter, decode_cursor, page
from service.api.problems import Problem
from service.api.routes.webhook_schemas import (
    Attempt,
    AttemptPage,
    CreatedWebhook,
    ReplayIn,
    SubscriptionId,
    WebhookChangeIn,
    WebhookIn,
    WebhookOut,
    WebhookPage,
)
from service.api.routes.webhook_secrets import as_stored
from service.commands.aggregates import WEBHOOKS, WEBHOOKS_STREAM
from service.domain.errors import DomainError, NotFound
from service.domain.webhooks import commands as cmd
from service.domain.webhooks.decide import decide, existing
from service.domain.webhooks.events import SubscriptionCreated, WebhookEvent, secret_subject
from service.domain.webhooks.evolve import evolve
from service.domain.webhooks.state import Subscription, SubscriptionStatus, Webhooks
from service.runtime import Runtime
from service.webhooks import records
from service.webhooks.catalogue import DELIVERABLE
from service.webhooks.signing import new_secret

router = APIRouter(tags=["webhooks"])


def _out(subscription: Subscription, cursor: asyncpg.Record | None) -> dict[str, Any]:
    return {
        "subscription_id": subscription.subscription_id,
        "url": subscription.url,
        "event_types": list(subscription.event_types) if subscription.event_types is not None else None,
        "description": subscription.description,
        "status": subscription.status,
        "disabled_reason": subscription.disabled_reason,
        "delivered_through": cursor["position"] if cursor else subscription.start_after,
        "failures_in_a_row": cursor["failures"] if cursor else 0,
        "created_by": subscription.created_by,
        "previous_secret_valid_until": _still_signing(subscription),
    }


def _still_signing(subscription: Subscription) -> datetime | None:
    until = subscription.previous_valid_until
    return until if until is not None and until > datetime.now(UTC) else None


async def _subscriptions(runtime: Runtime) -> tuple[Webhooks, int]:
    loaded = await runtime.repository.load(WEBHOOKS, WEBHOOKS_STREAM)
    return loaded.state, loaded.version


async def _default_start(command: Command) -> int:
    """Where a new subscription starts unless told: the head, once nothing can still commit below it. The plain
    head would lose an event that drew a lower position and commits after the answer. A keyed retry of a create
    that landed does not wait: the command answers what the first attempt stored, whatever is decided now."""
    runtime = command.runtime
    if await command.answered_before():
        return await runtime.store.head_position()
    try:
        return await runtime.store.settled_head(runtime.settings.read_wait_seconds)
    except TimeoutError:
        raise Problem(
            503, "/problems/log-unsettled", "The log's head is not settled yet",
            f"a transaction on the database server stayed open {runtime.settings.read_wait_seconds:g} s, and an event"
            " it holds could still commit below the head; nothing was written: retry shortly, or give start_after",
            headers={"Retry-After": "1"},
        ) from None  # fmt: skip


async def _deliverable(command: Command, url: str) -> None:
    """A URL in a blocked network (KAMPLAN_WEBHOOK_BLOCKED_NETWORKS) would only ever fail: refused now. Not for a
    keyed retry of a request that landed: where the name leads now, or the networks blocked now, must not turn its
    first answer into a 422 (the dispatcher still refuses to connect into a blocked network)."""
    if await command.answered_before():
        return
    if (reason := await command.runtime.settings.webhook_destinations.url_refusal(url)) is not None:
        raise DomainError("destination-blocked", f"webhooks are not delivered there: {reason}", field="url")


@router.get(
    "/webhooks/event-types",
    operation_id="listWebhookEventTypes",
    summary="The event types a subscription can ask for (admin)",
    response_model=list[str],
)
async def event_types(_: AdminDep) -> list[str]:
    return sorted(DELIVERABLE)


@router.post(
    "/webhooks",
    operation_id="createWebhook",
    summary="Subscribe a URL to events of the log (admin); the answer holds the signing secret, once",
    status_code=status.HTTP_201_CREATED,
    response_model=CreatedWebhook,
    responses={503: {"description": "a writing transaction stayed open on the server (problem log-unsettled)"}},
)
async def create_webhook(body: WebhookIn, response: Response, command: CommandDep, _: AdminDep) -> CreatedWebhook:
    subscription_id = command.new_id("webhook")
    await _deliverable(command, str(body.url))
    if body.start_after is not None:
        await within_log(command.runtime.store, body.start_after, "start_after")
    start_after = body.start_after if body.start_after is not None else await _default_start(command)
    create = cmd.CreateSubscription(
        actor=command.actor,
        subscription_id=subscription_id,
        url=str(body.url),
        event_types=tuple(body.event_types) if body.event_types is not None else None,
        description=body.description,
        secret=body.secret or new_secret(),
        start_after=start_after,
    )
    outcome = await command.run(WEBHOOKS, WEBHOOKS_STREAM, lambda state: decide(state, create))
    created = as_stored(outcome, SubscriptionCreated, "created")
    assert created.secret is not None  # as_stored answered 404 otherwise
    response.headers["Location"] = f"/v1/webhooks/{created.subscription_id}"
    base = written(response, outcome)
    subscription = evolve(Webhooks(), created).subscriptions[created.subscription_id]  # the fold, as first stored
    return CreatedWebhook(**_out(subscription, None), secret=created.secret, written=base)


@router.get(
    "/webhooks", operation_id="listWebhooks", summary="Webhook subscriptions (admin)", response_model=WebhookPage
)
async def list_webhooks(
    runtime: RuntimeDep,
    _: AdminDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Cursor = None,
) -> WebhookPage:
    after = decode_cursor(cursor, number=counter)
    state, version = await _subscriptions(runtime)
    rest = [s for s in state.subscriptions.values() if s.number > (after["number"] if after else 0)]
    chosen, next_cursor = page(rest, limit, lambda last: {"number": last.number})  # in the order created, deleted gone
    cursors = await records.cursors(runtime.pool, [s.subscription_id for s in chosen])
    set_etag(response, version)
    return WebhookPage(
        items=[WebhookOut(**_out(s, cursors.get(s.subscription_id))) for s in chosen],
        next_cursor=next_cursor,
        version=version,
    )


@router.get(
    "/webhooks/{subscription_id}", operation_id="getWebhook", summary="One subscription and where its delivery stands",
    response_model=WebhookOut,
)  # fmt: skip
async def get_webhook(
    subscription_id: SubscriptionId, runtime: RuntimeDep, _: AdminDep, response: Response
) -> WebhookOut:
    state, version = await _subscriptions(runtime)
    subscription = existing(state, subscription_id)
    cursors = await records.cursors(runtime.pool, [subscription_id])
    set_etag(response, version)
    return WebhookOut(**_out(subscription, cursors.get(subscription_id)))


@router.patch(
    "/webhooks/{subscription_id}",
    operation_id="changeWebhook",
    summary="Change a subscription's URL, event types or description, pause or resume it (admin)",
    response_model=Written,
)
async def change_webhook(
    subscription_id: SubscriptionId, body: WebhookChangeIn, response: Response, command: CommandDep, _: AdminDep
) -> Written:
    given = body.model_fields_set
    if body.url is not None:
        await _deliverable(command, str(body.url))
    change = cmd.ChangeSubscription(
        actor=command.actor,
        subscription_id=subscription_id,
        url=str(body.url) if body.url is not None else None,
        event_types=tuple(body.event_types) if body.event_types is not None else None,
        all_events="event_types" in given and body.event_types is None,
        description=body.description,
    )
    wanted = SubscriptionStatus(body.status) if body.status is not None else None

    def decide_all(state: Webhooks) -> list[WebhookEvent]:
        events = decide(state, change)
        if wanted is not None:
            set_status = cmd.SetStatus(actor=command.actor, subscription_id=subscription_id, status=wanted)
            events += decide(state, set_status)
        return events

    return written(response, await command.run(WEBHOOKS, WEBHOOKS_STREAM, decide_all))


@router.post(
    "/webhooks/{subscription_id}/replay",
    operation_id="replayWebhook",
    summary="Deliver again every event of its types after a position (admin)",
    response_model=Written,
)
async def replay_webhook(
    subscription_id: SubscriptionId, body: ReplayIn, response: Response, command: CommandDep, _: AdminDep
) -> Written:
    await within_log(command.runtime.store, body.after_position, "after_position")
    replay = cmd.RequestReplay(actor=command.actor, subscription_id=subscription_id, after_position=body.after_position)
    return written(response, await command.run(WEBHOOKS, WEBHOOKS_STREAM, lambda state: decide(state, replay)))


@router.delete(
    "/webhooks/{subscription_id}",
    operation_id="deleteWebhook",
    summary="Delete a subscription (admin): delivery stops and its secret is destroyed",
    response_model=Written,
)
async def delete_webhook(
    subscription_id: SubscriptionId, response: Response, command: CommandDep, _: AdminDep
) -> Written:
    delete = cmd.DeleteSubscription(actor=command.actor, subscription_id=subscription_id)
    store = command.runtime.store
    try:
        outcome = await command.run(WEBHOOKS, WEBHOOKS_STREAM, lambda state: decide(state, delete))
    except NotFound:  # deleted before: make sure its secret went with it, should that step have failed then
        if await store.knows_subject(secret_subject(subscription_id)):
            await store.forget_subject(secret_subject(subscription_id), command.metadata)
        raise
    await store.forget_subject(secret_subject(subscription_id), command.metadata)
    return written(response, outcome)


@router.get(
    "/webhooks/{subscription_id}/attempts",
    operation_id="listWebhookAttempts",
    summary="Delivery attempts of a subscription, newest first (admin)",
    response_model=AttemptPage,
)
async def list_attempts(
    subscription_id: SubscriptionId,
    runtime: RuntimeDep,
    _: AdminDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AttemptPage:
    after = decode_cursor(cursor, before=counter)
    state, _version = await _subscriptions(runtime)
    existing(state, subscription_id)
    rows = await records.attempts(runtime.pool, subscription_id, after["before"] if after else None, limit + 1)
    shown, next_cursor = page(rows, limit, lambda last: {"before": last["attempt_id"]})
    return AttemptPage(
        items=[Attempt(**{**dict(r), "event_id": str(r["event_id"])}) for r in shown], next_cursor=next_cursor
    )
