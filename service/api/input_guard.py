"""What no field may hold is refused where it enters, naming the field:

- U+0000: PostgreSQL cannot store it in text or jsonb, and an id holding it would fail deep inside a query
  as a 500 (without this, the store's own check still refuses it, but as `invalid-input` without the field);
- a number that is not finite: Python's JSON reader takes NaN, Infinity and 1e400 (as infinity), and an event
  would store them as null, a value nobody sent.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from fastapi import Request

from service.api.problems import validation_problem

_NUL = "must not contain the NUL character (U+0000)"
_NOT_FINITE = "must be a finite number"
# NaN, Infinity, a large exponent, or 309 digits and more (a float beyond 1.8e308); a false hit, say inside a
# string, only costs a second parse
_RISKY_NUMBER = re.compile(rb"NaN|Infinity|[0-9][eE]\+?[0-9]{3}|[0-9]{309}")


def _paths(value: Any, at: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        if "\x00" in value:
            yield at, _NUL
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield at, _NOT_FINITE
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield (*at, key), _NUL
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*at, index))


async def refuse_unstorable(request: Request) -> None:
    """A dependency of every /v1 route: a 422 `validation` problem for each path, query or body field holding
    NUL, and each body number that is not finite."""
    found = [(("path", name), _NUL) for name, value in request.path_params.items() if "\x00" in str(value)]
    found += [(("query", name), _NUL) for name, value in request.query_params.multi_items() if "\x00" in value]
    body = await request.body()
    if b"\\u0000" in body or _RISKY_NUMBER.search(body):  # cheap first: only such a body is parsed again
        with contextlib.suppress(ValueError):  # not JSON: the body's own validation answers
            found += list(_paths(json.loads(body), ("body",)))
    if found:
        raise validation_problem([{"loc": loc, "msg": message, "type": "unstorable"} for loc, message in found])
