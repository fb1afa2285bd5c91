"""Domain errors: each names the rule broken; the API turns it into a problem of the same name.

DomainError                 422  a rule of the business refuses the command (code names the rule)
 ├── NotFound               404  the thing the command is about does not exist
 ├── Conflict               409  the command contradicts the current state (already done, already exists)
 └── NotAllowed             403  this actor may not do this to this thing (visibility, ownership)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any


class DomainError(Exception):
    status = 422

    def __init__(self, code: str, message: str, /, **details: Any) -> None:
        super().__init__(message)
        self.code = code  # e.g. "unknown-role": becomes the problem type /problems/unknown-role
        self.message = message
        self.details = details


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class NotAllowed(DomainError):
    status = 403


def require(condition: bool, code: str, message: str, /, **details: Any) -> None:
    """Raise DomainError(code) unless `condition` holds: the decide functions' one-line rule."""
    if not condition:
        raise DomainError(code, message, **details)


def require_not_before(day: date, bound: date | None, code: str, message: str, /, *, name: str, **details: Any) -> None:
    """Raise DomainError(code) if `day` is before `bound` (None: no bound), which the details name as `name`."""
    require(bound is None or day >= bound, code, message, **details, **{name: bound.isoformat() if bound else None})


def require_not_future(day: date, today: date, field: str = "on") -> None:
    """A 422 date-in-future naming `field` if `day` is after `today` (the latest day begun anywhere)."""
    require(day <= today, "date-in-future", f"{field} is in the future", field=field)


JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")  # RFC 8259, section 6


def parse_decimal(value: Any) -> Decimal | None:
    """A number as JSON gives it: an int, a finite float, or a JSON number written as a string to keep every
    digit (`"-1250.50"`, `"1.2e7"`); None for anything else, and for an exponent no Decimal holds
    (`"1e-99999999999999999999"`). `Decimal` alone also reads `"1_000"`, `" 3 "`, Arabic-Indic digits and
    `"NaN"`, so the number stored was not the text sent. Zero loses its sign."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        number = Decimal(str(value)) if math.isfinite(value) else None
    elif isinstance(value, str) and JSON_NUMBER.fullmatch(value):
        try:
            number = Decimal(value)
        except InvalidOperation:  # an exponent past what Decimal holds ("1e99999999999999999999"), not a ValueError
            return None
    else:
        return None
    return number.copy_abs() if number == 0 else number


MAX_AMOUNT = Decimal(10) ** 15  # money, volumes and shares: far above any plan, far below what breaks arithmetic
MAX_DECIMALS = 6


def amount(value: Decimal, field: str, *, signed: bool = False) -> Decimal:
    """A number as stored: finite, below 10^15 in size, at most 6 decimals, not negative unless `signed`.
    Unbounded, `1e7000000` overflows every sum and ratio a view computes after the write."""
    low = -MAX_AMOUNT if signed else Decimal(0)
    require(
        value.is_finite() and low <= value < MAX_AMOUNT and -value.as_tuple().exponent <= MAX_DECIMALS,  # type: ignore[operator]
        "out-of-range",
        f"{field} must be a number {'above -10^15' if signed else 'of 0 or more'} and below 10^15, "
        f"with at most {MAX_DECIMALS} decimals",
        field=field,
    )
    return value


CURRENCY = re.compile(r"[A-Z]{3}")  # an ISO 4217 code; use fullmatch (`$` also matches before a final newline)

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(value: Any) -> date | None:
    """An ISO 8601 calendar date, YYYY-MM-DD, from 1900 to 2999; None for anything else. `date.fromisoformat`
    alone also takes 20261124 and 2026-W48-2, and year 1, whose day after overflows."""
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def clean_text(value: str, field: str, *, required: bool, limit: int) -> str:
    """A free-text field as stored: trimmed, present when required, within its length."""
    value = value.strip()
    require(bool(value) or not required, "missing-value", f"{field} must not be empty", field=field)
    require(len(value) <= limit, "value-too-long", f"{field} is longer than {limit} characters", field=field)
    return value


def require_each_once(
    keys: Sequence[Hashable | None], code: str, field: str, what: str, shown: Callable[[Any], str] = str, **details: Any
) -> None:
    """Raise DomainError(code) naming `<field>.<index>`, the first entry that repeats an earlier one, with every
    entry listed more than once in `duplicates` (as `shown`): a list of facts holds each once, where a repeat is
    stored, shown and counted twice. Compare as stored (trimmed); a None key, a blank entry dropped, repeats none."""
    seen: set[Hashable] = set()
    for index, key in enumerate(keys):
        if key is None:
            continue
        if key in seen:
            twice = sorted({shown(k) for k in keys if k is not None and keys.count(k) > 1})
            message = f"{field} lists {what} {', '.join(twice)} more than once"
            raise DomainError(code, message, field=f"{field}.{index}", duplicates=twice, **details)
        seen.add(key)


def decision_criteria(values: Sequence[str], field: str, *, most: int, limit: int = 500) -> tuple[str, ...]:
    """Decision criteria as stored, a buying-center member's or a project problem's alike: at most `most`, each
    trimmed and at most `limit` long, blank ones dropped, each once (compared as stored: "price" and "Price" are
    two)."""
    require(len(values) <= most, "too-many-items", f"{field} has more than {most} items", field=field)
    texts = [clean_text(v, field, required=False, limit=limit) for v in values]
    require_each_once([t or None for t in texts], "duplicate-criterion", field, "the criterion")
    return tuple(t for t in texts if t)
