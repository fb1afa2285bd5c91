"""A role dropped from the company's role set is retired, not taken away: who holds it keeps it and may still be
assessed with it re-sent, nobody new is given it (422 `role-retired`), the views name it, and putting it back in the
set makes it an ordinary role again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account
from tests.api.test_buying_center import add
from tests.support.problems import assert_refused
from tests.support.webhooks import ADMIN, get_json, hooked  # noqa: F401 (a fixture)


async def _define(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], roles: list[dict[str, Any]]) -> None:
    defined = await client.put("/v1/settings/roles", json={"roles": roles}, headers=auth(**ADMIN))
    assert defined.status_code == 200, defined.text


async def test_a_dropped_role_stays_with_who_holds_it_and_is_given_to_nobody_new(
    hooked: httpx.AsyncClient,  # noqa: F811
    auth: Callable[..., dict[str, str]],
    isolated: Any,
) -> None:
    """Before, a member holding a dropped role could take no assessment re-sending their roles (422 `unknown-role`):
    a frontend changing only the attitude could not update them without taking the role away."""
    kam = auth("kam", Role.MANAGER, "north")
    path = f"/v1/accounts/{(await open_account(hooked, kam))['account_id']}"
    expert = (await add(hooked, path, kam, roles=["expert", "user"]))["member"]["member_id"]
    other = (await add(hooked, path, kam, roles=["user"]))["member"]["member_id"]
    roles = (await get_json(hooked, "/v1/settings", auth))["roles"]
    await _define(hooked, auth, [r for r in roles if r["code"] != "expert"])

    settings = await get_json(hooked, "/v1/settings", auth)
    assert [r["code"] for r in settings["retired_roles"]] == ["expert"]
    assert settings["retired_roles"][0]["label"] == "Expert"  # as last defined, for a frontend to show
    view = await get_json(hooked, f"{path}/buying-center", auth)
    assert {n["member_id"]: n["retired_roles"] for n in view["nodes"]} == {expert: ["expert"], other: []}
    assert [r["code"] for r in view["retired_roles"]] == ["expert"]

    reassessed = await hooked.post(
        f"{path}/buying-center/members/{expert}/assessment",
        json={"roles": ["expert", "user"], "attitude": 1},
        headers=kam,
    )
    assert reassessed.status_code == 200, reassessed.text
    member = reassessed.json()["member"]
    assert (member["roles"], member["attitude"], member["retired_roles"]) == (["expert", "user"], 1, ["expert"])

    centre = f"buying-center-{path.rsplit('/', 1)[1]}"
    before = await isolated.store.read_stream(centre)
    given = await hooked.post(
        f"{path}/buying-center/members/{other}/assessment", json={"roles": ["expert", "user"]}, headers=kam
    )
    assert_refused(given, "role-retired", "roles")
    assert given.json()["retired"] == ["expert"]
    assert "retired" in given.json()["detail"]
    added = await hooked.post(f"{path}/buying-center/members", json={"name": "New", "roles": ["expert"]}, headers=kam)
    assert_refused(added, "role-retired", "roles")
    learned = await hooked.post(
        f"{path}/interactions",
        json={
            "kind": "meeting",
            "occurred_on": "2026-11-10",
            "participants": [other],
            "summary": "Trial results",
            "learned": {"assessments": [{"member_id": other, "roles": ["expert"]}]},
        },
        headers=kam,
    )
    assert_refused(learned, "role-retired", "roles")
    assert await isolated.store.read_stream(centre) == before

    await _define(hooked, auth, roles)
    assert (await get_json(hooked, "/v1/settings", auth))["retired_roles"] == []
    view = await get_json(hooked, f"{path}/buying-center", auth)
    assert (view["retired_roles"], {n["retired_roles"] == [] for n in view["nodes"]}) == ([], {True})
    given = await hooked.post(
        f"{path}/buying-center/members/{other}/assessment", json={"roles": ["expert", "user"]}, headers=kam
    )
    assert given.status_code == 200, given.text
    assert given.json()["member"]["roles"] == ["expert", "user"]


async def test_a_member_who_holds_a_retired_role_may_drop_it_and_not_take_it_back(
    hooked: httpx.AsyncClient,  # noqa: F811
    auth: Callable[..., dict[str, str]],
) -> None:
    kam = auth("kam", Role.MANAGER, "north")
    path = f"/v1/accounts/{(await open_account(hooked, kam))['account_id']}"
    member = (await add(hooked, path, kam, roles=["gatekeeper", "user"]))["member"]["member_id"]
    roles = (await get_json(hooked, "/v1/settings", auth))["roles"]
    await _define(hooked, auth, [r for r in roles if r["code"] != "gatekeeper"])
    assessment = f"{path}/buying-center/members/{member}/assessment"
    dropped = await hooked.post(assessment, json={"roles": ["user"]}, headers=kam)
    assert dropped.status_code == 200, dropped.text
    assert (dropped.json()["member"]["roles"], dropped.json()["member"]["retired_roles"]) == (["user"], [])
    assert (await get_json(hooked, f"{path}/buying-center", auth))["retired_roles"] == []  # nobody on it holds one
    # but the member's history still names it, and a frontend finds its label where the settings keep it for good
    history = (await get_json(hooked, f"{path}/buying-center/members/{member}", auth))["history"]
    assert history[-1]["changes"]["roles"] == [["gatekeeper", "user"], ["user"]]
    retired = (await get_json(hooked, "/v1/settings", auth))["retired_roles"]
    assert [(r["code"], r["label"]) for r in retired] == [("gatekeeper", "Gatekeeper")]
    given_back = await hooked.post(assessment, json={"roles": ["gatekeeper", "user"]}, headers=kam)
    assert_refused(given_back, "role-retired", "roles")  # once dropped, theirs no longer


async def test_the_views_of_a_moment_know_the_role_set_of_then(
    hooked: httpx.AsyncClient,  # noqa: F811
    auth: Callable[..., dict[str, str]],
) -> None:
    kam = auth("kam", Role.MANAGER, "north")
    path = f"/v1/accounts/{(await open_account(hooked, kam))['account_id']}"
    member = (await add(hooked, path, kam, roles=["expert"]))["member"]["member_id"]
    moment = datetime.now(UTC).isoformat()  # the member added, the role still in the set
    roles = (await get_json(hooked, "/v1/settings", auth))["roles"]
    await _define(hooked, auth, [r for r in roles if r["code"] != "expert"])
    then = await hooked.get("/v1/settings", params={"as_of": moment}, headers=auth(**ADMIN))
    assert then.json()["retired_roles"] == []
    seen = await hooked.get(f"{path}/buying-center/members/{member}", params={"as_of": moment}, headers=kam)
    assert seen.json()["retired_roles"] == []
    now = await hooked.get(f"{path}/buying-center/members/{member}", headers=kam)
    assert now.json()["retired_roles"] == ["expert"]
