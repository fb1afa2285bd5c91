"""U+0000 is refused where it enters, naming the field: PostgreSQL cannot store it in text or jsonb, and an
id holding it would fail deep inside a query as a 500. Without this, the store's own check still refuses
it, but as `invalid-input` without the field."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from fastapi import Request

from service.api.problems import validation_problem

_MESSAGE = "must not contain the NUL character (U+0000)"


def _paths(value: Any, at: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        if "\x00" in value:
            yield at
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield (*at, key)
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*at, index))


async def refuse_nul(request: Request) -> None:
    """A dependency of every /v1 route: a 422 `validation` problem for each path, query or body field with NUL."""
    found = [("path", name) for name, value in request.path_params.items() if "\x00" in str(value)]
    found += [("query", name) for name, value in request.query_params.multi_items() if "\x00" in value]
    body = await request.body()
    if b"\\u0000" in body:  # cheap first: only a body that may hold one is parsed again
        with contextlib.suppress(ValueError):  # not JSON: the body's own validation answers
            found += list(_paths(json.loads(body), ("body",)))
    if found:
        raise validation_problem([{"loc": loc, "msg": _MESSAGE, "type": "string_nul"} for loc in found])
