"""What the webhook subscription routes take and answer (webhooks.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field, HttpUrl, StrictInt, field_validator

from service.api.bodies import RequestBody
from service.api.commanding import Written
from service.domain.webhooks.state import SubscriptionStatus
from service.webhooks.catalogue import DELIVERABLE
from service.webhooks.signing import secret_bytes

MAX_POSITION = 2**62

SubscriptionId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
EventTypes = list[str] | None
_TYPES = "Event types to deliver (GET /v1/webhooks/event-types lists them); null or left out: every event."


def _known(types: list[str] | None) -> list[str] | None:
    if types is not None and (unknown := sorted(set(types) - DELIVERABLE)):
        raise ValueError(f"unknown event types: {', '.join(unknown)}; GET /v1/webhooks/event-types lists them")
    return types


MAX_NAME = 253  # characters of a DNS name, its labels and dots (RFC 1035: 255 octets on the wire)


def _resolvable(url: HttpUrl | None) -> HttpUrl | None:
    """A host name DNS can never resolve (an empty label, one over 63 characters, a name over 253), or port 0, which
    takes no connection, would fail every delivery."""
    if url is not None and url.port == 0:
        raise ValueError("port 0 takes no connection: give the receiver's port, or none for the scheme's")
    host = url.host if url is not None else None
    if host and not host.startswith("["):
        try:
            name = host.rstrip(".").encode("idna")
        except UnicodeError as error:
            raise ValueError(f"the host {host!r} is not a DNS name: {error.__cause__ or error}") from None
        if len(name) > MAX_NAME:
            raise ValueError(f"the host is not a DNS name: {len(name)} characters, at most {MAX_NAME}")
    return url


def _valid_secret(value: str | None) -> str | None:
    if value is not None:
        secret_bytes(value)
    return value


class WebhookIn(RequestBody):
    url: HttpUrl = Field(
        description="Where the events are POSTed (http or https).", examples=["https://erp.example/hooks"]
    )
    event_types: EventTypes = Field(None, max_length=200, description=_TYPES)
    description: str = Field("", max_length=500)
    secret: str | None = Field(
        None, description="Your own signing secret (whsec_ and the base64 of 24 to 64 bytes); default: a new one."
    )
    start_after: StrictInt | None = Field(
        None, ge=0, le=MAX_POSITION,
        description="Deliver events after this global position (at most the log's head); 0 for the whole log; "
        "default: the head.",
    )  # fmt: skip

    _check_types = field_validator("event_types")(_known)
    _check_url = field_validator("url")(_resolvable)
    _check_secret = field_validator("secret")(_valid_secret)


class WebhookChangeIn(RequestBody):
    url: HttpUrl | None = None
    event_types: EventTypes = Field(None, max_length=200, description=_TYPES + " Set null to deliver every event.")
    description: str | None = Field(None, max_length=500)
    status: Literal["active", "paused"] | None = Field(
        None, description="paused stops delivery; active resumes it where it stopped (also once disabled)."
    )

    _check_types = field_validator("event_types")(_known)
    _check_url = field_validator("url")(_resolvable)


class ReplayIn(RequestBody):
    after_position: StrictInt = Field(
        ge=0, le=MAX_POSITION, description="Deliver again every event after this global position (at most the head)."
    )


DAY, MAX_GRACE_DAYS = 86_400, 7


class SecretRotationIn(RequestBody):
    secret: str | None = Field(
        None, description="Your own new secret (whsec_ and the base64 of 24 to 64 bytes); default: a new one."
    )
    grace_seconds: StrictInt = Field(
        DAY, ge=0, le=MAX_GRACE_DAYS * DAY,
        description="How long the replaced secret keeps signing beside the new one, so that receivers switch over "
        "without refusing a delivery; 0 drops it at once.",
    )  # fmt: skip

    _check_secret = field_validator("secret")(_valid_secret)


class RotatedSecret(BaseModel):
    secret: str = Field(description="The new signing secret. Keep it: it is not shown again.")
    previous_secret_valid_until: datetime = Field(description="Until when deliveries carry the old secret's "
                                                  "signature too (webhook-signature lists both).")  # fmt: skip
    written: Written


class WebhookOut(BaseModel):
    subscription_id: str
    url: str
    event_types: list[str] | None
    description: str
    status: SubscriptionStatus
    disabled_reason: str = Field(description="Why the dispatcher disabled it (failed attempts, the last error).")
    delivered_through: int = Field(description="Every event of its types up to this global position was delivered.")
    failures_in_a_row: int = Field(description="Failed attempts at the next event since its last success.")
    created_by: str
    previous_secret_valid_until: datetime | None = Field(
        description="While a rotated-out secret still signs beside the current one: until when; else null."
    )


class CreatedWebhook(WebhookOut):
    secret: str = Field(description="The signing secret (Standard Webhooks). Keep it: it is not shown again.")
    written: Written


class WebhookPage(BaseModel):
    items: list[WebhookOut]
    next_cursor: str | None
    version: int = Field(description="Version of the subscriptions (the ETag of each).")


class Attempt(BaseModel):
    attempt_id: int
    event_id: str
    position: int
    event_type: str
    attempt: int = Field(description="1 for the first try at this event, 2 for its first retry, …")
    attempted_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    delivered: bool


class AttemptPage(BaseModel):
    items: list[Attempt]
    next_cursor: str | None
