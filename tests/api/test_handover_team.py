"""A hand-over to a manager of another team moves the account into that team (seed 002: clients pass "from one
employee of the commercial unit to another of the sales department or of another division"), so the new owner's
supervisor oversees it and the old team's no longer does; without `to_team` the account stays in its team."""

from __future__ import annotations

from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique


async def _portfolio_accounts(client: httpx.AsyncClient, headers: dict[str, str], position: int) -> dict[str, Any]:
    response = await client.get("/v1/portfolio", params={"min_position": position}, headers=headers)
    assert response.status_code == 200, response.text
    return {m["manager"]: {a["account_id"] for a in m["accounts"]} for m in response.json()["managers"]}


async def test_a_hand_over_to_another_team_moves_the_account_to_the_new_owners_supervisor(
    client: httpx.AsyncClient, auth
) -> None:
    hunters, farmers = unique("hunters"), unique("farmers")
    hunter, kam = unique("hunter"), unique("kam")
    account = await open_account(client, auth(hunter, Role.MANAGER, hunters), is_key=True, key_reason="won")
    path = f"/v1/accounts/{account['account_id']}"
    handed = await client.post(
        f"{path}/hand-over",
        json={"to_owner": kam, "to_team": f" {farmers} ", "trigger": "contract_signed"},
        headers=auth(hunter, Role.MANAGER, hunters),
    )
    assert handed.status_code == 200, handed.text
    assert (handed.json()["owner"], handed.json()["team"]) == (kam, farmers)
    new_boss, old_boss = auth(unique("sup"), Role.SUPERVISOR, farmers), auth(unique("sup"), Role.SUPERVISOR, hunters)
    assert (await client.get(path, headers=new_boss)).status_code == 200
    assert (await client.get(path, headers=old_boss)).status_code == 404
    assert (await client.get(path, headers=auth(kam, Role.MANAGER, farmers))).status_code == 200
    position = handed.json()["position"]
    assert await _portfolio_accounts(client, new_boss, position) == {kam: {account["account_id"]}}
    assert await _portfolio_accounts(client, old_boss, position) == {}
    # the new team's supervisor oversees it now: overrides, plan reviews and the account itself
    changed = await client.post(f"{path}/lifecycle", json={"to_stage": "project", "reason": "tender"}, headers=new_boss)
    assert changed.status_code == 200, changed.text


async def test_a_hand_over_without_a_team_keeps_the_accounts_team(client: httpx.AsyncClient, auth, store) -> None:
    team = unique("team")
    hunter = unique("hunter")
    account = await open_account(client, auth(hunter, Role.MANAGER, team))
    path = f"/v1/accounts/{account['account_id']}"
    for to_team in ({}, {"to_team": None}, {"to_team": team}):
        kam = unique("kam")
        owner = (await client.get(path, headers=auth("root", Role.ADMIN))).json()["owner"]
        handed = await client.post(
            f"{path}/hand-over",
            json={"to_owner": kam, "trigger": "contract_signed", **to_team},
            headers=auth(owner, Role.MANAGER, team),
        )
        assert handed.status_code == 200, handed.text
        assert (handed.json()["owner"], handed.json()["team"]) == (kam, team)
    types = [e.event_type for e in await store.read_stream(f"account-{account['account_id']}")]
    assert types == ["AccountOpened", "AccountHandedOver", "AccountHandedOver", "AccountHandedOver"]


async def test_a_blank_or_huge_team_to_hand_over_to_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, auth, store
) -> None:
    team = unique("team")
    kam = auth(unique("kam"), Role.MANAGER, team)
    account = await open_account(client, kam)
    path = f"/v1/accounts/{account['account_id']}"
    before = await store.read_stream(f"account-{account['account_id']}")
    blank = await client.post(
        f"{path}/hand-over", json={"to_owner": "bob", "to_team": " ", "trigger": "contract_signed"}, headers=kam
    )
    assert (blank.status_code, blank.json()["type"], blank.json()["field"]) == (
        422,
        "/problems/missing-value",
        "to_team",
    )
    huge = await client.post(
        f"{path}/hand-over", json={"to_owner": "bob", "to_team": "t" * 201, "trigger": "contract_signed"}, headers=kam
    )
    assert huge.status_code == 422
    assert [e["field"] for e in huge.json()["errors"]] == ["body.to_team"]
    assert await store.read_stream(f"account-{account['account_id']}") == before
