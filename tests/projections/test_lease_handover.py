"""A projection's fold cache across a lease hand-over: what another process applied meanwhile (a forget) wins."""

from __future__ import annotations

import asyncio

from service.config import Settings
from service.domain.actors import Role
from service.projections.buying_centers import BuyingCenters
from service.projections.runner import ProjectionRunner
from tests.conftest import IsolatedDb, caught_up
from tests.support.apps import client_without_projections


async def _applied_by(db: IsolatedDb, projection: BuyingCenters) -> None:
    """Let one runner (one "process") apply the projection until it has caught up, then stop it."""
    task = asyncio.create_task(ProjectionRunner(db.store, [projection], poll_seconds=0.05).run())
    try:
        await caught_up(db, ["buying_centers"])
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_process_taking_the_lease_back_does_not_restore_a_person_forgotten_meanwhile(
    isolated: IsolatedDb, settings: Settings, auth
) -> None:
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    async with client_without_projections(isolated.url, settings) as client:
        account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
        members = f"/v1/accounts/{account['account_id']}/buying-center/members"
        added = await client.post(members, json={"name": "Alice Secret"}, headers=kam)
        member_id = added.json()["member"]["member_id"]
        first = BuyingCenters(
            isolated.store.upcasters
        )  # process A, whose folder caches the member's state with her name
        await _applied_by(isolated, first)
        forgot = await client.post(f"/v1/people/{member_id}/forget", headers=admin)
        assert forgot.status_code == 200, forgot.text
        await _applied_by(
            isolated, BuyingCenters(isolated.store.upcasters)
        )  # process B applies the forget while A holds no lease
        assessed = await client.post(f"{members}/{member_id}/assessment", json={"influence": 5}, headers=kam)
        assert assessed.status_code == 200, assessed.text
        await _applied_by(isolated, first)  # A takes the lease back and folds the member again
    async with isolated.pool.acquire() as conn:
        rows = await conn.fetch("SELECT name, influence FROM read.buying_center_members")
    assert [(r["name"], r["influence"]) for r in rows] == [(None, 5)]
