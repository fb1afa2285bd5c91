"""One POST of a webhook: signed headers, a deadline for the whole attempt, and what came of it.

Nothing of the subscriber's answer is read but its status: nothing of it is kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from service.webhooks.signing import sign

USER_AGENT = "kamplan-webhooks/1"
ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class Sent:
    started_at: datetime
    duration_ms: int
    status: int | None  # the subscriber's HTTP status; None when no answer came
    error: str | None  # None when the subscriber answered 2xx


async def send(
    http: httpx.AsyncClient, url: str, secrets: Sequence[str], message_id: str, body: bytes, timeout_seconds: float
) -> Sent:
    """POST `body` signed with each of `secrets` (the spec's space-separated list: a receiver accepts any one, so
    a rotated secret and the one it replaces both verify)."""
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(secret, message_id, timestamp, body) for secret in secrets),
    }
    started_at, started = datetime.now(UTC), time.monotonic()
    status: int | None = None
    try:  # httpx's timeout bounds each read; a receiver trickling bytes must not hold an attempt longer
        async with (
            asyncio.timeout(timeout_seconds),
            http.stream("POST", url, content=body, headers=headers) as response,
        ):
            status = response.status_code
        error = None if 200 <= status < 300 else f"HTTP {status}"
    except TimeoutError:
        status, error = None, f"no answer within {timeout_seconds:g} s"
    except Exception as failure:  # not only httpx's: a URL's host that IDNA refuses raises UnicodeError
        error = f"{type(failure).__name__}: {failure}"[:ERROR_CHARS] if str(failure) else type(failure).__name__
    return Sent(started_at, round((time.monotonic() - started) * 1000), status, error)
