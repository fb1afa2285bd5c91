"""A lost account in the supervisor's portfolio: nobody works it, so none of its signals puts it in `at_risk`, and a
won-back one is there again. Found by review: coverage risks were already left out for it, but a stale dossier answer
or a falling negotiation share still listed it, with nothing anyone could do."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique
from tests.api.test_buying_center import add
from tests.support.opportunities import TODAY, log


async def _signal(client: httpx.AsyncClient, boss: dict[str, str], account_id: str, position: int) -> dict[str, Any]:
    """The account's signals in the portfolio, with `at_risk`: whether its manager's list names it."""
    answer = await client.get("/v1/portfolio", params={"min_position": position}, headers=boss)
    assert answer.status_code == 200, answer.text
    [manager] = [m for m in answer.json()["managers"] if account_id in [a["account_id"] for a in m["accounts"]]]
    [signal] = [a for a in manager["accounts"] if a["account_id"] == account_id]
    return {**signal, "at_risk": account_id in manager["at_risk"]}


async def _move(client: httpx.AsyncClient, path: str, kam: dict[str, str], stage: str) -> int:
    moved = await client.post(f"{path}/lifecycle", json={"to_stage": stage, "reason": stage}, headers=kam)
    assert moved.status_code == 200, moved.text
    return moved.json()["position"]


async def test_a_lost_account_is_not_at_risk_for_a_stale_dossier(client: httpx.AsyncClient, auth) -> None:
    team = unique("team")
    kam, boss = auth(unique("kam"), Role.MANAGER, team), auth(unique("sup"), Role.SUPERVISOR, team)
    account = await open_account(client, kam)  # a prospect nobody is mapped for: no coverage risk, only the dossier
    path, account_id = f"/v1/accounts/{account['account_id']}", account["account_id"]
    old = {"question_code": "main_competitor", "value": "FilterCo", "learned_on": "2025-01-10"}
    answered = await client.post(f"{path}/dossier/answers", json=old, headers=kam)
    assert answered.status_code == 201, answered.text
    worked = await _signal(client, boss, account_id, answered.json()["position"])
    assert (worked["risks"], worked["stale_answers"], worked["at_risk"]) == ([], 1, True)

    lost = await _signal(client, boss, account_id, await _move(client, path, kam, "lost"))
    assert (lost["stale_answers"], lost["at_risk"]) == (1, False)  # shown as the dossier shows it, nothing to do
    back = await _signal(client, boss, account_id, await _move(client, path, kam, "prospect"))
    assert back["at_risk"] is True  # won back: worked again


async def test_a_lost_account_is_not_at_risk_for_falling_negotiations(client: httpx.AsyncClient, auth) -> None:
    team = unique("team")
    kam, boss = auth(unique("kam"), Role.MANAGER, team), auth(unique("sup"), Role.SUPERVISOR, team)
    account = await open_account(client, kam)
    path, account_id = f"/v1/accounts/{account['account_id']}", account["account_id"]
    member = (await add(client, path, kam))["member"]["member_id"]
    contacts = [
        (150, "negotiation"),
        (140, "negotiation"),
        (100, "meeting"),
        (60, "meeting"),
        (40, "call"),
        (5, "meeting"),
    ]
    for days_ago, kind in contacts:  # three in each window: two thirds negotiations, then none
        day = (TODAY - timedelta(days=days_ago)).isoformat()
        logged = await log(client, path, kam, participants=[member], occurred_on=day, kind=kind)
        assert logged.status_code == 201, logged.text
    lost = await _signal(client, boss, account_id, await _move(client, path, kam, "lost"))
    assert (lost["risks"], lost["negotiations_falling"], lost["at_risk"]) == ([], True, False)
    back = await _signal(client, boss, account_id, await _move(client, path, kam, "prospect"))
    assert (back["negotiations_falling"], back["at_risk"]) == (True, True)
