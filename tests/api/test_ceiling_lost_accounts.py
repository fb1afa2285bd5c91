"""The key-account ceiling is the number of key clients a manager can really work (seed 001: "невозможность ...
проделать этот объем работы"); a lost client is not worked, so it takes no place under it: not in the portfolio's
count, not in the warning when an account is made key, opened as key or handed over. Won back (a prospect again, or
reactivated), it takes its place again, and the change warns when that puts its manager over the ceiling."""

from __future__ import annotations

from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique


async def _seen(client: httpx.AsyncClient, headers: dict[str, str], written: dict[str, Any]) -> dict[str, Any]:
    """The warning's count comes from read.accounts: let it see the write first."""
    await client.get("/v1/accounts", params={"min_position": written["position"]}, headers=headers)
    return written


async def _lifecycle(client: httpx.AsyncClient, kam: dict[str, str], account_id: str, stage: str) -> dict[str, Any]:
    moved = await client.post(
        f"/v1/accounts/{account_id}/lifecycle", json={"to_stage": stage, "reason": stage}, headers=kam
    )
    assert moved.status_code == 200, moved.text
    return await _seen(client, kam, moved.json())


def _warned(written: dict[str, Any]) -> list[tuple[str, int]]:
    return [(w["code"], w["details"]["key_accounts"]) for w in written["warnings"]]


async def test_a_lost_key_account_takes_no_place_under_the_ceiling(client: httpx.AsyncClient, auth) -> None:
    """Found by review: a manager's lost key accounts counted toward the ceiling, so a manager who had lost one
    was warned, and shown `over_ceiling` to the supervisor, for accounts nobody works any more."""
    admin = auth("root", Role.ADMIN)
    team, name = unique("team"), unique("kam")
    kam, boss = auth(name, Role.MANAGER, team), auth(unique("sup"), Role.SUPERVISOR, team)
    settings = (await client.get("/v1/settings", headers=admin)).json()
    assert (await client.put("/v1/settings/key-account-ceiling", json={"ceiling": 1}, headers=admin)).is_success
    try:
        lost = await _seen(client, kam, await open_account(client, kam, is_key=True, key_reason="big"))
        await _lifecycle(client, kam, lost["account_id"], "lost")
        worked = await _seen(client, kam, await open_account(client, kam, is_key=True, key_reason="big"))
        assert _warned(worked) == []  # the lost one holds no place: one key account worked, at the ceiling

        other = auth(unique("hunter"), Role.MANAGER, team)
        theirs = await _seen(client, other, await open_account(client, other, is_key=True, key_reason="won"))
        await _lifecycle(client, other, theirs["account_id"], "lost")
        handed = await client.post(
            f"/v1/accounts/{theirs['account_id']}/hand-over",
            json={"to_owner": name, "trigger": "contract_signed"},
            headers=other,
        )
        assert handed.status_code == 200, handed.text
        assert _warned(await _seen(client, kam, handed.json())) == []
        unmarked = await _seen(client, kam, await open_account(client, kam))
        await _lifecycle(client, kam, unmarked["account_id"], "lost")
        marked = await client.post(
            f"/v1/accounts/{unmarked['account_id']}/key", json={"is_key": True, "reason": "strategic"}, headers=kam
        )
        assert marked.status_code == 200, marked.text
        assert _warned(await _seen(client, kam, marked.json())) == []

        portfolio = await client.get("/v1/portfolio", params={"min_position": marked.json()["position"]}, headers=boss)
        mine = next(m for m in portfolio.json()["managers"] if m["manager"] == name)
        assert (mine["key_accounts"], mine["over_ceiling"], mine["accounts_by_lifecycle"]) == (
            1,
            False,
            {"lost": 3, "prospect": 1},
        )

        again = await _lifecycle(client, kam, lost["account_id"], "prospect")  # won back: worked again
        assert _warned(again) == [("key-account-ceiling-exceeded", 2)]
        portfolio = await client.get("/v1/portfolio", params={"min_position": again["position"]}, headers=boss)
        mine = next(m for m in portfolio.json()["managers"] if m["manager"] == name)
        assert (mine["key_accounts"], mine["over_ceiling"]) == (2, True)
    finally:
        await client.put(
            "/v1/settings/key-account-ceiling", json={"ceiling": settings["key_account_ceiling"]}, headers=admin
        )
