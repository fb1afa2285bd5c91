"""Commands on resources addressed by their own id (sales projects, plans, interactions) and plan starts, racing a
hand-over of their account: the old owner's write is decided again on the account handed over, and refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import httpx
import pytest

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique
from tests.support.plans import GOAL, in_force, ok
from tests.support.races import hand_over_after_first_load

Headers = dict[str, str]


class People(NamedTuple):
    kam: Headers  # the owner, who loses the account in the race
    boss: Headers  # the team's supervisor


class Race(NamedTuple):
    """The old owner's request, the stream it must leave untouched, and the 404 it must meet."""

    stream: str
    method: str
    path: str
    body: dict[str, Any]
    problem: str


async def project(client: httpx.AsyncClient, account: str, who: People) -> Race:
    body = {"product_line": "Fuel filters", "kind": "new_client"}
    opened = await ok(await client.post(f"/v1/accounts/{account}/opportunities", json=body, headers=who.kam))
    oid = opened["opportunity_id"]
    lost = {"reason": "went cold"}
    return Race(f"opportunity-{oid}", "POST", f"/v1/opportunities/{oid}/lost", lost, "opportunity-not-found")


async def plan(client: httpx.AsyncClient, account: str, kam: Headers) -> str:
    body = {"title": "Valves 2026–2028", "horizon_from": 2026, "horizon_to": 2028}
    return (await ok(await client.post(f"/v1/accounts/{account}/plans", json=body, headers=kam)))["plan_id"]


async def plan_draft(client: httpx.AsyncClient, account: str, who: People) -> Race:
    pid = await plan(client, account, who.kam)
    return Race(f"plan-{pid}", "PUT", f"/v1/plans/{pid}/draft/goal/g1", GOAL, "plan-not-found")


async def successor(client: httpx.AsyncClient, account: str, who: People) -> str:
    """A successor not yet agreed, of a plan the team's supervisor agreed."""
    first = await plan(client, account, who.kam)
    await in_force(client, f"/v1/plans/{first}", who.kam, who.boss, {"goal/g1": GOAL})
    body = {"title": "Valves 2027–2029", "horizon_from": 2027, "horizon_to": 2029, "supersedes": first}
    return (await ok(await client.post(f"/v1/accounts/{account}/plans", json=body, headers=who.kam)))["plan_id"]


async def successor_draft(client: httpx.AsyncClient, account: str, who: People) -> Race:
    pid = await successor(client, account, who)
    return Race(f"plan-{pid}", "PUT", f"/v1/plans/{pid}/draft/goal/g2", {**GOAL, "period": "2028"}, "plan-not-found")


async def successor_abandoned(client: httpx.AsyncClient, account: str, who: People) -> Race:
    pid = await successor(client, account, who)
    return Race(f"plan-{pid}", "POST", f"/v1/plans/{pid}/abandon", {"reason": "not needed"}, "plan-not-found")


async def plan_start(client: httpx.AsyncClient, account: str, who: People) -> Race:
    body = {"title": "Valves 2026–2028", "horizon_from": 2026, "horizon_to": 2028}
    return Race(f"plans-{account}", "POST", f"/v1/accounts/{account}/plans", body, "account-not-found")


async def interaction(client: httpx.AsyncClient, account: str, kam: Headers) -> str:
    body = {"kind": "meeting", "occurred_on": "2026-11-02", "our_participants": ["kam"], "summary": "Met"}
    logged = await ok(await client.post(f"/v1/accounts/{account}/interactions", json=body, headers=kam))
    return logged["interaction_id"]


async def correction(client: httpx.AsyncClient, account: str, who: People) -> Race:
    iid = await interaction(client, account, who.kam)
    body = {"kind": "call", "occurred_on": "2026-11-02", "our_participants": ["kam"], "summary": "Called"}
    body["reason"] = "it was a call"
    return Race(f"interaction-{iid}", "POST", f"/v1/interactions/{iid}/corrections", body, "interaction-not-found")


async def retraction(client: httpx.AsyncClient, account: str, who: People) -> Race:
    iid = await interaction(client, account, who.kam)
    body = {"reason": "wrong account"}
    return Race(f"interaction-{iid}", "POST", f"/v1/interactions/{iid}/retract", body, "interaction-not-found")


Case = Callable[[httpx.AsyncClient, str, People], Awaitable[Race]]
CASES: dict[str, Case] = {
    "mark a project lost": project,
    "change a plan's draft": plan_draft,
    "change a successor's draft": successor_draft,
    "abandon a successor": successor_abandoned,
    "start a plan": plan_start,
    "correct an interaction": correction,
    "retract an interaction": retraction,
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_hand_over_committed_while_the_command_is_decided_makes_it_a_404_for_the_old_owner(
    client: httpx.AsyncClient, auth, store, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """Visibility (and a plan's parties) were judged on a look at the account before the handler ran; a hand-over
    committed between the handler's load and its append let the old owner write into an account no longer theirs."""
    team = unique("team")
    who = People(auth(unique("kam"), Role.MANAGER, team), auth(unique("sup"), Role.SUPERVISOR, team))
    account = (await open_account(client, who.kam, is_key=True, key_reason="wholesale buyer"))["account_id"]
    race = await CASES[case](client, account, who)
    before = await store.read_stream(race.stream)
    loads = hand_over_after_first_load(monkeypatch, client, account, who.kam)

    refused = await client.request(race.method, race.path, json=race.body, headers=who.kam)
    assert loads == [f"account-{account}"] * 2  # the handler's load, and its load after the conflict
    assert refused.status_code == 404, refused.text
    assert refused.json()["type"] == f"/problems/{race.problem}"
    assert await store.read_stream(race.stream) == before
