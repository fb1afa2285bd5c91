"""What the sales-project and interaction tests share: an account with its manager, a project opened on it, a
prospect made a client, and an interaction logged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique

TODAY = datetime.now(UTC).date()


async def setup(client: httpx.AsyncClient, auth) -> tuple[str, dict[str, str], str, dict[str, str]]:
    team = unique("team")
    kam = auth(unique("kam"), Role.MANAGER, team)
    account = await open_account(client, kam)
    return f"/v1/accounts/{account['account_id']}", kam, team, account


async def open_project(
    client: httpx.AsyncClient, path: str, kam: dict[str, str], kind: str = "new_client"
) -> dict[str, Any]:
    response = await client.post(
        f"{path}/opportunities",
        json={"product_line": "Fuel filters", "kind": kind, "expected_value": {"amount": "1000000", "currency": "RUB"}},
        headers=kam,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def a_client(client: httpx.AsyncClient, path: str, kam: dict[str, str]) -> None:
    """Move a prospect on to serial supply, through its first project: cross-selling needs a client."""
    for stage, reason in (("project", "first project"), ("serial_supply", "repeat orders")):
        moved = await client.post(f"{path}/lifecycle", json={"to_stage": stage, "reason": reason}, headers=kam)
        assert moved.status_code == 200, moved.text


async def log(client: httpx.AsyncClient, path: str, kam: dict[str, str], **fields: Any) -> httpx.Response:
    body = {
        "kind": "meeting",
        "occurred_on": TODAY.isoformat(),
        "our_participants": ["kam"],
        "summary": "Talked",
        **fields,
    }
    return await client.post(f"{path}/interactions", json=body, headers=kam)
