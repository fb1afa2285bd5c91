"""Roles learnt in an interaction are judged as the buying center's own endpoints judge them: by the same rule
(`AssessMember`, codes of the company's role set), so an unknown or oversized code is a 422 `unknown-role` and the
interaction, its contacts and what else it taught are not written; a known role lands on the member, citing it."""

from __future__ import annotations

from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique
from tests.api.test_buying_center import add


def _entry(member: str, roles: list[str]) -> dict[str, Any]:
    return {
        "kind": "meeting",
        "occurred_on": "2026-11-10",
        "participants": [member],
        "summary": "Trial results",
        "learned": {"assessments": [{"member_id": member, "roles": roles, "attitude": 1}]},
    }


async def test_an_unknown_or_huge_learned_role_is_refused_as_on_the_buying_center_and_writes_nothing(
    client: httpx.AsyncClient, auth, store
) -> None:
    kam = auth(unique("kam"), Role.MANAGER, "north")
    account = await open_account(client, kam)
    path = f"/v1/accounts/{account['account_id']}"
    member = (await add(client, path, kam, roles=["user"]))["member"]["member_id"]
    centre = f"buying-center-{account['account_id']}"
    before = await store.read_stream(centre)
    for roles in (["wizard"], ["user", "r" * 100_000], [" ally"]):
        learned = await client.post(f"{path}/interactions", json=_entry(member, roles), headers=kam)
        direct = await client.post(
            f"{path}/buying-center/members/{member}/assessment", json={"roles": roles}, headers=kam
        )
        for refused in (learned, direct):
            assert refused.status_code == 422, refused.text[:200]
            assert refused.json()["type"] == "/problems/unknown-role"
        assert learned.json()["unknown"] == direct.json()["unknown"] == sorted(set(roles) - {"user"})
    assert await store.read_stream(centre) == before
    assert (await client.get(f"{path}/timeline", headers=kam)).json()["items"] == []


async def test_a_known_learned_role_lands_on_the_member_citing_the_interaction(client: httpx.AsyncClient, auth) -> None:
    kam = auth(unique("kam"), Role.MANAGER, "north")
    account = await open_account(client, kam)
    path = f"/v1/accounts/{account['account_id']}"
    member = (await add(client, path, kam, roles=["user"]))["member"]["member_id"]
    logged = await client.post(f"{path}/interactions", json=_entry(member, ["user", "ally"]), headers=kam)
    assert logged.status_code == 201, logged.text
    seen = (await client.get(f"{path}/buying-center/members/{member}", headers=kam)).json()
    assert sorted(seen["roles"]) == ["ally", "user"]
    assert seen["history"][-1]["citation"]["ref"] == logged.json()["interaction_id"]
