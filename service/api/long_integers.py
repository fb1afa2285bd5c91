"""Integers too long for Python to read from text, found in a request body that its JSON reader refused whole.

Python converts no text of more than `sys.get_int_max_str_digits()` digits (4,300 by default) to an integer, a
guard against the quadratic cost of the conversion (CVE-2020-10735). Its JSON reader then raises a ValueError that
is no JSON error, wherever the number stands, and FastAPI answers a bare 400 "There was an error parsing the body",
naming nothing. Read again with each such integer kept as a marker, the body shows the fields that hold one.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class _TooLong:
    digits: int


def _integer(text: str) -> int | _TooLong:
    limit = sys.get_int_max_str_digits()  # 0: no limit
    digits = len(text.removeprefix("-"))
    return _TooLong(digits) if limit and digits > limit else int(text)


def _markers(value: Any, at: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], _TooLong]]:
    if isinstance(value, _TooLong):
        yield at, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _markers(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _markers(item, (*at, index))


def too_long_integers(body: bytes) -> list[dict[str, Any]]:
    """A validation error (`loc`, `msg`, `type`, as pydantic gives them) for each integer of the body too long to
    read, or FastAPI's `json_invalid` one when the body is malformed JSON too; none when the body failed for another
    reason (text that is not UTF-8, nesting past Python's recursion limit), which stays a 400."""
    try:
        value = json.loads(body, parse_int=_integer)
        found = list(_markers(value, ("body",)))
    except json.JSONDecodeError as error:  # malformed past the number: answered as FastAPI answers malformed JSON
        return [{"loc": ("body", error.pos), "msg": "JSON decode error", "type": "json_invalid"}]
    except ValueError:  # not text in UTF-8 (or 16, 32): no number is to blame
        return []
    except RecursionError:  # nested past what Python reads (or walks, here in the error handler): as if no number
        return []
    limit = sys.get_int_max_str_digits()
    return [
        {"loc": loc, "msg": f"must be an integer of at most {limit} digits, not {n.digits}", "type": "number_too_long"}
        for loc, n in found
    ]
