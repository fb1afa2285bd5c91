"""An error logged with its traceback names no value a validation error was given: the value may be a person's
personal data, which a log kept past their forgetting would still hold."""

from __future__ import annotations

import logging
import sys

import asyncpg
import pydantic
import pytest
from fastapi.exceptions import ResponseValidationError

from service.api.routes.buying_center.resource import MemberOut
from service.logs import JsonFormatter, TextFormatter, error_line, handles_event_data
from service.projections.runner import ProjectionFailed

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


MARKER = "Пётр Marker-4711"


def _failed_on_event_data() -> BaseException:
    """What the runner logs: its own error, naming where, from a foreign one quoting an event's value."""
    try:
        try:
            raise asyncpg.InvalidTextRepresentationError(f'invalid input syntax for type uuid: "{MARKER}"')
        except asyncpg.InvalidTextRepresentationError as error:
            raise ProjectionFailed("buying_centers", 3, 17, 42) from error
    except ProjectionFailed as failed:
        return failed


def _logged(logger: logging.Logger, formatter: logging.Formatter, error: BaseException) -> str:
    """`error` logged through `logger` as `log.exception` does, formatted as configure_logging's handler would."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.setFormatter(formatter)
    handler.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("projection %s generation %d failed; will retry", "buying_centers", 3, exc_info=error)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return "\n".join(lines)


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()], ids=["json", "text"])
def test_a_logger_of_event_data_logs_where_and_what_failed_but_no_foreign_errors_text(formatter) -> None:
    line = _logged(handles_event_data(logging.getLogger("test.event_data")), formatter, _failed_on_event_data())
    assert MARKER not in line
    assert "InvalidTextRepresentationError" in line  # what failed
    assert "sqlstate=22P02" in line
    assert "_failed_on_event_data" in line  # where: the frames
    assert "buying_centers generation 3 failed on the events at positions 17 to 42" in line  # our own text stays
    assert "projection buying_centers generation 3 failed; will retry" in line
    assert "kamplan_event_data" not in line


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()], ids=["json", "text"])
def test_a_request_paths_logger_logs_a_foreign_errors_text_as_before(formatter) -> None:
    line = _logged(logging.getLogger("test.request_path"), formatter, _failed_on_event_data())
    assert "invalid input syntax for type uuid" in line
    assert MARKER in line
    assert "_failed_on_event_data" in line


def test_an_errors_one_line_follows_the_same_rule() -> None:
    """`kamplan rebuild` printed the cause of its failure as raised, on stderr, which outlives a forget as logs do."""
    failed = _failed_on_event_data()
    assert error_line(failed, event_data=True) == (
        "ProjectionFailed: buying_centers generation 3 failed on the events at positions 17 to 42"
    )
    assert error_line(failed.__cause__, event_data=True) == (
        "InvalidTextRepresentationError: its text withheld, as it may quote event data [sqlstate=22P02]"
    )
    assert MARKER in error_line(failed.__cause__)  # elsewhere, as raised
    assert NAME not in error_line(_pydantic_error())  # a validation error's values, nowhere


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    ],
    ids=["refused", "cancelled", "shutdown", "closed"],
)
def test_a_foreign_error_that_names_no_data_keeps_its_text_among_event_data(error: BaseException) -> None:
    """Withheld, the network's or the server's words left a reader of a failed command nothing to act on."""
    assert error_line(error, event_data=True) == f"{type(error).__name__}: {error}"
    line = _logged(handles_event_data(logging.getLogger("test.event_data")), TextFormatter(), error)
    assert str(error) in line
