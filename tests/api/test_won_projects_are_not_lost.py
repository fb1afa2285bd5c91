"""A project in serial supply is won: the sale is over (seed 004, "then serial supply"). Marking it lost was taken,
and it left the supervisor's pipeline, where its stage counted it, as if the deal had fallen through; a client
that stops buying is the account's lifecycle (sleeping, lost), not the sales project's."""

from __future__ import annotations

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import unique
from tests.support.opportunities import open_project, setup


async def test_a_project_in_serial_supply_cannot_be_marked_lost_and_stays_in_the_pipeline(
    client: httpx.AsyncClient, auth, store
) -> None:
    path, kam, team, _ = await setup(client, auth)
    boss = auth(unique("sup"), Role.SUPERVISOR, team)
    op = f"/v1/opportunities/{(await open_project(client, path, kam))['opportunity_id']}"
    for _ in range(5):
        moved = await client.post(f"{op}/stage", json={"override_reason": "signed and shipping"}, headers=boss)
        assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "serial_supply"
    before = await store.head_position()
    for who in (kam, boss):
        refused = await client.post(f"{op}/lost", json={"reason": "client stopped ordering"}, headers=who)
        assert (refused.status_code, refused.json()["type"]) == (409, "/problems/opportunity-won"), refused.text
    assert await store.head_position() == before
    assert (await client.get(op, headers=kam)).json()["status"] == "open"
    pipeline = await client.get("/v1/pipeline", params={"min_position": moved.json()["position"]}, headers=boss)
    [manager] = pipeline.json()["managers"]
    assert {s["stage"]: s["projects"] for s in manager["stages"]}["serial_supply"] == 1
