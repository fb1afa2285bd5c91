"""Forgettable personal data: fields sealed with a per-subject key that lives outside the log.

An event marks fields as personal (`NewEvent.personal`: field → subject id, or the ids of every person
the field is about). Before the append those fields become AES-256-GCM ciphertext under the subject's key
from `subject_keys`; a field about several people, under a key derived from all of theirs, so that it is
gone when any one of them is forgotten. Forgetting a subject destroys its key: the log stays byte-for-byte
the same (its hash chain still verifies), and every read returns those fields as None, listed in
`RecordedEvent.redacted`.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import asyncpg
import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from service.events import sql
from service.events.codec import dumps
from service.events.errors import InvalidAppend, SubjectForgotten
from service.events.hashing import NUL_REFUSED, holds_nul
from service.events.model import NewEvent, StreamAppend, Subjects

SEALED = "$pii"


def subjects_of(subjects: Subjects) -> tuple[str, ...]:
    """The subjects of a personal field, each once, in the order given."""
    return (subjects,) if isinstance(subjects, str) else tuple(dict.fromkeys(subjects))


def _aad(subjects: Sequence[str], field: str) -> bytes:
    """Binds a ciphertext to its subjects and field, so it cannot be moved to another one (for one subject,
    `subject NUL field`, as it has always been)."""
    return "\x00".join([*subjects, field]).encode()


def _joint_key(keys: Sequence[bytes], subjects: Sequence[str]) -> bytes:
    """The key of a field about several people: derived from every one of their keys, so that destroying any
    one of them leaves it underivable. One subject's field takes that subject's key itself."""
    if len(keys) == 1:
        return keys[0]
    info = b"kamplan personal field\x00" + "\x00".join(subjects).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(b"".join(keys))


def _sealed_under(sealed: dict[str, Any]) -> tuple[str, ...]:
    return (sealed["subject"], *sealed.get("also", ()))


def seal_value(keys: dict[str, bytes], subjects: Sequence[str], field: str, value: Any) -> dict[str, Any]:
    plain = dumps(value)
    if holds_nul(plain):  # sealed, the server would never see it; opened, no read table could hold it
        raise InvalidAppend(f"personal field {field!r} {NUL_REFUSED}")
    nonce = os.urandom(12)
    key = _joint_key([keys[s] for s in subjects], subjects)
    ciphertext = AESGCM(key).encrypt(nonce, plain, _aad(subjects, field))
    sealed: dict[str, Any] = {"subject": subjects[0], "sealed": base64.b64encode(nonce + ciphertext).decode()}
    if len(subjects) > 1:
        sealed["also"] = list(subjects[1:])
    return {SEALED: sealed}


def open_value(keys: dict[str, bytes], field: str, sealed: dict[str, Any]) -> Any:
    subjects = _sealed_under(sealed)
    blob = base64.b64decode(sealed["sealed"])
    key = _joint_key([keys[s] for s in subjects], subjects)
    return orjson.loads(AESGCM(key).decrypt(blob[:12], blob[12:], _aad(subjects, field)))


def sealed_subjects(data: dict[str, Any]) -> Iterable[str]:
    for value in data.values():
        if type(value) is dict and SEALED in value:
            yield from _sealed_under(value[SEALED])


async def seal(conn: asyncpg.Connection, appends: Sequence[StreamAppend]) -> list[StreamAppend]:
    """Encrypt every personal field of `appends`; creates keys for new subjects."""
    pairs = sorted(
        {(s, a.stream_id) for a in appends for e in a.events for v in e.personal.values() for s in subjects_of(v)}
    )
    if not pairs:
        return list(appends)
    keys = await _writable_keys(conn, sorted({s for s, _ in pairs}))
    await conn.execute(sql.REMEMBER_SUBJECT_STREAMS, [p[0] for p in pairs], [p[1] for p in pairs])
    return [replace(a, events=[_seal_event(e, keys) for e in a.events]) for a in appends]


def _seal_event(event: NewEvent, keys: dict[str, bytes]) -> NewEvent:
    if not event.personal:
        return event
    data = dict(event.data)
    for field, subjects in event.personal.items():
        if field not in data:
            raise InvalidAppend(f"{event.event_type}: personal field {field!r} is not in the data")
        if not subjects:
            raise InvalidAppend(f"{event.event_type}: personal field {field!r} names no subject")
        if data[field] is not None:
            data[field] = seal_value(keys, subjects_of(subjects), field, data[field])
    return replace(event, data=data, personal={})


async def _writable_keys(conn: asyncpg.Connection, subjects: list[str]) -> dict[str, bytes]:
    for _ in range(3):  # a concurrent first write of the same subject hides its key from this snapshot
        fresh = [AESGCM.generate_key(bit_length=256) for _ in subjects]
        rows = await conn.fetch(sql.SUBJECT_KEYS_FOR_WRITING, subjects, fresh)
        found = {r["subject_id"]: r for r in rows}
        for subject, row in found.items():
            if row["forgotten_at"] is not None:
                raise SubjectForgotten(subject)
        if len(found) == len(subjects):
            return {s: bytes(r["key"]) for s, r in found.items()}
    raise RuntimeError(f"could not obtain keys for subjects {subjects}")


def _is_sealed(data: dict[str, Any]) -> bool:
    for value in data.values():  # noqa: SIM110 - a plain loop: twice as fast as any() on every event read
        if type(value) is dict and SEALED in value:
            return True
    return False


Unsealed = tuple[dict[str, Any], tuple[str, ...], bool]


async def unseal(conn: asyncpg.Connection, payloads: Sequence[dict[str, Any]]) -> list[Unsealed]:
    """Decrypt sealed fields; a forgotten subject's fields come back as None and are named. Each payload comes
    back with the fields redacted and whether it had any personal field."""
    out: list[Unsealed] = [(data, (), False) for data in payloads]
    sealed = [i for i, data in enumerate(payloads) if _is_sealed(data)]
    if not sealed:
        return out
    subjects = {s for i in sealed for s in sealed_subjects(payloads[i])}
    rows = await conn.fetch(sql.SUBJECT_KEYS_FOR_READING, list(subjects))
    keys = {r["subject_id"]: bytes(r["key"]) for r in rows if r["key"] is not None}
    for i in sealed:
        data = payloads[i]
        opened, redacted = dict(data), []
        for field, value in data.items():
            if type(value) is dict and SEALED in value:
                if all(s in keys for s in _sealed_under(value[SEALED])):
                    opened[field] = open_value(keys, field, value[SEALED])
                else:  # one of the people it is about was forgotten
                    opened[field] = None
                    redacted.append(field)
        out[i] = (opened, tuple(redacted), True)
    return out
