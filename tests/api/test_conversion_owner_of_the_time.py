"""The conversion report credits each stage a project entered to the manager who owned the account then, and to the
team it was in, not to the account's owner now: after a hunter handed a won client over, the hunter's conversion
lost the stages they had worked and the client manager was credited with them (found by review)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import httpx

from service.config import Settings
from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique
from tests.support.opportunities import open_project
from tests.support.rebuilds import rebuilt

Counts = dict[str, tuple[int, int, int]]


async def _conversion(
    client: httpx.AsyncClient, headers: dict[str, str], since: datetime, position: int, **filters: str
) -> Counts:
    """(entered, advanced, lost) per stage that anything entered."""
    params = {"since": since.isoformat(), "min_position": str(position), **filters}
    response = await client.get("/v1/pipeline/conversion", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {s["stage"]: (s["entered"], s["advanced"], s["lost"]) for s in response.json()["stages"] if s["entered"]}


async def test_stage_changes_stay_with_the_manager_and_team_of_their_time_after_a_hand_over(
    client: httpx.AsyncClient, auth, settings: Settings, database_url: str, pool: asyncpg.Pool
) -> None:
    hunters, farmers = unique("hunters"), unique("farmers")
    hunter, kam = unique("hunter"), unique("kam")
    as_hunter, as_kam = auth(hunter, Role.MANAGER, hunters), auth(kam, Role.MANAGER, farmers)
    since = datetime.now(UTC)
    path = f"/v1/accounts/{(await open_account(client, as_hunter))['account_id']}"
    opportunity_id = (await open_project(client, path, as_hunter))["opportunity_id"]
    project = f"/v1/opportunities/{opportunity_id}"
    for what, body in (("invitation", {"note": "tender"}), ("stage", {})):  # entry -> finding_ally, the hunter's
        answer = await client.post(f"{project}/{what}", json=body, headers=as_hunter)
        assert answer.status_code == 200, answer.text
    handed = await client.post(
        f"{path}/hand-over", json={"to_owner": kam, "to_team": farmers, "trigger": "contract_signed"}, headers=as_hunter
    )
    assert handed.status_code == 200, handed.text
    new_boss = auth(unique("sup"), Role.SUPERVISOR, farmers)
    forced = await client.post(f"{project}/stage", json={"override_reason": "board met at the fair"}, headers=new_boss)
    assert forced.status_code == 200, forced.text  # finding_ally -> confirmation, on the client manager's watch
    lost = await client.post(f"{project}/lost", json={"reason": "no budget"}, headers=as_kam)
    assert lost.status_code == 200, lost.text
    at = lost.json()["position"]

    hunters_part = {"entry": (1, 1, 0), "finding_ally": (1, 1, 0)}  # what entered a stage under them, and came of it
    kams_part = {"confirmation": (1, 0, 1)}
    old_boss, admin = auth(unique("sup"), Role.SUPERVISOR, hunters), auth("root", Role.ADMIN)

    async def reports() -> list[Counts]:
        return [
            await _conversion(client, as_hunter, since, at),  # no longer the owner: still their work
            await _conversion(client, as_kam, since, at),
            await _conversion(client, old_boss, since, at),
            await _conversion(client, new_boss, since, at),
            await _conversion(client, admin, since, at, manager=hunter),
            await _conversion(client, admin, since, at, team=farmers),
        ]

    expected = [hunters_part, kams_part, hunters_part, kams_part, hunters_part, kams_part]

    async def owners() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Who owned the account, and its team, at each stage change and at the loss, as BI reads them."""
        async with pool.acquire() as conn:
            changes = await conn.fetch(
                "SELECT owner, team FROM read.stage_changes WHERE opportunity_id = $1 ORDER BY seq", opportunity_id
            )
            losses = await conn.fetch(
                "SELECT owner, team FROM read.opportunity_losses WHERE opportunity_id = $1", opportunity_id
            )
        return [tuple(r) for r in changes], [tuple(r) for r in losses]

    stamped = ([(hunter, hunters), (hunter, hunters), (kam, farmers)], [(kam, farmers)])
    assert (await reports(), await owners()) == (expected, stamped)
    await rebuilt(settings, database_url, pool, "opportunities")  # as an upgrade does: from the log, in its order
    assert (await reports(), await owners()) == (expected, stamped)
    # the two parts make the project's whole history, each stage counted once
    assert {**hunters_part, **kams_part} == {
        "entry": (1, 1, 0),
        "finding_ally": (1, 1, 0),
        "confirmation": (1, 0, 1),
    }
