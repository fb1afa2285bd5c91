"""Webhooks in: delivery ids, held while decided, answer a redelivery as the first attempt and carry one body."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from service.api.routes.erp import DELIVERY_KEY
from service.commands.idempotency import request_hash
from service.config import Settings
from service.domain.actors import Role
from service.events import EventStore
from service.webhooks import records
from tests.support.erp import KAM, SECRET, order, post, signed
from tests.support.webhooks import app_on


async def test_a_reused_delivery_id_with_another_body_or_an_unknown_account_is_refused(
    erp: httpx.AsyncClient, account: str, store: EventStore
) -> None:
    body = order(account, number="SO-2")
    headers = signed(body)
    assert (await post(erp, body, headers)).status_code == 200
    other = order(account, number="SO-3")
    reused = await post(erp, other, signed(other, headers["webhook-id"]))
    assert reused.status_code == 422
    assert reused.json()["type"] == "/problems/idempotency-key-reused"
    stranger = order(str(uuid.uuid4()))
    missing = await post(erp, stranger, signed(stranger))
    assert missing.status_code == 404
    assert missing.json()["type"] == "/problems/account-not-found"


async def test_an_id_whose_delivery_changed_nothing_cannot_carry_another_body_later(
    erp: httpx.AsyncClient, account: str, store: EventStore
) -> None:
    body = order(account, number="SO-NOOP")
    assert (await post(erp, body, signed(body))).status_code == 200
    quiet = signed(body)  # the same document again under a new id: nothing to write
    assert (await post(erp, body, quiet)).json()["position"] is None
    again = await post(erp, body, signed(body, quiet["webhook-id"]))  # its redelivery: changes nothing either
    assert again.status_code == 200
    assert again.json()["position"] is None
    before = await store.head_position()
    other = order(account, number="SO-OTHER")
    reused = await post(erp, other, signed(other, quiet["webhook-id"]))
    assert reused.status_code == 422
    assert reused.json()["type"] == "/problems/idempotency-key-reused"
    assert await store.head_position() == before


async def test_a_bearer_callers_idempotency_key_cannot_take_a_delivery_id(
    erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]], account: str
) -> None:
    delivery = f"msg_{uuid.uuid4().hex}"
    opened = await erp.post("/v1/accounts", json={"name": "Squatter"},
                            headers=auth("erp", Role.ADMIN) | {"Idempotency-Key": delivery})  # fmt: skip
    assert opened.status_code == 201
    body = order(account, number="SO-KEY")
    assert (await post(erp, body, signed(body, delivery))).status_code == 200


async def test_one_delivery_id_racing_with_two_bodies_to_two_accounts_is_taken_once(
    erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]], account: str, store: EventStore
) -> None:
    """Per-account serialising did not cover one id sent to two accounts: both answered 200 in 19 of 20 runs."""
    other = (await erp.post("/v1/accounts", json={"name": "Chassis plant"}, headers=auth(**KAM))).json()["account_id"]
    unchanged = order(account, number="SO-RACE")
    await post(erp, unchanged, signed(unchanged))
    for _ in range(5):
        delivery = f"msg_{uuid.uuid4().hex}"
        new = order(other, number=f"SO-{delivery}")
        answers = await asyncio.gather(
            post(erp, unchanged, signed(unchanged, delivery)), post(erp, new, signed(new, delivery))
        )
        assert sorted(a.status_code for a in answers) == [200, 422]


async def test_a_redelivery_of_a_delivery_that_changed_nothing_answers_as_it_did_and_writes_nothing(
    erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]], account: str, store: EventStore
) -> None:
    """Only deliveries that wrote events were answered from the log: one that changed nothing was decided again on
    a redelivery, and with the document changed in between, it wrote the old content back as a new revision."""
    untimed = {"timestamp": None}  # a delivery that cannot be placed in time is taken in the order it arrives
    first = order(account, number="SO-5", amount="100", **untimed)
    assert (await post(erp, first, signed(first))).json()["position"] is not None
    unchanged = order(account, number="SO-5", amount="100", **untimed)
    headers = signed(unchanged)
    answered = await post(erp, unchanged, headers)
    assert (answered.status_code, answered.json()["position"]) == (200, None), answered.text
    changed = order(account, number="SO-5", amount="200", **untimed)
    assert (await post(erp, changed, signed(changed))).json()["position"] is not None
    before = await store.head_position()
    again = await post(erp, unchanged, signed(unchanged, headers["webhook-id"]))  # the ERP's retry of the no-op
    assert again.status_code == 200, again.text
    assert again.json() == {**answered.json(), "replayed": True}
    assert again.headers["etag"] == answered.headers["etag"]
    assert await store.head_position() == before
    history = (await erp.get(f"/v1/accounts/{account}/purchases", headers=auth(**KAM))).json()
    assert [(d["amount"], d["revision"]) for d in history["documents"]] == [("200", 2)]


async def test_a_redelivery_racing_its_first_attempt_answers_as_it_and_writes_nothing_more(
    erp: httpx.AsyncClient, auth: Callable[..., dict[str, str]], account: str
) -> None:
    """The ERP sends X (the document unchanged), Y (the document changed) and, timed out on X, X again, all at once.
    Whatever order they are decided in, X's two answers are the same and its redelivery writes nothing: it used to
    decide again while the first was in flight, and wrote X's old content back over Y (found by review)."""
    untimed = {"timestamp": None}
    for i in range(20):
        number = f"SO-G{i}"
        first = order(account, number=number, amount="100", **untimed)
        assert (await post(erp, first, signed(first))).json()["position"] is not None
        x = order(account, number=number, amount="100", **untimed)
        y = order(account, number=number, amount="200", **untimed)
        hx = signed(x)
        answers = await asyncio.gather(
            post(erp, x, hx), post(erp, y, signed(y)), post(erp, x, signed(x, hx["webhook-id"]))
        )
        assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
        one, _, two = (a.json() for a in answers)
        history = (await erp.get(f"/v1/accounts/{account}/purchases", headers=auth(**KAM))).json()["documents"]
        kept = [(d["amount"], d["revision"]) for d in history if d["number"] == number]
        assert {k: v for k, v in one.items() if k != "replayed"} == {k: v for k, v in two.items() if k != "replayed"}
        # X decided before Y changed nothing; after Y it is the newer content, and revision 3
        assert kept == ([("200", 2)] if one["position"] is None else [("100", 3)]), (i, one, two)


async def test_a_redelivery_answers_with_the_headers_of_its_first_attempt(erp: httpx.AsyncClient, account: str) -> None:
    body = order(account, number="SO-HEADERS")
    headers = signed(body)
    first = await post(erp, body, headers)
    again = await post(erp, body, signed(body, headers["webhook-id"]))
    assert again.json() == {**first.json(), "replayed": True}
    assert (again.headers["etag"], again.headers["x-position"]) == (first.headers["etag"], first.headers["x-position"])


async def _held(store: EventStore, body: bytes, until: str | None) -> dict[str, str]:
    """The headers of a redelivery of `body` whose first attempt kept the id and is deciding it until `until`
    (an SQL interval from now), or gave it up (None), without having written anything."""
    headers = signed(body)
    hashed = request_hash(DELIVERY_KEY + headers["webhook-id"], "POST", "/v1/erp/webhooks", body)
    async with store.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO erp_deliveries (delivery_id, request_hash, deciding_until)"
            " VALUES ($1, $2, now() + $3::text::interval)",
            headers["webhook-id"], hashed, until,
        )  # fmt: skip
    return headers


async def test_a_redelivery_decides_only_once_its_first_attempt_gave_up_or_ran_out_of_time(
    settings: Settings, database_url: str, auth: Callable[..., dict[str, str]], store: EventStore
) -> None:
    """An attempt that failed gives its delivery up, and a crashed one's hold runs out: either way the next
    redelivery decides it, and it lands. While the first attempt holds it still, a redelivery waits for its
    answer, and then is a 409 the ERP retries, writing nothing."""
    async with app_on(settings, database_url, erp_webhook_secret=SECRET, erp_redelivery_wait_seconds=0.3) as erp:
        account = (await erp.post("/v1/accounts", json={"name": "Held"}, headers=auth(**KAM))).json()["account_id"]
        for number, until in (("SO-GAVE-UP", None), ("SO-CRASHED", "-1 second")):
            body = order(account, number=number)
            headers = await _held(store, body, until)
            answer = await post(erp, body, headers)
            assert answer.status_code == 200, answer.text
            assert (answer.json()["replayed"], answer.json()["position"] is not None) == (False, True)
            again = await post(erp, body, signed(body, headers["webhook-id"]))
            assert (again.json()["replayed"], again.json()["position"]) == (True, answer.json()["position"])
        body = order(account, number="SO-HELD")
        refused = await post(erp, body, await _held(store, body, "1 hour"))
        assert refused.status_code == 409, refused.text
        assert (refused.json()["type"], refused.headers["retry-after"]) == ("/problems/delivery-in-progress", "5")
        history = (await erp.get(f"/v1/accounts/{account}/purchases", headers=auth(**KAM))).json()["documents"]
    assert sorted((d["number"], d["revision"]) for d in history) == [("SO-CRASHED", 1), ("SO-GAVE-UP", 1)]


async def test_an_attempt_that_lost_its_hold_changes_nothing_of_the_one_that_took_it_over(store: EventStore) -> None:
    """An attempt slower than its hold (queued behind a burst to the account) lost the delivery to a redelivery
    and still decided it, gave it up or kept its answer over the new holder's (found by review): its writes now
    name its token, and it renews the hold right before deciding, which tells it that it lost."""
    delivery = f"msg_{uuid.uuid4().hex}"
    slow = records.ErpHold(store.pool, delivery, 0.2)
    assert (await slow.remember("h")).held
    await asyncio.sleep(0.3)
    retry = records.ErpHold(store.pool, delivery, 60)
    assert await retry.take_over() == (True, None)
    assert not await slow.renew()
    await slow.give_up()
    await slow.keep({"version": 9, "position": 99, "warnings": []})
    assert await records.ErpHold(store.pool, delivery, 60).take_over() == (False, None)  # held by the retry still
    assert await retry.renew()
    await retry.keep({"version": 1, "position": None, "warnings": []})
    kept = {"version": 1, "position": None, "warnings": []}
    assert await records.ErpHold(store.pool, delivery, 60).take_over() == (False, kept)


async def test_delivery_ids_are_kept_for_the_days_configured(settings: Settings, isolated: Any) -> None:
    async with isolated.pool.acquire() as conn:
        await conn.executemany(
            "INSERT INTO erp_deliveries (delivery_id, request_hash, received_at)"
            " VALUES ($1, 'h', now() - make_interval(days => $2))",
            [("old", 11), ("fresh", 9)],
        )
    async with app_on(settings, isolated.url, erp_deliveries_keep_days=10):
        await asyncio.sleep(1.5)  # the dispatcher's first look prunes
    async with isolated.pool.acquire() as conn:
        assert [r["delivery_id"] for r in await conn.fetch("SELECT delivery_id FROM erp_deliveries")] == ["fresh"]
