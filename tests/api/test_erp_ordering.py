"""Webhooks in: the ERP's deliveries arrive out of order, and the purchase history keeps the newest version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from service.commands.aggregates import PURCHASES, purchases_stream
from service.domain.actors import Role
from service.events import EventStore
from service.events.aggregate import Repository
from tests.support.erp import KAM, order, post, signed

Auth = Callable[..., dict[str, str]]


async def documents(erp: httpx.AsyncClient, auth: Auth, account: str, **params: str) -> list[dict[str, Any]]:
    history = await erp.get(f"/v1/accounts/{account}/purchases", params=params, headers=auth(**KAM))
    assert history.status_code == 200, history.text
    return history.json()["documents"]


async def test_an_older_version_delivered_late_does_not_overwrite_a_newer_unchanged_one(
    erp: httpx.AsyncClient, auth: Auth, account: str
) -> None:
    """The ERP changed SO-RE-1 from A to B at 10:05 and back to A at 10:10; B's delivery, retried, came last. A at
    10:10 wrote nothing, being unchanged, so the 10:00 kept let B in as revision 2 (found by review)."""
    a_first = order(account, number="SO-RE-1", amount="100.00", timestamp="2026-11-20T10:00:00Z")
    a_last = order(account, number="SO-RE-1", amount="100.00", timestamp="2026-11-20T10:10:00Z")
    b_middle = order(account, number="SO-RE-1", amount="999.00", timestamp="2026-11-20T10:05:00Z")
    for body in (a_first, a_last, b_middle):
        r = await post(erp, body, signed(body))
        assert r.status_code == 200, r.text
    [doc] = [d for d in await documents(erp, auth, account) if d["number"] == "SO-RE-1"]
    assert (doc["amount"], doc["revision"]) == ("100.00", 1), doc  # was 999.00, revision 2


async def test_the_later_time_of_an_unchanged_document_is_an_event_that_every_read_folds_alike(
    erp: httpx.AsyncClient, auth: Auth, account: str, store: EventStore
) -> None:
    a_first = order(account, number="SO-RE-2", amount="100.00", timestamp="2026-11-20T10:00:00Z")
    a_last = order(account, number="SO-RE-2", amount="100.00", timestamp="2026-11-20T10:10:00Z")
    await post(erp, a_first, signed(a_first))
    headers = signed(a_last)
    later = await post(erp, a_last, headers)
    assert later.json()["position"] is not None
    again = await post(erp, a_last, signed(a_last, headers["webhook-id"]))  # the ERP's retry of that delivery
    assert (again.json()["replayed"], again.json()["position"]) == (True, later.json()["position"])
    b_middle = order(account, number="SO-RE-2", amount="999.00", timestamp="2026-11-20T10:05:00Z")
    assert (await post(erp, b_middle, signed(b_middle))).json()["position"] is None

    events = await store.read_stream(purchases_stream(account))
    assert [e.event_type for e in events] == ["PurchaseDocumentRecorded", "PurchaseDocumentReaffirmed"]
    assert events[1].data["changed_at"] == "2026-11-20T10:10:00+00:00"
    assert events[1].data["delivery_id"] == headers["webhook-id"]
    # a fold from the start, one passing through snapshots at every version, and a load from those agree
    plain = await Repository(store, snapshot_every=10_000).load(PURCHASES, purchases_stream(account))
    snapshotting = Repository(store, snapshot_every=1)
    await snapshotting.load(PURCHASES, purchases_stream(account))
    from_snapshot = await snapshotting.load(PURCHASES, purchases_stream(account))
    assert from_snapshot.events_folded == 0
    assert from_snapshot.state == plain.state
    [kept] = plain.state.documents.values()
    assert (kept.amount, kept.revision, kept.changed_at.isoformat()) == (100, 1, "2026-11-20T10:10:00+00:00")
    # and the history as it stood before the reaffirmation shows the same document
    stream = await erp.get(f"/v1/streams/purchases-{account}", headers=auth("root", Role.ADMIN))
    before = stream.json()["events"][0]["recorded_at"]
    assert await documents(erp, auth, account, as_of=before) == await documents(erp, auth, account)


async def test_a_version_sent_without_a_timestamp_does_not_let_an_older_one_back_in(
    erp: httpx.AsyncClient, auth: Auth, account: str
) -> None:
    """An untimed version left the kept time empty, and any late delivery was then taken as news."""
    timed = order(account, number="SO-UT-1", amount="100.00", timestamp="2026-11-20T10:00:00Z")
    untimed = order(account, number="SO-UT-1", amount="120.00", timestamp=None)
    older = order(account, number="SO-UT-1", amount="90.00", timestamp="2026-11-20T09:55:00Z")
    for body in (timed, untimed, older):
        assert (await post(erp, body, signed(body))).status_code == 200
    [doc] = [d for d in await documents(erp, auth, account) if d["number"] == "SO-UT-1"]
    assert (doc["amount"], doc["revision"]) == ("120.00", 2)
    newer = order(account, number="SO-UT-1", amount="130.00", timestamp="2026-11-20T10:05:00Z")
    assert (await post(erp, newer, signed(newer))).json()["position"] is not None


async def test_a_document_first_sent_without_a_timestamp_takes_the_time_of_its_first_timed_resend(
    erp: httpx.AsyncClient, auth: Auth, account: str
) -> None:
    untimed = order(account, number="SO-UT-2", amount="100.00", timestamp=None)
    timed = order(account, number="SO-UT-2", amount="100.00", timestamp="2026-11-20T10:10:00Z")
    older = order(account, number="SO-UT-2", amount="999.00", timestamp="2026-11-20T10:05:00Z")
    for body in (untimed, timed, older):
        assert (await post(erp, body, signed(body))).status_code == 200
    [doc] = [d for d in await documents(erp, auth, account) if d["number"] == "SO-UT-2"]
    assert (doc["amount"], doc["revision"]) == ("100.00", 1)


async def test_a_delivery_ignored_as_overtaken_says_so_in_its_answer(erp: httpx.AsyncClient, account: str) -> None:
    newer = order(account, number="SO-WARN", amount="200.00", timestamp="2026-11-20T12:00:00Z")
    older = order(account, number="SO-WARN", amount="100.00", timestamp="2026-11-20T11:00:00+01:00")
    await post(erp, newer, signed(newer))
    unchanged = (await post(erp, newer, signed(newer))).json()
    assert (unchanged["position"], unchanged["warnings"]) == (None, [])  # nothing new, but nothing stale either
    headers = signed(older)
    late = await post(erp, older, headers)
    assert late.status_code == 200
    assert late.json()["position"] is None
    [warning] = late.json()["warnings"]
    assert warning["code"] == "delivery-overtaken"
    assert warning["details"] == {
        "timestamp": "2026-11-20T10:00:00+00:00",
        "kept_timestamp": "2026-11-20T12:00:00+00:00",
        "kept_revision": 1,
    }
    again = await post(erp, older, signed(older, headers["webhook-id"]))  # its redelivery answers alike
    assert again.json()["warnings"] == late.json()["warnings"]
