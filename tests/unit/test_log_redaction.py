"""An error logged with its traceback names no value a validation error was given: the value may be a person's
personal data, which a log kept past their forgetting would still hold."""

from __future__ import annotations

import logging
import sys

import pydantic
import pytest
from fastapi.exceptions import ResponseValidationError

from service.api.routes.buying_center.resource import MemberOut
from service.logs import JsonFormatter, TextFormatter

NAME = "Иван Петрович Сидоров"


def _record(error: BaseException) -> logging.LogRecord:
    try:
        raise RuntimeError("the view failed") from error
    except RuntimeError:
        return logging.LogRecord("kamplan", logging.ERROR, __file__, 1, "unhandled error", None, sys.exc_info())


def _pydantic_error() -> pydantic.ValidationError:
    try:
        MemberOut.model_validate({"member_id": "m-1", "name": NAME, "influence": f"{NAME}, 5"})
    except pydantic.ValidationError as error:
        return error
    raise AssertionError("no validation error")


def _response_error() -> ResponseValidationError:
    """What FastAPI raises for an answer that does not fit its response model: every error carries the whole input."""
    member = {"member_id": "m-1", "name": NAME, "contacts": "+7 900 000 00 00", "influence": "high"}
    return ResponseValidationError(
        [{"type": "int_parsing", "loc": ("response", "influence"), "msg": "Input should be a valid integer",
          "input": member}]
    )  # fmt: skip


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()], ids=["json", "text"])
@pytest.mark.parametrize("make", [_pydantic_error, _response_error], ids=["pydantic", "response"])
def test_a_logged_validation_error_names_where_and_what_but_not_the_value(formatter, make) -> None:
    line = formatter.format(_record(make()))
    assert NAME not in line
    assert "+7 900" not in line
    assert "influence" in line  # where it failed, and why, still say what to fix
    assert "the view failed" in line  # and the rest of the traceback is as it was
