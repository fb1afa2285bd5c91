"""What the long-range plan tests share: a plan started on a key account, an answer that must succeed, a revision
put in force, and the subject the events record as `by`."""

from __future__ import annotations

from typing import Any

import httpx
import jwt

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique

GOAL = {"period": "2027", "kind": "volume", "description": "Purchases from us", "target": "30000000", "unit": "RUB"}
ACTION = {
    "period": "2027",
    "what": "Regional stock",
    "owner": "kam",
    "due": "2027-03-31",
    "cost": "450000",
    "currency": "RUB",
}


async def setup(client: httpx.AsyncClient, auth) -> tuple[dict[str, str], dict[str, str], str, str]:
    team = unique("team")
    kam = auth(unique("kam"), Role.MANAGER, team)
    boss = auth(unique("sup"), Role.SUPERVISOR, team)
    account = await open_account(client, kam, is_key=True, key_reason="wholesale buyer")
    started = await client.post(
        f"/v1/accounts/{account['account_id']}/plans",
        json={"title": "Valves 2026–2028", "horizon_from": 2026, "horizon_to": 2028},
        headers=kam,
    )
    assert started.status_code == 201, started.text
    return kam, boss, f"/v1/plans/{started.json()['plan_id']}", team


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def in_force(
    client: httpx.AsyncClient, plan: str, kam: dict[str, str], boss: dict[str, str], items: dict[str, Any]
) -> dict[str, Any]:
    """Draft `items` ({"goal/g1": body}), propose them and have the supervisor agree: revision 1 in force."""
    for path, body in items.items():
        await ok(await client.put(f"{plan}/draft/{path}", json=body, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    return await ok(await client.post(f"{plan}/revisions/1/agree", json={}, headers=boss))


def boss_sub(headers: dict[str, str], auth) -> str:
    """The subject of a bearer token: what the events record as `by`."""
    return jwt.decode(headers["Authorization"].split()[1], options={"verify_signature": False})["sub"]
