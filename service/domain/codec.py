"""Domain messages (frozen dataclasses) to JSON-ready dicts and back, driven by their type hints.

Dates and datetimes become ISO strings, Decimals strings, enums their values, tuples and frozensets lists;
`from_dict` turns them back using the annotations, so events read from the log are real domain objects.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_dict(message: Any) -> dict[str, Any]:
    return {f.name: _out(getattr(message, f.name)) for f in dataclasses.fields(message)}


def _out(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, tuple | list | frozenset | set):
        items = [_out(v) for v in value]
        return sorted(items, key=str) if isinstance(value, frozenset | set) else items
    if isinstance(value, dict):
        return {str(k): _out(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: _in(hints[k], v) for k, v in data.items() if k in names})


def _in(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _in(inner[0], value) if len(inner) == 1 else value
    if origin is tuple:
        return tuple(_in(args[0], v) for v in value)
    if origin is frozenset:
        return frozenset(_in(args[0], v) for v in value)
    if origin is dict:
        return {_in(args[0], k): _in(args[1], v) for k, v in value.items()}
    if origin is typing.Literal:
        return value
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return hint(value)
        if hint is datetime:
            return datetime.fromisoformat(value)
        if hint is date:
            return date.fromisoformat(value)
        if hint is Decimal:
            return Decimal(value)
        if dataclasses.is_dataclass(hint):
            return from_dict(hint, value)
    return value
