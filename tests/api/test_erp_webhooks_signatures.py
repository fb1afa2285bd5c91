"""Webhooks in: only a delivery signed per Standard Webhooks with a configured secret is taken."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable

import httpx
import pytest

from service.config import Settings
from service.events import EventStore
from service.main import create_app
from tests.support.erp import KAM, SECRET, order, post, signed


async def test_an_unsigned_or_badly_signed_delivery_is_refused_and_writes_nothing(
    erp: httpx.AsyncClient, account: str, store: EventStore
) -> None:
    before = await store.head_position()
    body = order(account)
    good = signed(body)
    cases = {
        "no headers": {"content-type": "application/json"},
        "another secret": signed(body, secret="whsec_" + base64.b64encode(b"k" * 32).decode()),
        "another body": signed(order(account, amount="1.00")),
        "an hour old": signed(body, at=int(time.time()) - 3600),
        "not a number": {**good, "webhook-timestamp": "soon"},
        "a bad id": {**good, "webhook-id": "id with spaces"},
    }
    for case, headers in cases.items():
        response = await post(erp, body, headers)
        assert response.status_code == 401, case
        assert response.json()["type"] == "/problems/invalid-signature", case
    assert await store.head_position() == before


async def test_without_a_secret_configured_erp_webhooks_are_refused_as_unavailable(
    client: httpx.AsyncClient, store: EventStore
) -> None:
    body = order(str(uuid.uuid4()))
    response = await client.post("/v1/erp/webhooks", content=body, headers=signed(body))
    assert response.status_code == 503
    assert response.json()["type"] == "/problems/erp-webhooks-off"


async def test_a_signature_header_holding_other_than_ascii_is_refused_not_a_500(
    erp: httpx.AsyncClient, account: str
) -> None:
    body = order(account, number="SO-ASCII")
    good = signed(body)
    for value in ("v1,\xe9", f"v1,\xe9 {good['webhook-signature']}"):
        response = await erp.post("/v1/erp/webhooks", content=body,
                                  headers={**good, "webhook-signature": value.encode("latin-1")})  # fmt: skip
        assert response.status_code == (401 if value == "v1,\xe9" else 200), response.text


async def test_the_signature_covers_the_timestamp_header_as_sent(erp: httpx.AsyncClient, account: str) -> None:
    body = order(account, number="SO-ZERO")
    now = str(int(time.time()))
    padded = signed(body, at=int(now))
    padded["webhook-timestamp"] = "0" + now  # signed over the text without the zero: not what was sent
    assert (await post(erp, body, padded)).status_code == 401
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    literal = f"{padded['webhook-id']}.0{now}.".encode() + body
    mac = base64.b64encode(hmac.new(key, literal, hashlib.sha256).digest()).decode()
    assert (await post(erp, body, {**padded, "webhook-signature": f"v1,{mac}"})).status_code == 200


async def test_while_the_erp_rotates_its_secret_a_delivery_signed_with_either_configured_one_is_taken(
    settings: Settings, database_url: str, auth: Callable[..., dict[str, str]]
) -> None:
    new = "whsec_" + base64.b64encode(b"n" * 32).decode()
    other = "whsec_" + base64.b64encode(b"o" * 32).decode()
    rotating = Settings.model_validate({**settings.model_dump(), "erp_webhook_secret": f" {new}  {SECRET} "})
    assert rotating.erp_webhook_secrets == [new, SECRET]
    with pytest.raises(ValueError, match="whsec_") as refused:
        Settings.model_validate({**settings.model_dump(), "erp_webhook_secret": f"{new} hunter2"})
    assert new.removeprefix("whsec_")[:8] not in str(refused.value)  # the good one is not echoed at start-up
    app = create_app(rotating, database_url)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://k.test") as erp,
    ):
        opened = await erp.post("/v1/accounts", json={"name": "Rotating"}, headers=auth(**KAM))
        account = opened.json()["account_id"]
        for number, secret in (("SO-OLD", SECRET), ("SO-NEW", new)):
            body = order(account, number)
            assert (await post(erp, body, signed(body, secret=secret))).status_code == 200
        body = order(account, "SO-OTHER")
        refused = await post(erp, body, signed(body, secret=other))
        assert refused.status_code == 401
        history = await erp.get(f"/v1/accounts/{account}/purchases", headers=auth(**KAM))
    assert sorted(d["number"] for d in history.json()["documents"]) == ["SO-NEW", "SO-OLD"]
