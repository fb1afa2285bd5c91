"""Which accounts coverage risks are computed for: every account being worked, but not a lost one, which nobody
works (its map is history), nor a prospect nobody is mapped for yet, which has no coverage to be at risk. Found by
review: both showed risks, and filled the supervisor's portfolio `at_risk` with accounts there was nothing to do for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique
from tests.api.test_buying_center import add


async def _codes(client: httpx.AsyncClient, path: str, kam: dict[str, str], **params: str) -> list[str]:
    view = await client.get(f"{path}/buying-center", params=params, headers=kam)
    assert view.status_code == 200, view.text
    return sorted({r["code"] for r in view.json()["risks"]})


async def _portfolio(
    client: httpx.AsyncClient, boss: dict[str, str], account_id: str, position: int
) -> tuple[list[str], bool]:
    """The account's risks in the supervisor's portfolio, and whether it is in `at_risk`."""
    answer = await client.get("/v1/portfolio", params={"min_position": position}, headers=boss)
    assert answer.status_code == 200, answer.text
    [manager] = answer.json()["managers"]
    [signal] = [a for a in manager["accounts"] if a["account_id"] == account_id]
    return signal["risks"], account_id in manager["at_risk"]


async def _move(client: httpx.AsyncClient, path: str, kam: dict[str, str], stage: str) -> dict[str, Any]:
    moved = await client.post(f"{path}/lifecycle", json={"to_stage": stage, "reason": stage}, headers=kam)
    assert moved.status_code == 200, moved.text
    return moved.json()


async def test_coverage_risks_are_for_accounts_being_worked(client: httpx.AsyncClient, auth) -> None:
    team = unique("team")
    kam, boss = auth(unique("kam"), Role.MANAGER, team), auth(unique("sup"), Role.SUPERVISOR, team)
    account = await open_account(client, kam)
    path, account_id = f"/v1/accounts/{account['account_id']}", account["account_id"]
    empty = ["role-missing", "single-threaded"]  # nobody in touch, no role held

    assert await _codes(client, path, kam) == []  # a prospect nobody is mapped for yet
    assert await _portfolio(client, boss, account_id, account["position"]) == ([], False)
    in_project = await _move(client, path, kam, "project")  # worked: an empty map is a risk
    assert await _codes(client, path, kam) == empty
    assert await _portfolio(client, boss, account_id, in_project["position"]) == (empty, True)

    mapped = await open_account(client, kam)  # a prospect with someone on its map shows its risks
    await add(client, f"/v1/accounts/{mapped['account_id']}", kam, roles=["decision_maker"])
    assert "no-decision-maker-contact" in await _codes(client, f"/v1/accounts/{mapped['account_id']}", kam)

    await add(client, path, kam, roles=["decision_maker"], influence=5, attitude=-2)
    worked = datetime.now(UTC).isoformat()
    lost = await _move(client, path, kam, "lost")
    assert await _codes(client, path, kam) == []
    assert await _portfolio(client, boss, account_id, lost["position"]) == ([], False)
    before = await _codes(client, path, kam, as_of=worked)  # as it stood while it was worked
    assert {"high-influence-opponent", "no-decision-maker-contact", "single-threaded"} <= set(before)

    again = await _move(client, path, kam, "prospect")  # won back, with its map: its risks are back
    assert await _codes(client, path, kam) == before
    assert await _portfolio(client, boss, account_id, again["position"]) == (before, True)
