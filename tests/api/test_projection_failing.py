"""A projection that cannot apply an event: /readyz, /metrics and the reads that wait for it say so, on a database
of its own (the poisoned event would stall the shared one's accounts for every later test)."""

from __future__ import annotations

import uuid

import httpx

from service.config import Settings
from service.domain.actors import Role
from service.events import NO_STREAM, NewEvent
from service.main import create_app
from tests.conftest import IsolatedDb
from tests.support.webhooks import eventually


def _accounts(ready: dict) -> dict:
    return next(p for p in ready["checks"]["projections"] if p["name"] == "accounts")


async def test_a_projection_stalled_on_an_event_is_reported_not_called_ready(
    settings: Settings, isolated: IsolatedDb, auth
) -> None:
    """It was logged by the process holding the lease, and nowhere else: /readyz said ready, and a read waiting for
    the projection answered `projection-lagging`, retry in a second, for as long as the event stayed unapplied."""
    app = create_app(settings.model_copy(update={"projections": "inprocess"}), isolated.url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kamplan.test") as client:
            kam = auth("kam-poisoned", Role.MANAGER, "north")
            opened = await client.post("/v1/accounts", json={"name": "Truck Plant"}, headers=kam)
            assert opened.status_code == 201, opened.text
            listed = await client.get("/v1/accounts", params={"min_position": opened.json()["position"]}, headers=kam)
            assert listed.status_code == 200, listed.text
            assert (await client.get("/readyz")).json()["status"] == "ready"

            # what an older release with a bug might have written: an AccountOpened the fold cannot read
            await isolated.store.append(
                f"account-{uuid.uuid4()}", "account", NO_STREAM, [NewEvent(event_type="AccountOpened", data={})]
            )
            poison = await isolated.store.head_position()

            async def ready() -> httpx.Response:
                return await client.get("/readyz")

            # opportunities reads account events too (who owned the account), and stalls on the same event: wait for
            # accounts' own report, not for the first projection to be reported
            degraded = await eventually(ready, lambda r: "failing" in _accounts(r.json()))
            assert degraded.json()["status"] == "degraded"
            assert degraded.status_code == 200  # writes and other reads go on: no reason to take the process out
            failing = _accounts(degraded.json())["failing"]
            assert (failing["first_position"], failing["last_position"], failing["attempts"]) == (poison, poison, 1)
            assert failing["error"] == "TypeError"
            metrics = (await client.get("/metrics")).text
            assert 'kamplan_projection_failing{projection="accounts",status="live"} 1.0' in metrics
            assert 'kamplan_projection_failing{projection="audit_log",status="live"} 0.0' in metrics

            more = await client.post("/v1/accounts", json={"name": "Second Plant"}, headers=kam)
            assert more.status_code == 201, more.text
            waited = await client.get("/v1/accounts", params={"min_position": more.json()["position"]}, headers=kam)
            assert (waited.status_code, waited.json()["type"]) == (503, "/problems/projection-failing")
            assert waited.headers["Retry-After"] == "30"
            assert waited.json()["failing"]["accounts"]["first_position"] == poison
            assert f"on the events at positions {poison} to {poison} (TypeError)" in waited.json()["detail"]
            audit = await client.get(
                "/v1/audit", params={"min_position": more.json()["position"]}, headers=auth("root", Role.ADMIN)
            )
            assert audit.status_code == 200, audit.text  # the other projections went past it
