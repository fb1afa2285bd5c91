"""Refusals as the API answers them: an RFC 9457 problem of one rule, naming the field at fault."""

from __future__ import annotations

import httpx


def assert_refused(response: httpx.Response, problem: str, field: str | None, status: int = 422) -> None:
    """The response is the problem `/problems/{problem}` with `status`, and names `field` (None: names none)."""
    body = response.json()
    assert (response.status_code, body["type"], body.get("field")) == (status, f"/problems/{problem}", field), (
        response.text
    )
