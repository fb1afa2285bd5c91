"""A day that has begun somewhere is not in the future. kamplan knows no user's time zone; judged on UTC's day, a
manager east of Greenwich could not log this morning's meeting until UTC's day caught up (in Vladivostok, UTC+10,
until 10:00), nor record the contact, the dossier answer or the leaving that came with it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from service.api import days
from tests.api.test_buying_center import add
from tests.support.opportunities import setup


def _frozen_at(moment: datetime) -> type[datetime]:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return moment if tz is None else moment.astimezone(tz)

    return Frozen


@pytest.fixture
def late_in_the_utc_day(monkeypatch: pytest.MonkeyPatch) -> date:
    """23:30 UTC today: 09:30 tomorrow in Vladivostok. Returns tomorrow's date, Vladivostok's today."""
    utc_day = datetime.now(UTC).date()
    monkeypatch.setattr(days, "datetime", _frozen_at(datetime.combine(utc_day, time(23, 30), UTC)))
    return utc_day + timedelta(days=1)


async def test_this_mornings_meeting_east_of_utc_is_logged_with_its_contact(
    client: httpx.AsyncClient, auth, late_in_the_utc_day: date
) -> None:
    path, kam, _, _ = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    vladivostok_today = late_in_the_utc_day.isoformat()
    meeting = {
        "kind": "meeting",
        "occurred_on": vladivostok_today,
        "participants": [member],
        "summary": "Breakfast with the chief engineer",
        "learned": {"answers": [{"question_code": "headcount", "value": 5000}]},
    }
    logged = await client.post(f"{path}/interactions", json=meeting, headers=kam)
    assert logged.status_code == 201, logged.text
    node = (await client.get(f"{path}/buying-center/members/{member}", headers=kam)).json()
    assert node["last_contact"] == vladivostok_today
    by_hand = await client.post(
        f"{path}/buying-center/members/{member}/contacts", json={"on": vladivostok_today}, headers=kam
    )
    assert by_hand.status_code == 200, by_hand.text


async def test_a_day_not_yet_begun_anywhere_is_still_in_the_future(
    client: httpx.AsyncClient, auth, store, late_in_the_utc_day: date
) -> None:
    path, kam, _, _ = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    before = await store.head_position()
    beyond = (late_in_the_utc_day + timedelta(days=1)).isoformat()  # 23:30 UTC: 13:30 on Kiritimati (UTC+14)
    meeting = {"kind": "call", "occurred_on": beyond, "participants": [member], "summary": "Not yet"}
    refused = await client.post(f"{path}/interactions", json=meeting, headers=kam)
    assert (refused.status_code, refused.json()["type"]) == (422, "/problems/date-in-future"), refused.text
    contact = await client.post(f"{path}/buying-center/members/{member}/contacts", json={"on": beyond}, headers=kam)
    assert (contact.status_code, contact.json()["type"]) == (422, "/problems/date-in-future"), contact.text
    assert await store.head_position() == before
