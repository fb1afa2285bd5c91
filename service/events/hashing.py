"""The per-stream hash chain: canonical bytes of an event, its digest, and the link the database adds.

    digest = sha256(header || LF || metadata digest || canonical data)     computed by the writer
    hash   = sha256(link || position || version || recorded_at µs || digest)   computed by the database

`link` is the hash of the stream's last event before the append (empty for a new stream), and the header
names the digest of the event before in the same append, so the append's last hash, which the next append
links to, covers all of it. The writer hashes the JSON it sends anyway, so hashing costs one sha256 per
event; the database adds what only it knows (position, version, time). `verify` recomputes both from the
stored rows.

Canonical JSON is orjson with sorted keys. It must come back byte-identical from jsonb, and it does for
every value except two float shapes jsonb re-renders: an integral float of 1e16 or more within 64 bits
(orjson writes "1e+16", jsonb returns 10000000000000000, read back as an int; beyond 64 bits orjson reads
digits as a float again) and -0.0 (jsonb has no negative zero). Those are normalised first to exactly
what jsonb hands back, so the stored data does not change meaning.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson

from service.events.codec import json_default

_SORTED = orjson.OPT_SORT_KEYS
# a number token with a positive exponent, or -0.0; a false hit inside a string only costs a re-encode
_RISKY_FLOAT = re.compile(rb"[:\[,]-?[0-9][0-9.]*e\+[0-9]+[,\]}]|[:\[,]-0\.0[,\]}]")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _normalise(value: Any) -> Any:
    if type(value) is float:
        if value == 0.0:
            return 0.0
        if value.is_integer() and abs(value) >= 1e16 and -(2**63) <= value < 2**64:
            return int(value)  # jsonb prints it as digits, which orjson reads back as an int
        return value
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """JSON bytes that survive a round trip through jsonb unchanged."""
    raw = orjson.dumps(value, default=json_default, option=_SORTED)
    if (b"+" in raw or b"-0.0" in raw) and _RISKY_FLOAT.search(raw):  # the byte tests first: far cheaper
        raw = orjson.dumps(_normalise(value), default=json_default, option=_SORTED)
    return raw


NUL_REFUSED = "holds the NUL character (U+0000), which PostgreSQL cannot store"
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # an escaped U+0000 after an even number of backslashes


def holds_nul(raw: bytes) -> bool:
    """Whether JSON text holds U+0000, which PostgreSQL's jsonb and text cannot store (a literal backslash
    followed by `u0000` is not one)."""
    return b"\\u0000" in raw and _NUL.search(raw) is not None


def micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICRO


def metadata_digest(canonical_metadata: bytes) -> bytes:
    return hashlib.sha256(canonical_metadata).digest()


def event_digest(
    stream_id: str,
    stream_type: str,
    event_id: UUID,
    event_type: str,
    schema_version: int,
    occurred_micros: int,
    meta_digest: bytes,
    canonical_data: bytes,
    previous: bytes = b"",
) -> bytes:
    """`previous` is the digest of the event before this one in its append (none for the first): the database links
    an append to the stream's hash before it, so without it an edit of any but an append's last event could be
    covered by fixing up that event's own hash. An append's first event, and every event written before this rule
    (verify tells them apart), has a header of six fields; a later one adds the digest before it as a seventh."""
    # default=str: rows read back carry asyncpg's own UUID type, which orjson does not know
    fields = [stream_id, stream_type, event_id, event_type, schema_version, occurred_micros]
    if previous:
        fields.append(previous.hex())
    header = orjson.dumps(fields, default=str)
    return hashlib.sha256(header + b"\n" + meta_digest + canonical_data).digest()


def chain_hash(link: bytes, position: int, stream_version: int, recorded_at: datetime, digest: bytes) -> bytes:
    """The database's half (sql.APPEND), repeated here for verify."""
    return hashlib.sha256(
        link
        + position.to_bytes(8, "big", signed=True)
        + stream_version.to_bytes(8, "big", signed=True)
        + micros(recorded_at).to_bytes(8, "big", signed=True)
        + digest
    ).digest()
