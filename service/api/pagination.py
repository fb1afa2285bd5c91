"""Opaque cursors for every list: base64url of a small JSON object, refused cleanly when tampered.

A cursor comes back from the client, so each of its fields is checked like any input before it reaches a
query: a page's reader names the fields it needs and how to read each one (`text`, `counter`, `optional` here,
`moments.read_day`, `moments.read_moment`). A list fetches one row more than its `limit` and `page` keeps the
first `limit`, with the cursor past the last of them when that extra row shows that more follow.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Query

from service.api.problems import Problem

_COUNTER_LIMIT = 2**62  # far beyond any version or position, with room below a bigint for a page on top
T = TypeVar("T")
R = TypeVar("R")

# A list's page length: by default 50 rows of a read model, 100 entries of a log; at most 500.
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page.")]


def text(value: Any) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError("not a text PostgreSQL can hold")
    return value


def counter(value: Any) -> int:
    """A version or a position: a whole number that fits a bigint, also once a page's length is added."""
    if type(value) is not int or not 0 <= value < _COUNTER_LIMIT:
        raise ValueError("not a version or position")
    return value


def optional(read: Callable[[Any], R]) -> Callable[[Any], R | None]:
    """`read`, or None for a JSON null: a sort key that may be empty (an account without a team)."""

    def read_or_null(value: Any) -> R | None:
        return None if value is None else read(value)

    return read_or_null


def encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(state)).decode().rstrip("=")


def absent_or(read: Callable[[Any], R]) -> Callable[[Any], R | None]:
    """`read` for a key a cursor may lack, which then reads None: one added to a list's cursor after cursors were
    handed out, so a page asked for across an upgrade goes on."""
    reader = optional(read)
    reader.absent_ok = True  # type: ignore[attr-defined]
    return reader


def decode_cursor(cursor: str | None, **fields: Callable[[Any], Any]) -> dict[str, Any] | None:
    """The cursor's fields, each read by its function; a problem for anything not made by `encode_cursor`."""
    if not cursor:
        return None
    try:
        state = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(state, dict):
            raise ValueError("not an object")
        return {
            name: None if name not in state and getattr(read, "absent_ok", False) else read(state[name])
            for name, read in fields.items()
        }
    except (ValueError, KeyError) as error:  # orjson's and base64's errors are ValueErrors too
        raise Problem(
            422, "/problems/invalid-cursor", "Invalid cursor", "pass back the next_cursor of a previous page unchanged"
        ) from error


def page(rows: Sequence[T], limit: int, after: Callable[[T], dict[str, Any]]) -> tuple[list[T], str | None]:
    """The first `limit` of `rows` and, when `rows` holds more (fetch `limit + 1`), the cursor of `after(last kept)`."""
    kept = list(rows[:limit])
    return kept, encode_cursor(after(kept[-1])) if len(rows) > limit else None
