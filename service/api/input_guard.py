"""What no field may hold is refused where it enters, naming the field:

- U+0000: PostgreSQL cannot store it in text or jsonb, and an id holding it would fail deep inside a query
  as a 500 (without this, the store's own check still refuses it, but as `invalid-input` without the field);
- the other control characters but tab, line feed and carriage return (C0 such as ESC, BEL and backspace,
  DEL, and C1 such as U+009B, a one-character terminal escape): no text of this domain holds them, and they
  would travel on into terminals, CSV exports and BI tools;
- a number that is not finite: Python's JSON reader takes NaN, Infinity and 1e400 (as infinity), and an event
  would store them as null, a value nobody sent;
- a lone surrogate (`"\\ud800"` without its other half): JSON's escapes allow it, Python's reader keeps it, but
  it is no Unicode text, and the store refused it only when encoding the event, as an `invalid-input` naming the
  event type instead of the field (pydantic catches it only in fields with a length limit).
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
_CONTROL = "must not contain control characters (U+0001 to U+001F, U+007F to U+009F) but tab, line feed and CR"
_CONTROLS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = "must be Unicode text: a lone surrogate (U+D800 to U+DFFF, half of an escaped pair) is not"
_SURROGATES = re.compile("[\ud800-\udfff]")  # after parsing, a well-formed pair is one character: these are lone
_NOT_FINITE = "must be a finite number"
# JSON holds a C0 character only escaped (\u0000-\u001f, \b, \f); DEL and C1 also raw (0x7f; 0xc2 0x80-0x9f in UTF-8);
# a surrogate only escaped (UTF-8 cannot encode one), and a pair's halves look the same until parsed
_ESCAPED_CONTROL = re.compile(rb"\\u00[01]|\\u007[fF]|\\u00[89]|\\[bf]|\x7f|\xc2[\x80-\x9f]|\\u[dD][89a-fA-F]")
# NaN, Infinity, a large exponent, or 309 digits and more (a float beyond 1.8e308). A false hit of either, say
# inside a string, only costs a second parse.
_RISKY_NUMBER = re.compile(rb"NaN|Infinity|[0-9][eE]\+?[0-9]{3}|[0-9]{309}")


def _text(value: str) -> str | None:
    if "\x00" in value:
        return _NUL
    if _SURROGATES.search(value):
        return _SURROGATE
    return _CONTROL if _CONTROLS.search(value) else None


def _paths(value: Any, at: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        if problem := _text(value):
            yield at, problem
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield at, _NOT_FINITE
    elif isinstance(value, dict):
        for key, item in value.items():
            if problem := _text(key):
                yield (*at, key), problem
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*at, index))


async def refuse_unstorable(request: Request) -> None:
    """A dependency of every /v1 route: a 422 `validation` problem for each path, query or body field holding
    NUL, another control character or a lone surrogate, and each body number that is not finite."""
    found = [(("path", name), p) for name, value in request.path_params.items() if (p := _text(str(value)))]
    found += [(("query", name), p) for name, value in request.query_params.multi_items() if (p := _text(value))]
    body = await request.body()
    if _ESCAPED_CONTROL.search(body) or _RISKY_NUMBER.search(body):  # cheap first: only such a body is parsed again
        with contextlib.suppress(ValueError):  # not JSON: the body's own validation answers
            found += list(_paths(json.loads(body), ("body",)))
    if found:
        raise validation_problem([{"loc": loc, "msg": message, "type": "unstorable"} for loc, message in found])
