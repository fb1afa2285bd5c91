"""Bearer JWT auth: 401 without or with a bad token, 403 for the wrong role, the actor in every event."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import jwt

from service.domain.actors import Role
from tests.api.test_accounts import unique
from tests.conftest import TEST_SECRET
from tests.support.opportunities import log, open_project
from tests.support.plans import ACTION, in_force, ok
from tests.support.plans import setup as plan_setup


async def test_a_request_without_a_token_gets_401_with_a_bearer_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == "/problems/unauthenticated"


async def test_expired_forged_and_role_less_tokens_get_401(client: httpx.AsyncClient, tokens) -> None:
    expired = tokens.mint("alice", Role.MANAGER, ttl=timedelta(seconds=-1))
    forged = jwt.encode(
        {"sub": "alice", "role": "admin", "exp": 9999999999}, "not-the-secret-" + "y" * 40, algorithm="HS256"
    )
    no_role = jwt.encode({"sub": "alice", "exp": 9999999999}, TEST_SECRET, algorithm="HS256")
    odd_role = jwt.encode({"sub": "alice", "role": "ceo", "exp": 9999999999}, TEST_SECRET, algorithm="HS256")
    for token, reason in [(expired, "expired"), (forged, "Signature"), (no_role, "role"), (odd_role, "unknown role")]:
        response = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, reason
        assert response.json()["type"] == "/problems/invalid-token"
        assert reason in response.json()["detail"]


async def test_a_valid_token_names_the_actor(client: httpx.AsyncClient, auth) -> None:
    response = await client.get("/v1/me", headers=auth("bob", Role.SUPERVISOR, team="north"))
    assert response.status_code == 200
    assert response.json() == {"sub": "bob", "role": "supervisor", "team": "north"}


async def test_the_wrong_role_gets_403_naming_the_allowed_roles(client: httpx.AsyncClient, auth) -> None:
    for role in (Role.MANAGER, Role.SUPERVISOR, Role.INTEGRATION, Role.BI):
        response = await client.post(f"/v1/subjects/p-{uuid.uuid4()}/forget", headers=auth("eve", role))
        assert response.status_code == 403
        problem = response.json()
        assert problem["type"] == "/problems/forbidden"
        assert problem["allowed_roles"] == ["admin"]


async def test_the_actor_and_request_are_recorded_in_the_event_metadata(client: httpx.AsyncClient, auth) -> None:
    subject = f"p-{uuid.uuid4()}"
    headers = {**auth("root", Role.ADMIN, team="hq"), "X-Request-ID": "req-42", "X-Correlation-ID": "corr-7"}
    forgot = await client.post(f"/v1/subjects/{subject}/forget", headers=headers)
    assert forgot.status_code == 200
    assert int(forgot.headers["x-position"]) == forgot.json()["position"]

    stream = await client.get(f"/v1/streams/subject-{subject}", headers=auth("root", Role.ADMIN))
    [event] = stream.json()["events"]
    assert event["event_type"] == "SubjectForgotten"
    assert event["metadata"] == {
        "actor": "root",
        "actor_role": "admin",
        "actor_team": "hq",
        "request_id": "req-42",
        "correlation_id": "corr-7",
        "source": "api",
    }


async def test_forgetting_twice_reports_the_first_time(client: httpx.AsyncClient, auth) -> None:
    subject = f"p-{uuid.uuid4()}"
    first = (await client.post(f"/v1/subjects/{subject}/forget", headers=auth("root", Role.ADMIN))).json()
    again = (await client.post(f"/v1/subjects/{subject}/forget", headers=auth("root", Role.ADMIN))).json()
    assert first["already_forgotten"] is False
    assert again["already_forgotten"] is True
    assert again["forgotten_at"] == first["forgotten_at"]
    assert again["position"] is None


async def test_integration_sees_no_account_in_lists_across_accounts(client: httpx.AsyncClient, auth) -> None:
    """The ERP reads what it is given by id; the lists across accounts, which an admin sees filled, stay empty."""
    kam, boss, plan, team = await plan_setup(client, auth)
    agreed = await in_force(client, plan, kam, boss, {"action/a1": ACTION})
    account = agreed["account_id"]
    project = await open_project(client, f"/v1/accounts/{account}", kam)
    wait = {"min_position": max(agreed["position"], project["position"])}
    lists = {
        "/v1/accounts": lambda body: [a["account_id"] for a in body["items"]],
        "/v1/portfolio": lambda body: [a["account_id"] for m in body["managers"] for a in m["accounts"]],
        "/v1/pipeline": lambda body: [p["account_id"] for m in body["managers"] for p in m["projects"]],
        "/v1/plan-budgets": lambda body: [(row["period"], row["budget"]) for row in body["items"]],
    }
    admin, erp = auth("root", Role.ADMIN), auth("erp", Role.INTEGRATION)
    owner = jwt.decode(kam["Authorization"].split()[1], options={"verify_signature": False})["sub"]
    only_ours = {"/v1/accounts": {"owner": owner}}  # the account list filters by owner, the others by team
    seen = {
        path: read(
            await ok(await client.get(path, params={**wait, **only_ours.get(path, {"team": team})}, headers=admin))
        )
        for path, read in lists.items()
    }
    assert seen == {
        "/v1/accounts": [account],
        "/v1/portfolio": [account],
        "/v1/pipeline": [account],
        "/v1/plan-budgets": [("2027", "450000")],
    }
    for path, read in lists.items():
        assert read(await ok(await client.get(path, params=wait, headers=erp))) == [], path


async def test_a_project_plan_or_interaction_another_team_owns_looks_like_one_that_does_not_exist(
    client: httpx.AsyncClient, auth
) -> None:
    """They answered account-not-found where a made-up id answered opportunity-, plan- or interaction-not-found."""
    kam, _, plan, _ = await plan_setup(client, auth)
    account = (await ok(await client.get(plan, headers=kam)))["account_id"]
    project = await open_project(client, f"/v1/accounts/{account}", kam)
    logged = await log(client, f"/v1/accounts/{account}", kam)
    assert logged.status_code == 201, logged.text
    real = {
        "opportunity": project["opportunity_id"],
        "plan": plan.rsplit("/", 1)[1],
        "interaction": logged.json()["interaction_id"],
    }
    calls = [
        ("opportunity", "GET", "/v1/opportunities/{}", None),
        ("opportunity", "GET", "/v1/opportunities/{}?as_of=2026-01-01T00:00:00Z", None),
        ("opportunity", "POST", "/v1/opportunities/{}/stage", {}),
        ("plan", "GET", "/v1/plans/{}", None),
        ("plan", "GET", "/v1/plans/{}/revisions", None),
        ("plan", "POST", "/v1/plans/{}/revisions", {}),
        ("interaction", "GET", "/v1/interactions/{}", None),
        ("interaction", "POST", "/v1/interactions/{}/retract", {"reason": "wrong account"}),
    ]
    outsiders = {
        "manager of another team": auth(unique("kam"), Role.MANAGER, unique("team")),
        "supervisor of another team": auth(unique("sup"), Role.SUPERVISOR, unique("team")),
    }
    for who, headers in outsiders.items():
        for kind, method, path, body in calls:
            answers = [
                await client.request(method, path.format(id_), json=body, headers=headers)
                for id_ in (real[kind], str(uuid.uuid4()))
            ]
            seen = [(a.status_code, a.json()["type"]) for a in answers]
            assert seen == [(404, f"/problems/{kind}-not-found")] * 2, (who, method, path, seen)
