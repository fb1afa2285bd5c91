"""Event ids: UUIDv7, time-ordered, so the unique index on event_id grows at its right edge."""

from __future__ import annotations

import os
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0x2 << 62
_CLEAR = ~((0xF << 76) | (0x3 << 62))


def new_event_id() -> uuid.UUID:
    """An RFC 9562 version-7 UUID: 48 bits of Unix milliseconds, then 74 random bits."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    return uuid.UUID(int=(value & _CLEAR) | _VERSION_7 | _VARIANT_RFC)
