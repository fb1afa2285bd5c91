"""Domain messages (frozen dataclasses) to JSON-ready dicts and back, driven by their type hints.

Dates and datetimes become ISO strings, Decimals strings, enums their values, tuples and frozensets lists;
`from_dict` turns them back using the annotations, so events read from the log are real domain objects.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
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
        return format(value, "f")  # 1.2e7 as "12000000", not "1.2E+7"; every amount stored is below 10^15
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, tuple | list | frozenset | set):
        items = [_out(v) for v in value]
        return sorted(items, key=str) if isinstance(value, frozenset | set) else items
    if isinstance(value, dict):
        return {str(k): _out(v) for k, v in value.items()}
    return value


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    return _reader(cls)(data)


Convert = Callable[[Any], Any]


@cache
def _reader(cls: type[T]) -> Callable[[dict[str, Any]], T]:
    """A decoder for one class, its fields' conversions worked out once from the hints: decoding runs for
    every event of every fold, so it must not inspect types each time."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: _converter(hints[f.name]) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]

    def read(data: dict[str, Any]) -> T:
        values = {}
        for name, value in data.items():
            if name in fields:
                convert = fields[name]
                values[name] = value if convert is None or value is None else convert(value)
        return cls(**values)

    return read


@cache
def _converter(hint: Any) -> Convert | None:
    """How to turn a JSON value into `hint`'s type; None when the JSON value already is one."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _converter(inner[0]) if len(inner) == 1 else None
    if origin is tuple or origin is frozenset:
        return _collection(origin, _converter(args[0]))
    if origin is dict:
        key, item = _nullable(_converter(args[0])), _nullable(_converter(args[1]))
        return lambda value: {key(k): item(v) for k, v in value.items()}
    if origin is typing.Literal or not isinstance(hint, type):
        return None
    if issubclass(hint, enum.Enum) or hint is Decimal:
        return hint
    if hint is datetime:
        return datetime.fromisoformat
    if hint is date:
        return date.fromisoformat
    if dataclasses.is_dataclass(hint):
        return _reader(hint)
    return None


def _collection(kind: type, item: Convert | None) -> Convert:
    if item is None:
        return kind
    return lambda value: kind(None if v is None else item(v) for v in value)


def _nullable(convert: Convert | None) -> Convert:
    if convert is None:
        return lambda value: value
    return lambda value: None if value is None else convert(value)
