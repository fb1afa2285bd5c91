"""Webhooks in: a signed document the rules refuse is a 422 naming its field, and leaves no trace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from service.events import EventStore
from tests.support.erp import order, post, signed


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "quote"}, "body.type"),
        ({"amount": "1_000"}, "body.data.amount"),
        ({"currency": "rub"}, "body.data.currency"),
        ({"on": "20.11.2026"}, "body.data.on"),
        ({"number": ""}, "body.data.number"),
    ],
)
async def test_a_signed_but_bad_document_is_refused_naming_the_field(
    erp: httpx.AsyncClient, account: str, store: EventStore, change: dict, field: str
) -> None:
    before = await store.head_position()
    body = order(account, **change)
    response = await post(erp, body, signed(body))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await store.head_position() == before


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "-5"},
        {"number": "   "},
        {"amount": "1" + "0" * 15},
        {"lines": [{"sku": " ", "quantity": 1, "amount": 1}]},
    ],
)
async def test_a_document_the_rules_refuse_keeps_no_trace_so_the_corrected_one_is_taken_under_its_id(
    erp: httpx.AsyncClient, account: str, store: EventStore, change: dict[str, Any]
) -> None:
    """The delivery id was kept before the rules looked at the document, so the ERP's corrected resend under the
    same id was refused as another body for it."""
    before = await store.head_position()
    bad = order(account, **{"number": "SO-77", **change})
    headers = signed(bad)
    refused = await post(erp, bad, headers)
    assert refused.status_code == 422, refused.text
    assert await store.head_position() == before
    fixed = order(account, number="SO-77", amount="5")
    taken = await post(erp, fixed, signed(fixed, headers["webhook-id"]))
    assert (taken.status_code, taken.json()["replayed"]) == (200, False), taken.text
    assert taken.json()["position"] is not None


async def test_a_document_changed_in_the_future_is_refused_naming_its_timestamp(
    erp: httpx.AsyncClient, account: str, store: EventStore
) -> None:
    """A timestamp of 2999 (an ERP's clock gone wrong) was kept, and every later real version counted as overtaken."""
    before = await store.head_position()
    future = order(account, number="SO-88", timestamp="2999-01-01T00:00:00Z")
    refused = await post(erp, future, signed(future))
    assert refused.status_code == 422, refused.text
    assert (refused.json()["type"], refused.json()["field"]) == ("/problems/date-in-future", "timestamp")
    assert await store.head_position() == before
    soon = order(account, number="SO-88", timestamp=(datetime.now(UTC) + timedelta(seconds=30)).isoformat())
    assert (await post(erp, soon, signed(soon))).status_code == 200  # a clock a little ahead is within tolerance


async def test_a_line_the_rules_refuse_is_named_by_its_index(
    erp: httpx.AsyncClient, account: str, store: EventStore
) -> None:
    """On a long order the ERP must find the line at fault: `lines.sku` named none of them."""
    good = {"sku": "FF-200", "quantity": 1, "amount": 1}
    before = await store.head_position()
    for bad_line, field, kind in (
        ({"sku": " ", "quantity": 1, "amount": 1}, "lines.2.sku", "missing-value"),
        ({"sku": "FF-9", "quantity": "-1", "amount": 1}, "lines.2.quantity", "out-of-range"),
        ({"sku": "FF-9", "quantity": 1, "amount": "0.0000001"}, "lines.2.amount", "out-of-range"),
    ):
        bad = order(account, number="SO-90", lines=[good, good, bad_line, good])
        refused = await post(erp, bad, signed(bad))
        assert refused.status_code == 422, refused.text
        assert (refused.json()["type"], refused.json()["field"]) == (f"/problems/{kind}", field)
    assert await store.head_position() == before
