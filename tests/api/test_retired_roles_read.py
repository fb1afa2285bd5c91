"""BI's buying centers name retired roles as the map does: `read.buying_center_members.retired_roles`, those of a
member's roles the company's role set has dropped since, changed by the role set for every buying center holding
one, and a rebuild from the log gives the rows live processing gave."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account
from tests.api.test_buying_center import add
from tests.conftest import caught_up
from tests.support.rebuilds import rebuilt
from tests.support.webhooks import ADMIN, get_json, hooked  # noqa: F401 (a fixture)

ROWS = "SELECT * FROM read.buying_center_members ORDER BY account_id, member_id"


async def _rows(isolated: Any) -> dict[str, list[str]]:
    """Each member's retired roles, once the projection has caught up with the log."""
    await caught_up(isolated, ["buying_centers"])
    async with isolated.pool.acquire() as conn:
        return {r["member_id"]: r["retired_roles"] for r in await conn.fetch(ROWS)}


async def test_bi_reads_which_roles_members_hold_are_retired_and_a_rebuild_reads_the_same(
    hooked: httpx.AsyncClient,  # noqa: F811
    auth: Callable[..., dict[str, str]],
    isolated: Any,
    settings: Any,
) -> None:
    """Before, `read.buying_center_members` had `roles` alone: an analyst counting the members of a role could not
    tell one the company had dropped, which the map marks as retired."""
    kam = auth("kam", Role.MANAGER, "north")
    first = f"/v1/accounts/{(await open_account(hooked, kam))['account_id']}"
    second = f"/v1/accounts/{(await open_account(hooked, kam))['account_id']}"
    expert = (await add(hooked, first, kam, roles=["user", "expert"]))["member"]["member_id"]
    user = (await add(hooked, first, kam, roles=["user"]))["member"]["member_id"]
    elsewhere = (await add(hooked, second, kam, roles=["expert"]))["member"]["member_id"]
    roles = (await get_json(hooked, "/v1/settings", auth))["roles"]
    without = [r for r in roles if r["code"] != "expert"]

    async def define(chosen: list[dict[str, Any]]) -> None:
        defined = await hooked.put("/v1/settings/roles", json={"roles": chosen}, headers=auth(**ADMIN))
        assert defined.status_code == 200, defined.text

    assert await _rows(isolated) == {expert: [], user: [], elsewhere: []}
    await define(without)  # no event of either buying center: the role set changes their rows
    assert await _rows(isolated) == {expert: ["expert"], user: [], elsewhere: ["expert"]}
    await define(roles)
    assert await _rows(isolated) == {expert: [], user: [], elsewhere: []}
    await define(without)
    dropped = await hooked.post(
        f"{first}/buying-center/members/{expert}/assessment", json={"roles": ["user"]}, headers=kam
    )
    assert dropped.status_code == 200, dropped.text
    assert await _rows(isolated) == {expert: [], user: [], elsewhere: ["expert"]}
    view = await get_json(hooked, f"{second}/buying-center", auth)
    assert [n["retired_roles"] for n in view["nodes"]] == [["expert"]]  # as the map has it

    async with isolated.pool.acquire() as conn:
        live = [tuple(r) for r in await conn.fetch(ROWS)]
    await rebuilt(settings, isolated.url, isolated.pool, "buying_centers")
    async with isolated.pool.acquire() as conn:
        assert [tuple(r) for r in await conn.fetch(ROWS)] == live
