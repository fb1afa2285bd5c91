"""Answer values checked against the question's answer type and put into one canonical JSON shape."""

from __future__ import annotations

from typing import Any

from service.domain.errors import (
    CURRENCY,
    DomainError,
    NotFound,
    amount,
    parse_day,
    parse_decimal,
    require_each_once,
)
from service.domain.settings.state import AnswerType, Question

TEXT_LIMIT = 5000  # a text answer, as stored (trimmed)
LIST_ITEM_LIMIT = 500  # each item of a list answer, as a buying-center member's criterion


def _invalid(question: Question, expected: str, field: str = "value") -> DomainError:
    return DomainError(
        "invalid-answer",
        f"question {question.code} takes {expected}",
        question=question.code,
        answer_type=question.answer_type.value,
        field=field,
    )


def normalise(question: Question, value: Any, members: frozenset[str]) -> Any:
    """The value as stored, or a DomainError naming what the question takes."""
    match question.answer_type:
        case AnswerType.TEXT:
            if not isinstance(value, str) or not value.strip() or len(value.strip()) > TEXT_LIMIT:
                raise _invalid(question, f"a non-empty text of at most {TEXT_LIMIT} characters")
            return value.strip()
        case AnswerType.NUMBER:
            if not isinstance(value, int | float) or (number := parse_decimal(value)) is None:
                raise _invalid(question, "a finite number")
            amount(number, "value", signed=True)
            return value
        case AnswerType.MONEY:
            if not isinstance(value, dict) or (money := parse_decimal(value.get("amount"))) is None:
                raise _invalid(question, '{"amount": "125000.00", "currency": "RUB"}')
            currency = value.get("currency")
            if not isinstance(currency, str) or not CURRENCY.fullmatch(currency):
                raise _invalid(question, "an amount and an ISO 4217 currency code")
            amount(money, "value.amount")
            if unknown := sorted(key for key in value if key not in ("amount", "currency")):  # a misspelt key
                raise _invalid(question, f"an amount and a currency, not {', '.join(unknown)}", f"value.{unknown[0]}")
            return {"amount": format(money, "f"), "currency": currency}  # 1.2e7 reads 12000000
        case AnswerType.DATE:
            if (day := parse_day(value)) is None:
                raise _invalid(question, "a date (YYYY-MM-DD) from 1900 to 2999")
            return day.isoformat()
        case AnswerType.CHOICE:
            if not isinstance(value, str) or value.strip() not in question.choices:
                raise _invalid(question, f"one of {', '.join(question.choices)}")
            return value.strip()
        case AnswerType.LIST:
            ok = isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value)
            if not ok or len(value) > 50 or any(len(v.strip()) > LIST_ITEM_LIMIT for v in value):
                raise _invalid(question, f"a list of 1 to 50 non-empty texts of at most {LIST_ITEM_LIMIT} characters")
            items = [v.strip() for v in value]  # as stored: what is checked against the choices
            if question.choices and (extra := [v for v in items if v not in question.choices]):
                raise _invalid(question, f"items from {', '.join(question.choices)} (not {', '.join(extra)})")
            # compared as stored, as choices are matched: "A" and " A" are one item, "a" another
            require_each_once(items, "duplicate-item", "value", "the item", question=question.code)
            return items
        case AnswerType.PERSON:
            if not isinstance(value, str):
                raise _invalid(question, "the id of a buying-center member")
            if value not in members:
                raise NotFound("member-not-in-buying-center", f"no member {value} in this buying center", member=value)
            return value
