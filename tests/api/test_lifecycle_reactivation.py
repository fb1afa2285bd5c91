"""Reactivation is of clients who bought from us and stopped (DOMAIN.md section 1; seed 002: "реактивация «уснувших»
клиентов"): a lost account that was ever in serial supply may be reactivated; one lost as a prospect, or in its first
project, never bought, so it becomes a prospect again instead (a 422 `lifecycle-transition-not-allowed`)."""

from __future__ import annotations

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique


async def _move(client: httpx.AsyncClient, path: str, headers: dict[str, str], *stages: str) -> httpx.Response:
    response = None
    for stage in stages:
        response = await client.post(f"{path}/lifecycle", json={"to_stage": stage, "reason": stage}, headers=headers)
        assert response.status_code == 200, (stage, response.text)
    assert response is not None
    return response


async def test_a_lost_prospect_or_first_project_is_not_reactivated_and_nothing_is_written(
    client: httpx.AsyncClient, auth, store
) -> None:
    kam = auth(unique("kam"), Role.MANAGER, "north")
    for before_lost in ((), ("project",), ("project", "prospect", "project")):
        account = await open_account(client, kam)
        path = f"/v1/accounts/{account['account_id']}"
        await _move(client, path, kam, *before_lost, "lost")
        written = await store.read_stream(f"account-{account['account_id']}")
        refused = await client.post(f"{path}/lifecycle", json={"to_stage": "reactivated", "reason": "?"}, headers=kam)
        assert refused.status_code == 422, (before_lost, refused.text)
        problem = refused.json()
        assert (problem["type"], problem["allowed"]) == ("/problems/lifecycle-transition-not-allowed", ["prospect"])
        assert await store.read_stream(f"account-{account['account_id']}") == written
        assert (await _move(client, path, kam, "prospect")).json()["lifecycle"] == "prospect"


async def test_a_lost_client_who_had_bought_may_be_reactivated(client: httpx.AsyncClient, auth) -> None:
    kam = auth(unique("kam"), Role.MANAGER, "north")
    for history in (
        ("project", "serial_supply", "lost"),
        ("project", "serial_supply", "sleeping", "lost"),
        ("project", "serial_supply", "project", "lost"),  # a cross-sell project of a client
        ("project", "serial_supply", "lost", "prospect", "project", "lost"),  # came back, lost again
    ):
        account = await open_account(client, kam)
        path = f"/v1/accounts/{account['account_id']}"
        await _move(client, path, kam, *history)
        assert (await _move(client, path, kam, "reactivated")).json()["lifecycle"] == "reactivated", history
