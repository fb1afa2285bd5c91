"""Changing one company setting keeps the others: a rule left out of a PUT is refused, not reset to its default,
and a role set keeps the role codes the rules read by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from service.domain.actors import Role
from tests.support.problems import assert_refused
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


@pytest.mark.parametrize("dropped", ["ally", "decision_maker", "signer", "opponent"])
async def test_a_role_set_without_a_role_the_rules_read_is_refused(
    hooked: httpx.AsyncClient,  # noqa: F811
    auth: Callable[..., dict[str, str]],
    dropped: str,
) -> None:
    """Exit criteria, leader confirmations and coverage risks read these codes: without `ally`, no member could be
    made an ally and every project's `ally_linked` criterion was unmeetable, with a 200 for the role set."""
    before = await _settings(hooked, auth)
    roles = [role for role in before["roles"] if role["code"] != dropped]
    refused = await hooked.put("/v1/settings/roles", json={"roles": roles}, headers=auth(**ADMIN))
    assert_refused(refused, "role-read-by-rules", "roles")
    assert refused.json()["missing"] == [dropped]
    assert await _settings(hooked, auth) == before


async def test_a_role_set_may_relabel_the_roles_the_rules_read_and_drop_others(
    hooked: httpx.AsyncClient,  # noqa: F811
    auth: Callable[..., dict[str, str]],
) -> None:
    kept = {"ally", "decision_maker", "signer", "opponent"}
    roles = [{**role, "label": role["label"].upper()} for role in (await _settings(hooked, auth))["roles"]]
    slimmer = [role for role in roles if role["code"] in kept]
    defined = await hooked.put("/v1/settings/roles", json={"roles": slimmer}, headers=auth(**ADMIN))
    assert defined.status_code == 200, defined.text
    assert [r["label"] for r in (await _settings(hooked, auth))["roles"]] == [r["label"] for r in slimmer]
    manager = await hooked.put("/v1/settings/roles", json={"roles": slimmer}, headers=auth("kam", Role.MANAGER))
    assert manager.status_code == 403


async def test_exit_criteria_leaving_a_stage_out_are_refused_not_taken_as_none_for_it(
    hooked: httpx.AsyncClient,  # noqa: F811
    auth: Callable[..., dict[str, str]],
) -> None:
    """Before, `{"exits": {"confirmation": [...]}}`, meant to change one stage, was a new version with no criteria for
    every other stage: each project opened after it passed Entry and Finding an ally unchecked. `[]` says none."""
    before = await _settings(hooked, auth)
    one = {"exits": {"confirmation": ["evidence_document"]}}
    refused = await hooked.put("/v1/settings/exit-criteria", json=one, headers=auth(**ADMIN))
    assert_refused(refused, "missing-value", "exits.entry")
    assert refused.json()["missing"] == ["entry", "finding_ally", "approval", "implementation"]
    assert await _settings(hooked, auth) == before
    exits = {**before["stage_criteria"][-1]["exits"], "implementation": []}
    defined = await hooked.put("/v1/settings/exit-criteria", json={"exits": exits}, headers=auth(**ADMIN))
    assert defined.status_code == 200, defined.text
    assert (await _settings(hooked, auth))["stage_criteria"][-1]["exits"] == exits
