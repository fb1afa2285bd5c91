"""Structured JSON logs; every line carries the request id of the request that caused it."""

from __future__ import annotations

import contextvars
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
import pydantic
from fastapi.exceptions import ValidationException

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_EVENT_DATA = "kamplan_event_data"  # set on the records of a logger marked by `handles_event_data`
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime", "taskName", _EVENT_DATA
}  # fmt: skip
_WITHHELD = "its text withheld, as it may quote event data"
# foreign errors whose text says what went wrong around the data, never a value of it (the network, a login, a
# privilege refused on an object it names, a database that does not exist, a statement cancelled or the server shutting
# down, a disk or memory run out): kept, as without it a reader of such an error has nothing to act on
_NAMES_NO_DATA: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.InsufficientPrivilegeError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
)


def handles_event_data(logger: logging.Logger) -> logging.Logger:
    """Mark `logger` as logging the errors of work on stored events (applying a projection, saving snapshots,
    delivering webhooks): the text of a foreign exception there may quote an event's data, an asyncpg error up to
    40 characters of an argument, a unique violation its key, a KeyError the key, so `format_error` leaves it out of
    this logger's records. Our own errors (of `service`) keep theirs: we write them, with ids and positions only; so do
    the few foreign ones that name no data (the network's, a cancelled statement's: `_NAMES_NO_DATA`)."""
    logger.addFilter(_mark_event_data)
    return logger


def _mark_event_data(record: logging.LogRecord) -> bool:
    setattr(record, _EVENT_DATA, True)
    return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["error"] = format_error(record.exc_info[1], event_data=getattr(record, _EVENT_DATA, False))
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """`--log-format text`: one line per record, and the traceback as `format_error` writes it."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info:  # set here, as formatException is not given the record
            record.exc_text = format_error(record.exc_info[1], event_data=getattr(record, _EVENT_DATA, False))
        return super().format(record)


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def format_error(error: BaseException | None, event_data: bool = False) -> str:
    """The traceback of `error` and of its causes, as Python prints it, but for a validation error, whose values
    are left out: pydantic's names the value it refused, and FastAPI's for an answer that does not fit its response
    model (a bug, a 500) carries the whole answer, a member with name, contacts and notes say. With `event_data` (see
    `handles_event_data`), the text of every error not of `service` is left out too, but for those naming no data.
    Logs outlive a person's forgetting; where it failed (the frames) and what failed (the error's class) is what a
    reader needs."""
    parts: list[str] = []
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        parts.append(_one_error(error, event_data))
        if error.__cause__ is not None:
            parts.append(_CAUSE)
            error = error.__cause__
        elif error.__context__ is not None and not error.__suppress_context__:
            parts.append(_CONTEXT)
            error = error.__context__
        else:
            break
    return "".join(reversed(parts)).rstrip()


def error_line(error: BaseException, event_data: bool = False) -> str:
    """`error` in one line, its class and its text, by `format_error`'s rule: for a line printed where a log line
    could be (`kamplan rebuild` names the cause of its failure on stderr), which may outlive a forget as well."""
    lines = _withheld(error, type(error).__name__, event_data)
    return f"{type(error).__name__}: {error}" if lines is None else lines[0]


def _withheld(error: BaseException, name: str, event_data: bool) -> list[str] | None:
    """The lines that say what `error` is in place of its text, or None to show it as raised."""
    if isinstance(error, pydantic.ValidationError | ValidationException):
        if isinstance(error, pydantic.ValidationError):
            errors = error.errors(include_url=False, include_context=False, include_input=False)
            of = f" for {error.title}"
        else:
            errors, of = list(error.errors()), ""
        lines = [f"{name}: {len(errors)} validation error(s){of}, their values withheld"]
        return lines + [
            f"  {'.'.join(map(str, e.get('loc', ())))}: {e.get('msg', '')} [type={e.get('type', '')}]" for e in errors
        ]
    if event_data and type(error).__module__.partition(".")[0] != "service" and not isinstance(error, _NAMES_NO_DATA):
        return [f"{name}: {_WITHHELD}{_postgres(error)}"]
    return None


def _one_error(error: BaseException, event_data: bool) -> str:
    kind = type(error)
    name = (
        kind.__qualname__ if kind.__module__ in ("builtins", "__main__") else f"{kind.__module__}.{kind.__qualname__}"
    )
    if (lines := _withheld(error, name, event_data)) is None:
        return "".join(traceback.format_exception(error, chain=False))
    tb = traceback.format_tb(error.__traceback__) if error.__traceback__ is not None else []
    head = ["Traceback (most recent call last):\n"] if tb else []
    return "".join([*head, *tb, "\n".join(lines), "\n"])


def _postgres(error: BaseException) -> str:
    """What the server says of a database error besides its text: its code and the names of what it concerns."""
    if not isinstance(error, asyncpg.PostgresError):
        return ""
    names = ("sqlstate", "schema_name", "table_name", "column_name", "constraint_name")
    said = [f"{n}={value}" for n in names if (value := getattr(error, n, None))]
    return f" [{', '.join(said)}]" if said else ""


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Route the root logger (and uvicorn's, and warnings) to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # the service writes its own access line with the request id; uvicorn's would duplicate it
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # alembic logs a line per built-in plugin when it is imported: seven lines of noise before every command's own
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # warnings.warn (platformdirs' when pgserver is imported, a library's deprecations) would print raw lines to
    # stderr between the JSON ones; as records of the "py.warnings" logger they are formatted like the rest
    logging.captureWarnings(True)
