"""The map's coverage risks over HTTP as a KAM reads them: single-threaded means one person we talk to now, or
none (found by review)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.test_buying_center import add, setup

TODAY = datetime.now(UTC).date()


async def _risks(client: httpx.AsyncClient, path: str, kam: dict[str, str]) -> dict[str, dict[str, Any]]:
    view = (await client.get(f"{path}/buying-center", headers=kam)).json()
    return {r["code"]: r for r in view["risks"]}


async def test_when_the_only_contact_leaves_the_account_is_still_single_threaded(
    client: httpx.AsyncClient, auth
) -> None:
    path, kam = await setup(client, auth)
    assert (await _risks(client, path, kam))["single-threaded"]["members"] == []  # an empty map: nobody in touch
    only = (await add(client, path, kam, roles=["ally", "user"]))["member"]["member_id"]
    member = f"{path}/buying-center/members/{only}"
    await client.post(f"{member}/contacts", json={"on": TODAY.isoformat()}, headers=kam)
    assert (await _risks(client, path, kam))["single-threaded"]["members"] == [only]
    left = await client.post(f"{member}/left", json={"on": TODAY.isoformat(), "reason": "quit"}, headers=kam)
    assert left.status_code == 200, left.text
    risks = await _risks(client, path, kam)
    assert "single-threaded" in risks, f"nobody at the client is in contact with us, yet: {sorted(risks)}"
    assert risks["single-threaded"]["members"] == []


async def test_a_contact_gone_cold_is_no_second_thread(client: httpx.AsyncClient, auth) -> None:
    """Seed 000 / DOMAIN.md: single-threaded is one contact, whose leaving loses the account. A second person last
    spoken to more than a year ago is no thread: the account hangs on the one person we talk to."""
    path, kam = await setup(client, auth)
    cold = (await add(client, path, kam))["member"]["member_id"]
    warm = (await add(client, path, kam))["member"]["member_id"]
    long_ago = (TODAY - timedelta(days=400)).isoformat()
    await client.post(f"{path}/buying-center/members/{cold}/contacts", json={"on": long_ago}, headers=kam)
    await client.post(f"{path}/buying-center/members/{warm}/contacts", json={"on": TODAY.isoformat()}, headers=kam)
    risks = await _risks(client, path, kam)
    assert risks["stale-contact"]["members"] == [cold]
    assert risks["single-threaded"]["members"] == [warm]
    await client.post(f"{path}/buying-center/members/{cold}/contacts", json={"on": TODAY.isoformat()}, headers=kam)
    assert "single-threaded" not in await _risks(client, path, kam)  # spoken to again: two threads
