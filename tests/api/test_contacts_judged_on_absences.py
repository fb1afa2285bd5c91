"""A member's last contact is the latest of their recorded contacts on a day they were the client's, by their
absences as known: a leaving (or a return) recorded late, dated back over a contact's day, takes it out of the last
contact (or puts it back), and the coverage risks and the portfolio follow, while the map as of a moment before it
was recorded still shows what was known then. The contact itself is kept, also through a correction of its
interaction that keeps its day. Found by review: the contact kept counting until its interaction was corrected by
hand, which withdrew it for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import httpx

from service.domain.actors import Role
from tests.api.test_absences_recorded_late import standing
from tests.api.test_accounts import open_account, unique
from tests.api.test_buying_center import add
from tests.api.test_portfolio_lost_accounts import _signal
from tests.support.opportunities import TODAY, log

OLD, LEFT_ON, ON, BACK_BEFORE, BACK_AFTER = (TODAY - timedelta(days=d) for d in (400, 20, 10, 15, 5))


class Met(NamedTuple):
    path: str
    kam: dict[str, str]
    boss: dict[str, str]
    account_id: str
    member: str  # met on ON, in `meeting`
    other: str  # met today
    meeting: str


async def _two_met(client: httpx.AsyncClient, auth: Any) -> Met:
    """An account, its manager and supervisor, a member met on ON (in a meeting logged then) and another met today."""
    team = unique("team")
    kam, boss = auth(unique("kam"), Role.MANAGER, team), auth(unique("sup"), Role.SUPERVISOR, team)
    account_id = (await open_account(client, kam))["account_id"]
    path = f"/v1/accounts/{account_id}"
    member, other = [(await add(client, path, kam))["member"]["member_id"] for _ in range(2)]
    met = await log(client, path, kam, participants=[member], occurred_on=ON.isoformat())
    assert met.status_code == 201, met.text
    assert (await log(client, path, kam, participants=[other])).status_code == 201
    return Met(path, kam, boss, account_id, member, other, met.json()["interaction_id"])


async def _last(client: httpx.AsyncClient, path: str, kam: dict[str, str], member: str, **params: str) -> Any:
    answer = await client.get(f"{path}/buying-center/members/{member}", params=params, headers=kam)
    assert answer.status_code == 200, answer.text
    return answer.json()["last_contact"]


async def _risks(client: httpx.AsyncClient, path: str, kam: dict[str, str], **params: str) -> dict[str, list[str]]:
    view = (await client.get(f"{path}/buying-center", params=params, headers=kam)).json()
    return {r["code"]: r["members"] for r in view["risks"] if r["code"] in ("single-threaded", "stale-contact")}


async def test_a_leaving_recorded_late_over_a_contacts_day_takes_it_out_of_the_last_contact_and_the_risks(
    client: httpx.AsyncClient, auth: Any
) -> None:
    path, kam, boss, account_id, member, other, _ = await _two_met(client, auth)
    card = f"{path}/buying-center/members/{member}"
    assert (await client.post(f"{card}/contacts", json={"on": OLD.isoformat()}, headers=kam)).status_code == 200
    assert await _last(client, path, kam, member) == ON.isoformat()
    assert await _risks(client, path, kam) == {}  # two people we talk to
    before = datetime.now(UTC).isoformat()

    position = await standing(client, path, kam, member, left=LEFT_ON, returned=BACK_AFTER)  # away on ON, we learn
    assert await _last(client, path, kam, member) == OLD.isoformat()  # the contact before the absence
    assert await _risks(client, path, kam) == {"single-threaded": [other], "stale-contact": [member]}
    signal = await _signal(client, boss, account_id, position)
    assert {"single-threaded", "stale-contact"} <= set(signal["risks"]), signal

    assert await _last(client, path, kam, member, as_of=before) == ON.isoformat()  # not known then
    assert await _risks(client, path, kam, as_of=before) == {}


async def test_a_return_dated_back_before_a_contacts_day_puts_it_back_also_after_its_interaction_was_corrected(
    client: httpx.AsyncClient, auth: Any
) -> None:
    path, kam, boss, account_id, member, _, interaction_id = await _two_met(client, auth)
    await standing(client, path, kam, member, left=LEFT_ON)  # gone before ON, not back: no contact on ON counts
    assert await _last(client, path, kam, member) is None
    corrected = await client.post(
        f"/v1/interactions/{interaction_id}/corrections",
        json={
            "kind": "meeting",
            "occurred_on": ON.isoformat(),
            "our_participants": ["kam"],
            "participants": [member],
            "summary": "Talked, at length",
            "reason": "the summary was short",
        },
        headers=kam,
    )
    assert corrected.status_code == 200, corrected.text
    assert await _last(client, path, kam, member) is None

    position = await standing(client, path, kam, member, returned=BACK_BEFORE)  # back before ON after all
    assert await _last(client, path, kam, member) == ON.isoformat()
    assert await _risks(client, path, kam) == {}  # two threads again
    signal = await _signal(client, boss, account_id, position)
    assert not {"single-threaded", "stale-contact"} & set(signal["risks"]), signal


async def test_an_interaction_logged_while_away_is_a_contact_once_a_return_is_dated_back_before_its_day(
    client: httpx.AsyncClient, auth: Any
) -> None:
    """As the project's view counts it with the client (test_absences_recorded_late), so does the map's last contact.
    Found by review: logged while the map had the member away, it recorded no contact, so a return dated back before
    its day left the member without it (single-threaded, stale) while their project was in touch."""
    team = unique("team")
    kam = auth(unique("kam"), Role.MANAGER, team)
    path = f"/v1/accounts/{(await open_account(client, kam))['account_id']}"
    member = (await add(client, path, kam))["member"]["member_id"]
    await standing(client, path, kam, member, left=LEFT_ON)
    logged = await log(client, path, kam, participants=[member], occurred_on=ON.isoformat())
    assert logged.status_code == 201, logged.text
    assert await _last(client, path, kam, member) is None  # away that day, as known then
    before = datetime.now(UTC).isoformat()

    await standing(client, path, kam, member, returned=BACK_BEFORE)  # back before that day after all
    assert await _last(client, path, kam, member) == ON.isoformat()
    assert await _last(client, path, kam, member, as_of=before) is None  # not known then
