"""Webhook subscriptions over the API alone: secrets shown once, validation, admins only, versions, listing."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from service.domain.actors import Role
from service.events import EventStore
from tests.support.webhooks import ADMIN

# On the session's app, which delivers nothing (see conftest).


async def test_the_secret_is_shown_once_and_a_keyed_retry_answers_the_same(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"url": "https://erp.example/hooks", "event_types": ["AccountOpened", "InteractionLogged"]}
    first = await client.post("/v1/webhooks", json=body, headers=auth(**ADMIN) | key)
    again = await client.post("/v1/webhooks", json=body, headers=auth(**ADMIN) | key)
    assert first.status_code == again.status_code == 201
    assert first.json()["secret"] == again.json()["secret"]
    assert first.json()["secret"].startswith("whsec_")
    assert again.json()["written"]["replayed"] is True
    sid = first.json()["subscription_id"]
    assert first.headers["location"] == f"/v1/webhooks/{sid}"
    shown = await client.get(f"/v1/webhooks/{sid}", headers=auth(**ADMIN))
    assert "secret" not in shown.json()
    assert shown.json()["event_types"] == ["AccountOpened", "InteractionLogged"]
    listed = await client.get("/v1/webhooks", headers=auth(**ADMIN))
    assert sid in [s["subscription_id"] for s in listed.json()["items"]]
    assert all("secret" not in item for item in listed.json()["items"])
    assert first.json()["secret"] not in listed.text
    own = await client.post("/v1/webhooks", json={**body, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                            headers=auth(**ADMIN))  # fmt: skip
    assert own.json()["secret"] == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def test_a_webhooks_secret_is_not_shown_again_nor_forgotten_apart_from_it(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    created = (await client.post("/v1/webhooks", json={"url": "https://erp.example/s"}, headers=auth(**ADMIN))).json()
    stream = await client.get("/v1/streams/webhooks-company", params={"limit": 1000}, headers=auth(**ADMIN))
    assert stream.status_code == 200
    assert created["secret"] not in stream.text
    subject = f"webhook-secret-{created['subscription_id']}"
    for path in (f"/v1/subjects/{subject}/forget", f"/v1/people/{subject}/forget"):
        refused = await client.post(path, headers=auth(**ADMIN))
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"].endswith("/webhook-secret")


async def test_a_keyed_retry_of_a_create_deleted_since_is_a_404(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    created = await client.post("/v1/webhooks", json={"url": "https://erp.example/k"}, headers=auth(**ADMIN) | key)
    await client.delete(f"/v1/webhooks/{created.json()['subscription_id']}", headers=auth(**ADMIN))
    again = await client.post("/v1/webhooks", json={"url": "https://erp.example/k"}, headers=auth(**ADMIN) | key)
    assert again.status_code == 404
    assert again.json()["type"].endswith("/webhook-not-found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://erp.example/hooks"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": f"https://{'a' * 64}.example/hooks"}, "url"),  # a DNS label has at most 63 characters
        ({"url": f"https://{'.'.join(['a' * 60] * 5)}.example/hooks"}, "url"),  # a DNS name at most 253
        ({"url": "https://erp.example:0/hooks"}, "url"),  # no connection is ever made to port 0
        ({"url": "https://erp..example/hooks"}, "url"),
        ({"url": "https://erp.example/", "event_types": ["AccountOpened", "NoSuchEvent"]}, "event_types"),
        ({"url": "https://erp.example/", "event_types": ["SubscriptionCreated"]}, "event_types"),
        ({"url": "https://erp.example/", "secret": "hunter2"}, "secret"),
        ({"url": "https://erp.example/", "start_after": -1}, "start_after"),
    ],
)
async def test_a_bad_subscription_is_refused_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], store: EventStore, body: dict, field: str
) -> None:
    before = await store.head_position()
    response = await client.post("/v1/webhooks", json=body, headers=auth(**ADMIN))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(e["field"].endswith(field) for e in response.json()["errors"]), response.json()
    assert await store.head_position() == before


async def test_only_an_admin_manages_webhooks(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
    for role in (Role.MANAGER, Role.SUPERVISOR, Role.INTEGRATION, Role.BI):
        assert (await client.get("/v1/webhooks", headers=auth("x", role))).status_code == 403
        created = await client.post("/v1/webhooks", json={"url": "https://erp.example/"}, headers=auth("x", role))
        assert created.status_code == 403
    assert (await client.get("/v1/webhooks")).status_code == 401


async def test_changes_check_the_version_and_unknown_ids_are_404(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    created = (await client.post("/v1/webhooks", json={"url": "https://erp.example/a"}, headers=auth(**ADMIN))).json()
    sid, version = created["subscription_id"], created["written"]["version"]
    stale = await client.patch(f"/v1/webhooks/{sid}", json={"description": "x"},
                               headers=auth(**ADMIN) | {"If-Match": f'"{version - 1}"'})  # fmt: skip
    assert stale.status_code == 412
    unresolvable = await client.patch(
        f"/v1/webhooks/{sid}", json={"url": "https://erp..example/"}, headers=auth(**ADMIN)
    )
    assert unresolvable.status_code == 422, unresolvable.text
    assert [e["field"] for e in unresolvable.json()["errors"]] == ["body.url"]
    fresh = await client.patch(f"/v1/webhooks/{sid}", json={"event_types": ["AccountOpened"], "description": "ERP"},
                               headers=auth(**ADMIN) | {"If-Match": f'"{version}"'})  # fmt: skip
    assert fresh.status_code == 200, fresh.text
    shown = (await client.get(f"/v1/webhooks/{sid}", headers=auth(**ADMIN))).json()
    assert (shown["event_types"], shown["description"]) == (["AccountOpened"], "ERP")
    every = await client.patch(f"/v1/webhooks/{sid}", json={"event_types": None}, headers=auth(**ADMIN))
    assert every.status_code == 200
    assert (await client.get(f"/v1/webhooks/{sid}", headers=auth(**ADMIN))).json()["event_types"] is None
    same = await client.patch(f"/v1/webhooks/{sid}", json={"event_types": None}, headers=auth(**ADMIN))
    assert same.json()["position"] is None  # nothing changed, nothing written
    for method, path, body in (
        ("GET", "/v1/webhooks/nope", None),
        ("PATCH", "/v1/webhooks/nope", {"description": "x"}),
        ("POST", "/v1/webhooks/nope/replay", {"after_position": 0}),
        ("DELETE", "/v1/webhooks/nope", None),
        ("GET", "/v1/webhooks/nope/attempts", None),
    ):
        missing = await client.request(method, path, json=body, headers=auth(**ADMIN))
        assert missing.status_code == 404, (method, path, missing.text)
        assert missing.json()["type"].endswith("/webhook-not-found")


async def test_the_event_types_a_subscription_can_ask_for_are_listed(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    types = (await client.get("/v1/webhooks/event-types", headers=auth(**ADMIN))).json()
    assert {"AccountOpened", "InteractionLogged", "RevisionAgreed", "SubjectForgotten"} <= set(types)
    assert not {"SubscriptionCreated", "SubscriptionDeleted"} & set(types)


async def test_subscriptions_are_listed_page_by_page(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    for n in range(3):
        await client.post("/v1/webhooks", json={"url": f"https://erp.example/{n}"}, headers=auth(**ADMIN))
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/webhooks", params=params, headers=auth(**ADMIN))).json()
        seen += [s["subscription_id"] for s in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    everything = (await client.get("/v1/webhooks", params={"limit": 200}, headers=auth(**ADMIN))).json()
    assert seen == [s["subscription_id"] for s in everything["items"]]
    first = (await client.get("/v1/webhooks", params={"limit": 2}, headers=auth(**ADMIN))).json()
    await client.delete(f"/v1/webhooks/{first['items'][1]['subscription_id']}", headers=auth(**ADMIN))
    rest = await client.get(
        "/v1/webhooks", params={"limit": 200, "cursor": first["next_cursor"]}, headers=auth(**ADMIN)
    )
    assert [s["subscription_id"] for s in rest.json()["items"]] == seen[2:]  # nothing skipped for the deletion
    seen.remove(first["items"][1]["subscription_id"])
    everything = (await client.get("/v1/webhooks", params={"limit": 200}, headers=auth(**ADMIN))).json()
    assert seen == [s["subscription_id"] for s in everything["items"]]
    assert len(seen) >= 3
