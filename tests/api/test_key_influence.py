"""A client is key for its manager only where the manager can influence what it buys (seed 001): the classification
and the key mark cannot say otherwise at once."""

from __future__ import annotations

import httpx

from service.domain.actors import Role
from service.events import EventStore
from tests.api.test_accounts import open_account, unique


def classification(can_influence: bool) -> dict[str, object]:
    return {"criteria": ["large"], "can_influence": can_influence, "influence_reason": "fixed assortment matrix"}


async def test_an_account_its_manager_cannot_influence_is_not_marked_key_nor_a_key_one_classified_so(
    client: httpx.AsyncClient, auth, store: EventStore
) -> None:
    """Both were taken: a large retail chain with a fixed assortment matrix became a key account of a manager who, by
    their own classification, could not influence what it buys."""
    kam = auth(unique("kam"), Role.MANAGER, "north")
    account = f"/v1/accounts/{(await open_account(client, kam))['account_id']}"
    assert (await client.post(f"{account}/classification", json=classification(False), headers=kam)).status_code == 200
    before = await store.head_position()
    refused = await client.post(f"{account}/key", json={"is_key": True, "reason": "big"}, headers=kam)
    assert (refused.status_code, refused.json()["type"]) == (409, "/problems/key-account-needs-influence")
    assert await store.head_position() == before

    assert (await client.post(f"{account}/classification", json=classification(True), headers=kam)).status_code == 200
    marked = await client.post(f"{account}/key", json={"is_key": True, "reason": "they co-design"}, headers=kam)
    assert marked.status_code == 200, marked.text
    before = await store.head_position()
    refused = await client.post(f"{account}/classification", json=classification(False), headers=kam)
    assert (refused.status_code, refused.json()["type"]) == (409, "/problems/key-account-needs-influence")
    assert await store.head_position() == before
    assert (await client.get(account, headers=kam)).json()["is_key"] is True

    unmarked = await client.post(f"{account}/key", json={"is_key": False, "reason": "matrix fixed now"}, headers=kam)
    assert unmarked.status_code == 200, unmarked.text
    assert (await client.post(f"{account}/classification", json=classification(False), headers=kam)).status_code == 200
