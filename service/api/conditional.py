"""Conditional reads (If-None-Match, RFC 9110, 13.1.2) of the views whose ETag covers all they show."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import Depends, Header, Request, Response


def if_none_match(
    request: Request,
    if_none_match: Annotated[
        str | None,
        Header(
            description='The ETag of the copy you hold, "3.9f86d081884c7d65": the resource\'s version and a digest '
            "of all the view shows, the company's settings among it. Answered 304 with no body while it is the view's "
            "ETag now, compared whole (W/ ignored; a list takes any, * any). If-Match on a write reads only the "
            "version, the number before the dot: the resource's own changes, not the settings', refuse it."
        ),
    ] = None,
) -> str | None:
    # several If-None-Match lines are one list (RFC 9110, 5.3); the parameter above documents the header
    lines = request.headers.getlist("if-none-match")
    return ", ".join(lines) if if_none_match is not None else None


IfNoneMatch = Annotated[str | None, Depends(if_none_match)]

NOT_MODIFIED = {304: {"description": "Not Modified: If-None-Match names the ETag the view has now; no body."}}


def view_etag(version: int, body: bytes) -> str:
    """The ETag of a view that shows more than its resource's stream (the company's role set, the account's name, the
    day its risks are judged on): the resource's version, all If-Match reads of it (`parse_if_match`), then a digest
    of the body, which changes with anything the view shows. The version alone would stay the same over a settings
    change that retires a role, and a client revalidating by it would keep a view that does not say so."""
    return f'"{version}.{hashlib.sha256(body).hexdigest()[:16]}"'


def _names(condition: str, etag: str) -> bool:
    """Whether the If-None-Match list names `etag` by the weak comparison RFC 9110 asks of it, or is *."""
    if condition.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in condition.split(","))


def not_modified(response: Response, condition: str | None, version: int, body: bytes) -> Response | None:
    """Give `response` the view's ETag; a 304 to answer in its place when `condition` (If-None-Match) names it."""
    etag = view_etag(version, body)
    response.headers["ETag"] = etag
    if condition is not None and _names(condition, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return None
