"""Opaque cursors for every list: base64url of a small JSON object, refused cleanly when tampered."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from service.api.problems import Problem


def encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(state)).decode().rstrip("=")


def decode_cursor(cursor: str | None, *keys: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        state = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(state, dict) or any(k not in state for k in keys):
            raise ValueError("missing keys")
    except ValueError as error:
        raise Problem(
            422, "/problems/invalid-cursor", "Invalid cursor", "pass back the next_cursor of a previous page unchanged"
        ) from error
    return state
