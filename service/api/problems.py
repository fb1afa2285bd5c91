"""RFC 9457 problem responses: every error of the API, one shape, a stable `type` per rule."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from service.api.bodies import UNKNOWN_FIELD
from service.api.long_integers import too_long_integers
from service.domain.errors import DomainError
from service.events.errors import (
    ConcurrencyError,
    IdempotencyConflict,
    InvalidAppend,
    SubjectForgotten,
    WrongExpectedVersion,
)
from service.logs import request_id_var

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raise anywhere in the API to answer with a problem document."""

    def __init__(
        self,
        status: int,
        type_: str,
        title: str,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.type, self.title, self.detail = status, type_, title, detail
        self.headers = dict(headers or {})
        self.extensions = extensions


def problem_response(request: Request | None, problem: Problem) -> Response:
    body: dict[str, Any] = {"type": problem.type, "title": problem.title, "status": problem.status}
    if problem.detail:
        body["detail"] = problem.detail
    if request is not None:
        body["instance"] = request.url.path
    if request_id := request_id_var.get():
        body["request_id"] = request_id
    body.update(problem.extensions)
    content = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_as_text)
    return Response(content, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


def _as_text(value: Any) -> str:
    """A date or an amount a rule put into its refusal, as the API writes them (ISO 8601, exact decimals)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON")


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def validation_problem(errors: list[dict[str, Any]]) -> Problem:
    fields = [{"field": _field(e["loc"]), "message": _message(e), "type": e["type"]} for e in errors]
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return Problem(422, "/problems/validation", "Invalid input", detail, errors=fields)


def _message(error: dict[str, Any]) -> str:
    """Pydantic's message; our own validators' without the "Value error, " pydantic puts before them, and ours for a
    field the body does not have (pydantic's "Extra inputs are not permitted" does not say it is the name at fault)."""
    if error["type"] == "extra_forbidden" and error["loc"][:1] != ("query",):  # a query's names its own (query_guard)
        return UNKNOWN_FIELD
    message = str(error["msg"])
    return message.removeprefix("Value error, ") if error["type"] == "value_error" else message


_STATUS_TYPES = {
    400: ("/problems/bad-request", "Bad request"),
    404: ("/problems/not-found", "Not found"),
    405: ("/problems/method-not-allowed", "Method not allowed"),
    413: ("/problems/body-too-large", "Request body too large"),
}


# Errors that mean the database cannot be reached now (down, restarting, out of connections, the network): a 503 to
# retry, not a 500. OSError covers refused connections, a missing socket and connect timeouts.
UNREACHABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


def from_exception(error: Exception) -> Problem | None:
    """The problem an exception stands for, or None for an unexpected error."""
    match error:
        case Problem():
            return error
        case RequestValidationError():
            return validation_problem(list(error.errors()))
        case StarletteHTTPException():
            type_, title = _STATUS_TYPES.get(error.status_code, ("/problems/http", "HTTP error"))
            return Problem(error.status_code, type_, title, str(error.detail), headers=error.headers)
        case WrongExpectedVersion():
            return Problem(
                409,
                "/problems/version-conflict",
                "Version conflict",
                f"{error}; reload the resource and try again",
                stream_id=error.stream_id,
                expected_version=error.expected,
                actual_version=error.actual,
            )
        case IdempotencyConflict():
            return Problem(409, "/problems/idempotency-conflict", "Idempotency conflict", str(error))
        case ConcurrencyError():
            return Problem(409, "/problems/concurrency-conflict", "Concurrent change", str(error))
        case SubjectForgotten():
            return Problem(
                409, "/problems/subject-forgotten", "Subject forgotten", str(error), subject_id=error.subject_id
            )
        case DomainError():
            return Problem(
                error.status,
                f"/problems/{error.code}",
                error.code.replace("-", " ").capitalize(),
                error.message,
                **error.details,
            )
        case InvalidAppend():
            return Problem(422, "/problems/invalid-input", "Invalid input", str(error))
    if isinstance(error, UNREACHABLE):
        return Problem(
            503,
            "/problems/database-unavailable",
            "Database unavailable",
            "kamplan cannot reach its database now: retry shortly (with the same Idempotency-Key, a write that landed "
            "before the connection broke is not made twice)",
            headers={"Retry-After": "5"},
        )
    return None


_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """The methods some route takes on the request's path (RFC 9110: a 405's Allow header), found by asking
    the routes, since included routers keep theirs out of sight."""
    routes = request.app.router.routes
    return ", ".join(
        m for m in _METHODS if any(r.matches({**request.scope, "method": m})[0] is Match.FULL for r in routes)
    )


INTERNAL = Problem(500, "/problems/internal", "Internal error", "the error was logged with this request id")


async def _unparsed_body(request: Request, error: Exception, problem: Problem) -> Problem:
    """FastAPI's 400 for a body its JSON reader refused with a ValueError that is no JSON error: an integer too long
    for Python to read (long_integers.py) is a 422 naming each field that holds one. Any other cause stays a 400."""
    if problem.status != 400 or not isinstance(error.__cause__, ValueError):
        return problem
    try:
        body = await request.body()  # kept by the request FastAPI read it with
    except RuntimeError:  # read and gone: nothing to name
        return problem
    errors = too_long_integers(body)
    return validation_problem(errors) if errors else problem


def install(app: FastAPI) -> None:
    async def handle(request: Request, error: Exception) -> Response:
        problem = from_exception(error)
        if problem is None:
            log.exception("unhandled error", exc_info=error)
            problem = INTERNAL
        elif problem.status == 503 and isinstance(error, UNREACHABLE):
            log.warning("database unreachable: %s", type(error).__name__)
        elif isinstance(error, StarletteHTTPException):
            problem = await _unparsed_body(request, error, problem)
        if problem.status == 405:  # Starlette names only the first matching route's methods
            problem.headers["Allow"] = allowed_methods(request)
        return problem_response(request, problem)

    for kind in (
        Problem,
        RequestValidationError,
        StarletteHTTPException,
        ConcurrencyError,
        SubjectForgotten,
        InvalidAppend,
        DomainError,
        *UNREACHABLE,
    ):
        app.add_exception_handler(kind, handle)
