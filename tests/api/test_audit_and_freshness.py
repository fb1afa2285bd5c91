"""Read-your-writes on the audit log, its filters and pages, and projection lag in /readyz and /metrics."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from service.config import Settings
from service.domain.actors import Role
from service.main import create_app
from tests.api.test_accounts import open_account, unique
from tests.support.plans import ACTION, in_force
from tests.support.plans import setup as plan_setup


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


async def test_a_position_past_the_head_is_refused_at_once(client: httpx.AsyncClient, auth, store) -> None:
    far = await store.head_position() + 1_000_000
    started = time.monotonic()
    response = await client.get("/v1/audit", params={"min_position": far}, headers=auth("root", Role.ADMIN))
    assert time.monotonic() - started < 0.9  # no wait: read_wait_seconds is 1.0 in the tests
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "/problems/out-of-range"
    assert problem["field"] == "min_position"
    assert problem["head"] >= far - 1_000_000
    by_header = await client.get("/v1/audit", headers={**auth("root", Role.ADMIN), "X-Min-Position": str(far)})
    assert by_header.status_code == 422
    assert by_header.json()["field"] == "x-min-position"


async def test_a_position_the_projections_have_not_reached_times_out_as_a_503_problem(
    settings: Settings, isolated: Any, auth
) -> None:
    app = create_app(settings.model_copy(update={"projections": "off"}), isolated.url)  # nobody applies the log
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kamplan.test") as stalled,
    ):
        _, position = await _forget(stalled, auth)
        started = time.monotonic()
        response = await stalled.get("/v1/audit", params={"min_position": position}, headers=auth("root", Role.ADMIN))
        assert 0.9 <= time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/projection-lagging"
    assert problem["min_position"] == position
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


async def _audit_metrics(client: httpx.AsyncClient) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in (await client.get("/metrics")).text.splitlines()
        if line.startswith("kamplan_projection_") and 'projection="audit_log"' in line
    }


async def test_readyz_and_metrics_report_each_projections_lag(client: httpx.AsyncClient, auth) -> None:
    applied = 'kamplan_projection_events_applied_total{projection="audit_log"}'
    before = (await _audit_metrics(client)).get(applied, 0.0)
    _, position = await _forget(client, auth)
    await client.get("/v1/audit", params={"min_position": position}, headers=auth("root", Role.ADMIN))
    ready = (await client.get("/readyz")).json()
    audit = next(p for p in ready["checks"]["projections"] if p["name"] == "audit_log")
    assert audit["status"] == "live"
    assert (audit["position"], audit["events_behind"], audit["seconds_behind"]) == (position, 0, 0.0)  # caught up
    metrics = await _audit_metrics(client)
    assert metrics['kamplan_projection_lag_seconds{projection="audit_log"}'] == 0.0
    assert metrics['kamplan_projection_lag_events{projection="audit_log"}'] == 0.0
    # counted per process: the forget's event at least; earlier events may have been applied by another runner
    assert metrics[applied] >= before + 1


async def test_one_instant_is_one_day_whatever_offset_names_it(client: httpx.AsyncClient, auth) -> None:
    """as_of's local date picked the day date rules use: 21:30-05:00 and 02:30Z, one instant, disagreed on
    what was overdue (and stale, and stalled)."""
    day = datetime.now(UTC).date()
    late = datetime.now(UTC).hour >= 12
    zone = timezone(timedelta(hours=14 if late else -12))  # its local date is not the UTC one at this hour
    due = day if late else day - timedelta(days=1)
    kam, boss, plan, _ = await plan_setup(client, auth)
    action = {**ACTION, "period": str(day.year), "due": due.isoformat()}
    await in_force(client, plan, kam, boss, {"action/a1": action})
    moment = datetime.now(UTC)
    seen = []
    for written in (moment, moment.astimezone(zone)):
        view = await client.get(plan, params={"as_of": written.isoformat()}, headers=kam)
        assert view.status_code == 200, view.text
        seen.append(view.json()["overdue_actions"])
    assert seen == [[] if late else ["a1"]] * 2


async def test_a_map_or_dossier_as_of_shows_the_account_as_it_was_then(client: httpx.AsyncClient, auth) -> None:
    """The map named the account by its name today; the map and the dossier of a moment before the account
    existed were made up (an empty map with its risks, a dossier with all its gaps)."""
    before = datetime.now(UTC)
    kam = auth(unique("kam"), Role.MANAGER, "north")
    account = await open_account(client, kam, name="Kama Tyre Plant")
    path = f"/v1/accounts/{account['account_id']}"
    named = datetime.now(UTC)
    assert (await client.patch(path, json={"name": "Kama Tyre Works"}, headers=kam)).status_code == 200
    then = await client.get(f"{path}/buying-center", params={"as_of": named.isoformat()}, headers=kam)
    assert then.json()["account_name"] == "Kama Tyre Plant"
    svg = await client.get(f"{path}/buying-center.svg", params={"as_of": named.isoformat()}, headers=kam)
    assert "Kama Tyre Plant" in svg.text
    assert "Kama Tyre Works" not in svg.text
    for view in ("", "/buying-center", "/buying-center.svg", "/dossier"):
        earlier = await client.get(f"{path}{view}", params={"as_of": before.isoformat()}, headers=kam)
        assert (earlier.status_code, earlier.json()["type"]) == (404, "/problems/account-not-found"), view


async def test_a_moment_still_to_come_is_judged_today(client: httpx.AsyncClient, auth) -> None:
    """A view as_of next year flagged as overdue what is due next month: a future nobody knows yet."""
    kam, boss, plan, _ = await plan_setup(client, auth)
    due = datetime.now(UTC).date() + timedelta(days=30)
    await in_force(client, plan, kam, boss, {"action/a1": {**ACTION, "period": str(due.year), "due": due.isoformat()}})
    later = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    now, then = [(await client.get(plan, params=p, headers=kam)).json() for p in ({}, {"as_of": later})]
    assert now["overdue_actions"] == then["overdue_actions"] == []


async def test_reads_of_tables_an_upgrade_is_rebuilding_are_a_503_until_the_new_version_is_live(
    settings: Settings, isolated: Any, auth
) -> None:
    """After an upgrade that changed a projection's tables, the old version stays live until the new one has caught
    up; this code's queries would not find their columns in it (they answered 500)."""
    admin = auth("root", Role.ADMIN)
    app = create_app(settings.model_copy(update={"projections": "off"}), isolated.url)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kamplan.test") as client,
    ):
        async with isolated.pool.acquire() as conn:  # as if the live plans tables were built by the previous version
            await conn.execute(
                "UPDATE projection_generations SET version = version - 1 WHERE name = 'plans' AND status = 'live'"
            )
        for path in ("/v1/plan-reviews", "/v1/plan-budgets"):
            refused = await client.get(path, headers=admin)
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "5"
            problem = refused.json()
            assert (problem["type"], problem["projections"]) == ("/problems/projection-rebuilding", ["plans"])
        assert (await client.get("/v1/pipeline", headers=admin)).status_code == 200  # other tables are current
        async with isolated.pool.acquire() as conn:  # the new version is switched in
            await conn.execute(
                "UPDATE projection_generations SET version = version + 1 WHERE name = 'plans' AND status = 'live'"
            )
        assert (await client.get("/v1/plan-reviews", headers=admin)).status_code == 200
