"""Read-your-writes on the audit log, its filters and pages, and projection lag in /readyz and /metrics."""

from __future__ import annotations

import time
import uuid

import httpx

from service.domain.actors import Role


async def _forget(client: httpx.AsyncClient, auth, actor: str = "root") -> tuple[str, int]:
    subject = f"p-{uuid.uuid4()}"
    response = await client.post(f"/v1/subjects/{subject}/forget", headers=auth(actor, Role.ADMIN))
    assert response.status_code == 200
    return subject, int(response.headers["x-position"])


async def test_a_read_given_the_commands_position_sees_its_effect(client: httpx.AsyncClient, auth) -> None:
    for _ in range(5):
        subject, position = await _forget(client, auth)
        page = await client.get(
            "/v1/audit",
            params={"stream_id": f"subject-{subject}", "min_position": position},
            headers=auth("root", Role.ADMIN),
        )
        assert page.status_code == 200
        assert [e["position"] for e in page.json()["items"]] == [position]
        by_header = await client.get(
            "/v1/audit",
            params={"stream_id": f"subject-{subject}"},
            headers={**auth("root", Role.ADMIN), "X-Min-Position": str(position)},
        )
        assert [e["event_type"] for e in by_header.json()["items"]] == ["SubjectForgotten"]


async def test_a_position_that_never_comes_times_out_as_a_503_problem(client: httpx.AsyncClient, auth, store) -> None:
    far = await store.head_position() + 1_000_000
    started = time.monotonic()
    response = await client.get("/v1/audit", params={"min_position": far}, headers=auth("root", Role.ADMIN))
    assert 0.9 <= time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/projection-lagging"
    assert problem["min_position"] == far
    assert "audit_log" in problem["behind"]


async def test_the_audit_log_filters_and_pages(client: httpx.AsyncClient, auth) -> None:
    actor = f"auditor-{uuid.uuid4().hex[:6]}"
    positions = [(await _forget(client, auth, actor))[1] for _ in range(5)]
    headers = auth("root", Role.ADMIN)
    seen, cursor = [], None
    while True:
        params = {"actor": actor, "limit": 2, "min_position": positions[-1], **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/audit", params=params, headers=headers)).json()
        seen += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    assert [e["position"] for e in seen] == sorted(positions, reverse=True)
    assert {(e["actor"], e["actor_role"], e["event_type"], e["source"]) for e in seen} == {
        (actor, "admin", "SubjectForgotten", "api")
    }
    middle = seen[2]["recorded_at"]
    since = (await client.get("/v1/audit", params={"actor": actor, "since": middle}, headers=headers)).json()
    assert [e["position"] for e in since["items"]] == sorted(positions, reverse=True)[:3]
    until = (await client.get("/v1/audit", params={"actor": actor, "until": middle}, headers=headers)).json()
    assert [e["position"] for e in until["items"]] == sorted(positions, reverse=True)[3:]
    none = (await client.get("/v1/audit", params={"actor": actor, "event_type": "Nope"}, headers=headers)).json()
    assert none == {"items": [], "next_cursor": None}


async def test_bi_may_read_the_audit_log_and_a_manager_may_not(client: httpx.AsyncClient, auth) -> None:
    assert (await client.get("/v1/audit", headers=auth("analyst", Role.BI))).status_code == 200
    denied = await client.get("/v1/audit", headers=auth("kam", Role.MANAGER))
    assert denied.status_code == 403
    assert denied.json()["allowed_roles"] == ["admin", "bi"]


async def test_readyz_and_metrics_report_each_projections_lag(client: httpx.AsyncClient, auth) -> None:
    _, position = await _forget(client, auth)
    await client.get("/v1/audit", params={"min_position": position}, headers=auth("root", Role.ADMIN))
    ready = (await client.get("/readyz")).json()
    audit = next(p for p in ready["checks"]["projections"] if p["name"] == "audit_log")
    assert audit["status"] == "live"
    assert (audit["position"], audit["events_behind"], audit["seconds_behind"]) == (position, 0, 0.0)  # caught up
    metrics = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in (await client.get("/metrics")).text.splitlines()
        if line.startswith("kamplan_projection_") and 'projection="audit_log"' in line
    }
    assert metrics['kamplan_projection_lag_seconds{projection="audit_log"}'] == 0.0
    assert metrics['kamplan_projection_lag_events{projection="audit_log"}'] == 0.0
    assert metrics['kamplan_projection_events_applied_total{projection="audit_log"}'] >= position
