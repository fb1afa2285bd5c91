"""Event payloads as JSON: one encoder for the whole service (Decimal and Enum included)."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

import orjson

from service.db.pool import JSONB_VERSION


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")  # money keeps every digit, in plain digits ("12000000", not "1.2E+7")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, frozenset | set | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=json_default)


def jsonb(value: Any) -> bytes:
    """Pre-encoded binary jsonb, which the pool's codec passes through as is."""
    return JSONB_VERSION + dumps(value)
