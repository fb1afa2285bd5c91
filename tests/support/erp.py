"""What the ERP webhook tests share: the secret, documents as the ERP sends them, signed as the spec says."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from typing import Any

import httpx
import orjson

from service.domain.actors import Role

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KAM = {"sub": "erp-kam", "role": Role.MANAGER, "team": "erp-team"}


def signed(body: bytes, delivery: str | None = None, *, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    """The headers an ERP sends, computed as the spec says, not with the service's code."""
    delivery = delivery or f"msg_{uuid.uuid4().hex}"
    stamp = str(at if at is not None else int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = base64.b64encode(hmac.new(key, f"{delivery}.{stamp}.".encode() + body, hashlib.sha256).digest()).decode()
    return {"webhook-id": delivery, "webhook-timestamp": stamp, "webhook-signature": f"v1,{mac}",
            "content-type": "application/json"}  # fmt: skip


def order(account_id: str, number: str = "SO-1001", amount: str = "1250000.00", **changes: Any) -> bytes:
    kind = changes.pop("type", "order")
    stamp = changes.pop("timestamp", "2026-11-20T10:00:00Z")
    line = {"sku": "FF-200", "name": "Fuel filter", "quantity": 500, "amount": amount}
    data = {"account_id": account_id, "number": number, "on": "2026-11-20", "amount": amount, "currency": "RUB",
            "lines": [line], **changes}  # fmt: skip
    return orjson.dumps({"type": kind, "timestamp": stamp, "data": data})


async def post(erp: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await erp.post("/v1/erp/webhooks", content=body, headers=headers)
