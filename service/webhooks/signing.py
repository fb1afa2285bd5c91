"""Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 of `id.timestamp.body`.

A secret is `whsec_` and the base64 of 24 to 64 random bytes, as the spec's libraries expect, so a
receiver verifies what we send with any of them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

PREFIX = "whsec_"
MIN_BYTES, MAX_BYTES, NEW_BYTES = 24, 64, 32


def new_secret() -> str:
    return PREFIX + base64.b64encode(os.urandom(NEW_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key inside `whsec_<base64>`; ValueError for anything else."""
    if not secret.startswith(PREFIX):
        raise ValueError(f"a secret starts with {PREFIX}")
    try:
        key = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except binascii.Error as error:
        raise ValueError("a secret is whsec_ followed by base64") from error
    if not MIN_BYTES <= len(key) <= MAX_BYTES:
        raise ValueError(f"a secret holds {MIN_BYTES} to {MAX_BYTES} bytes")
    return key


def sign(secret: str, message_id: str, timestamp: int | str, body: bytes) -> str:
    """The `webhook-signature` header's value for one delivery attempt; a received `timestamp` is signed as the
    header's text, as the sender signed it."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
