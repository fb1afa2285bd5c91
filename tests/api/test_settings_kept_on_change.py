"""Changing one company setting keeps the others: a rule left out of a PUT is refused, not reset to its default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.webhooks import ADMIN, hooked  # noqa: F401 (a fixture)


async def _settings(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> dict[str, Any]:
    response = await client.get("/v1/settings", headers=auth(**ADMIN))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("path", "whole", "partial", "missing"),
    [
        (
            "/v1/settings/coverage-rules",
            {"stale_contact_days": 60, "high_influence": 4},
            {"high_influence": 3},
            "body.stale_contact_days",
        ),
        (
            "/v1/settings/pipeline-rules",
            {"stalled_days": 45, "negotiation_window_days": 120},
            {"stalled_days": 20},
            "body.negotiation_window_days",
        ),
    ],
)
async def test_a_rule_left_out_of_a_put_is_refused_not_reset_to_its_default(
    hooked: httpx.AsyncClient,  # noqa: F811
    auth: Callable[..., dict[str, str]],
    path: str,
    whole: dict[str, int],
    partial: dict[str, int],
    missing: str,
) -> None:
    """Before, `{"high_influence": 3}` set the stale-contact days, set to 60 a moment ago, back to 90 with a 200."""
    assert (await hooked.put(path, json=whole, headers=auth(**ADMIN))).status_code == 200
    before = await _settings(hooked, auth)
    refused = await hooked.put(path, json=partial, headers=auth(**ADMIN))
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == "/problems/validation"
    assert [(e["field"], e["type"]) for e in problem["errors"]] == [(missing, "missing")], refused.text
    assert await _settings(hooked, auth) == before
