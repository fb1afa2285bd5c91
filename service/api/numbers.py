"""`Amount`: the type of every money amount, target and measured value the API takes.

A JSON number, or the same text in a string to keep every digit (`"12500000"`, `"-0.5"`, `"1.2e7"`).
Pydantic's Decimal also reads `"1_000"`, `" 3\\n"` and Arabic-Indic digits, and stores them as a number the
caller never wrote; the one rule is `domain.errors.parse_decimal`, which the dossier's answers use too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from service.domain.errors import JSON_NUMBER, parse_decimal

PATTERN = f"^{JSON_NUMBER.pattern}$"


def read_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if (number := parse_decimal(value)) is None:
        raise ValueError('must be a number, or a JSON number in a string ("1250.50")')
    return number


Amount = Annotated[
    Decimal,
    BeforeValidator(read_decimal),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": PATTERN}]}),
]
