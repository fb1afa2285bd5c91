"""Event ids: UUIDv7, time-ordered, so the unique index on event_id grows at its right edge.

Every appended event gets one, so it is on the append's hot path (bench/append.py): randomness is drawn
in blocks, and the UUID is built without `UUID.__init__`'s argument parsing (3.8 µs → 0.9 µs per id).
"""

from __future__ import annotations

import os
import struct
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0x2 << 62
_CLEAR = ~((0xF << 76) | (0x3 << 62))
_TEN_BYTES = struct.Struct(">HQ")  # 80 random bits per id, of which 74 are kept
_POOL = 409 * _TEN_BYTES.size  # random bytes fetched per system call

_new_uuid = uuid.UUID.__new__
_set = object.__setattr__
_UNKNOWN = uuid.SafeUUID.unknown


class _Entropy:
    """Cryptographic randomness drawn in blocks: one getrandom() per 409 ids instead of one per id."""

    def __init__(self) -> None:
        self._ready: list[int] = []

    def take(self) -> int:
        if not self._ready:
            self._ready = [high << 64 | low for high, low in _TEN_BYTES.iter_unpack(os.urandom(_POOL))]
        return self._ready.pop()

    def forget(self) -> None:
        self._ready = []


_entropy = _Entropy()
os.register_at_fork(after_in_child=_entropy.forget)  # a forked child must not repeat its parent's ids


def uuid_from_int(value: int) -> uuid.UUID:
    """`uuid.UUID(int=value)` for a value known to fit 128 bits (what Python 3.14's `UUID._from_int` does)."""
    new = _new_uuid(uuid.UUID)
    _set(new, "int", value)
    _set(new, "is_safe", _UNKNOWN)
    return new


def new_event_id() -> uuid.UUID:
    """An RFC 9562 version-7 UUID: 48 bits of Unix milliseconds, then 74 random bits."""
    value = (time.time_ns() // 1_000_000) << 80 | _entropy.take()
    return uuid_from_int((value & _CLEAR) | _VERSION_7 | _VARIANT_RFC)
