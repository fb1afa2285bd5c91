"""The buying center's views over HTTP as a client caching them sees them: their ETag changes with all they show,
the company's role set among it, If-None-Match answers 304 while nothing shown changed, and If-Match on a write
stays about the buying center's own version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account
from tests.api.test_buying_center import add
from tests.support.problems import assert_refused
from tests.support.webhooks import ADMIN, get_json, hooked  # noqa: F401 (a fixture)


async def test_a_role_retired_since_changes_the_etag_of_the_views_that_name_it(
    hooked: httpx.AsyncClient,  # noqa: F811
    auth: Callable[..., dict[str, str]],
) -> None:
    """Before, the map's and a member's ETag was the buying center's version alone, and If-None-Match was not
    answered: a client revalidating its copy by the ETag kept a map that did not say the role was retired."""
    kam = auth("kam", Role.MANAGER, "north")
    path = f"/v1/accounts/{(await open_account(hooked, kam))['account_id']}"
    member = (await add(hooked, path, kam, roles=["expert", "user"]))["member"]["member_id"]
    views = [f"{path}/buying-center", f"{path}/buying-center.svg", f"{path}/buying-center/members/{member}"]
    first = {view: await hooked.get(view, headers=kam) for view in views}
    tags = {view: answer.headers["ETag"] for view, answer in first.items()}
    for view, tag in tags.items():
        again = await hooked.get(view, headers={**kam, "If-None-Match": tag})
        assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", tag), view
        weak = await hooked.get(view, headers={**kam, "If-None-Match": f'"0", W/{tag}'})  # as a proxy weakened it
        assert weak.status_code == 304, view

    roles = (await get_json(hooked, "/v1/settings", auth))["roles"]
    dropped = await hooked.put(
        "/v1/settings/roles", json={"roles": [r for r in roles if r["code"] != "expert"]}, headers=auth(**ADMIN)
    )
    assert dropped.status_code == 200, dropped.text
    changed = {view: await hooked.get(view, headers={**kam, "If-None-Match": tags[view]}) for view in views}
    assert {view: answer.status_code for view, answer in changed.items()} == dict.fromkeys(views, 200)
    assert all(changed[view].headers["ETag"] != tags[view] for view in views)
    mapped, picture, seen = (changed[view] for view in views)
    assert mapped.json()["nodes"][0]["retired_roles"] == ["expert"]
    assert "(retired)" in picture.text
    assert seen.json()["retired_roles"] == ["expert"]
    assert mapped.json()["version"] == first[views[0]].json()["version"]  # the buying center did not change

    # If-Match is about the buying center: the ETag read before the settings changed still holds for a write
    assessment = f"{path}/buying-center/members/{member}/assessment"
    assessed = await hooked.post(assessment, json={"attitude": 1}, headers={**kam, "If-Match": tags[views[0]]})
    assert assessed.status_code == 200, assessed.text
    assert assessed.json()["member"]["retired_roles"] == ["expert"]
    stale = await hooked.post(assessment, json={"attitude": 2}, headers={**kam, "If-Match": tags[views[2]]})
    assert_refused(stale, "precondition-failed", None, 412)  # but not once the buying center changed since
    now = await hooked.get(views[0], headers={**kam, "If-None-Match": mapped.headers["ETag"]})
    assert (now.status_code, now.json()["nodes"][0]["attitude"]) == (200, 1)


async def test_a_view_of_a_moment_is_answered_304_by_its_own_etag(
    hooked: httpx.AsyncClient,  # noqa: F811
    auth: Callable[..., dict[str, str]],
) -> None:
    kam = auth("kam", Role.MANAGER, "north")
    path = f"/v1/accounts/{(await open_account(hooked, kam))['account_id']}"
    await add(hooked, path, kam, roles=["user"])
    then: dict[str, Any] = {"as_of": "2100-01-01T00:00:00Z"}  # judged on today, as a moment still to come is
    tag = (await hooked.get(f"{path}/buying-center", params=then, headers=kam)).headers["ETag"]
    assert tag != (await hooked.get(f"{path}/buying-center", headers=kam)).headers["ETag"]  # its body says as_of
    again = await hooked.get(f"{path}/buying-center", params=then, headers={**kam, "If-None-Match": tag})
    assert again.status_code == 304
    other = await hooked.get(f"{path}/buying-center", headers={**kam, "If-None-Match": tag})
    assert other.status_code == 200
