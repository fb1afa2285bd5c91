"""Every view of an account's resources, asked for a moment before the account existed, answers the account's 404:
no view of it is made up for then."""

from __future__ import annotations

import httpx
import pytest

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique
from tests.api.test_buying_center import add

BEFORE = "2000-01-01T00:00:00Z"
VIEWS = [
    "",
    "/dossier",
    "/dossier/answers/headcount/history",
    "/buying-center",
    "/buying-center.svg",
    "/buying-center/members/{member}",
    "/purchases",
    "/plans",
]


@pytest.mark.parametrize("view", VIEWS)
async def test_a_view_as_of_a_moment_before_the_account_existed_is_the_accounts_404(
    client: httpx.AsyncClient, auth, view: str
) -> None:
    """The member's view and an answer's history said the member or the answer was not there (404s of their own),
    where the other views say the account was not."""
    kam = auth(unique("kam"), Role.MANAGER, "north")
    account = f"/v1/accounts/{(await open_account(client, kam))['account_id']}"
    member = (await add(client, account, kam))["member"]["member_id"]
    answer = {"question_code": "headcount", "value": 5000, "learned_on": "2026-11-01"}
    assert (await client.post(f"{account}/dossier/answers", json=answer, headers=kam)).status_code == 201
    path = account + view.format(member=member)
    assert (await client.get(path, headers=kam)).status_code == 200  # there now
    then = await client.get(path, params={"as_of": BEFORE}, headers=kam)
    assert (then.status_code, then.json()["type"]) == (404, "/problems/account-not-found")
