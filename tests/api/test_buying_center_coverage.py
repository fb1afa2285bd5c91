"""The map's coverage risks over HTTP as a KAM reads them: single-threaded means one person we talk to now, or
none (found by review)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.test_buying_center import add, setup

TODAY = datetime.now(UTC).date()


async def _risks(client: httpx.AsyncClient, path: str, kam: dict[str, str]) -> dict[str, dict[str, Any]]:
    view = (await client.get(f"{path}/buying-center", headers=kam)).json()
    return {r["code"]: r for r in view["risks"]}


async def test_when_the_only_contact_leaves_the_account_is_still_single_threaded(
    client: httpx.AsyncClient, auth
) -> None:
    path, kam = await setup(client, auth)
    assert await _risks(client, path, kam) == {}  # a prospect nobody is mapped for yet (test_coverage_which_accounts)
    only = (await add(client, path, kam, roles=["ally", "user"]))["member"]["member_id"]
    member = f"{path}/buying-center/members/{only}"
    await client.post(f"{member}/contacts", json={"on": TODAY.isoformat()}, headers=kam)
    assert (await _risks(client, path, kam))["single-threaded"]["members"] == [only]
    left = await client.post(f"{member}/left", json={"on": TODAY.isoformat(), "reason": "quit"}, headers=kam)
    assert left.status_code == 200, left.text
    risks = await _risks(client, path, kam)
    assert "single-threaded" in risks, f"nobody at the client is in contact with us, yet: {sorted(risks)}"
    assert risks["single-threaded"]["members"] == []


async def test_a_contact_gone_cold_is_no_second_thread(client: httpx.AsyncClient, auth) -> None:
    """Seed 000 / DOMAIN.md: single-threaded is one contact, whose leaving loses the account. A second person last
    spoken to more than a year ago is no thread: the account hangs on the one person we talk to."""
    path, kam = await setup(client, auth)
    cold = (await add(client, path, kam))["member"]["member_id"]
    warm = (await add(client, path, kam))["member"]["member_id"]
    long_ago = (TODAY - timedelta(days=400)).isoformat()
    await client.post(f"{path}/buying-center/members/{cold}/contacts", json={"on": long_ago}, headers=kam)
    await client.post(f"{path}/buying-center/members/{warm}/contacts", json={"on": TODAY.isoformat()}, headers=kam)
    risks = await _risks(client, path, kam)
    assert risks["stale-contact"]["members"] == [cold]
    assert risks["single-threaded"]["members"] == [warm]
    await client.post(f"{path}/buying-center/members/{cold}/contacts", json={"on": TODAY.isoformat()}, headers=kam)
    assert "single-threaded" not in await _risks(client, path, kam)  # spoken to again: two threads


async def test_no_contact_is_recorded_with_a_member_after_they_left(client: httpx.AsyncClient, auth, store) -> None:
    """Found by review: a contact dated after the member left moved their last contact, as if we still talked."""
    path, kam = await setup(client, auth)
    member_id = (await add(client, path, kam))["member"]["member_id"]
    member = f"{path}/buying-center/members/{member_id}"
    gone = TODAY - timedelta(days=30)
    before_leaving = (gone - timedelta(days=1)).isoformat()
    assert (await client.post(f"{member}/contacts", json={"on": before_leaving}, headers=kam)).status_code == 200
    left = await client.post(f"{member}/left", json={"on": gone.isoformat(), "reason": "retired"}, headers=kam)
    assert left.status_code == 200
    stream = f"buying-center-{path.rsplit('/', 1)[1]}"
    before = await store.read_stream(stream)
    for day in (gone, TODAY):  # the day they left they were no longer the client's, as for a project's meetings
        late = await client.post(f"{member}/contacts", json={"on": day.isoformat()}, headers=kam)
        assert (late.status_code, late.json()["type"]) == (409, "/problems/member-has-left"), late.text
    assert await store.read_stream(stream) == before
    earlier = (gone - timedelta(days=10)).isoformat()  # what we had with them before may still be recorded
    assert (await client.post(f"{member}/contacts", json={"on": earlier}, headers=kam)).status_code == 200
    assert (await client.get(member, headers=kam)).json()["last_contact"] == before_leaving


async def test_an_interaction_after_a_participant_left_is_logged_without_a_contact_with_them(
    client: httpx.AsyncClient, auth
) -> None:
    """Found by review: logging a meeting recorded a contact with a participant who had left by its day. The
    interaction stands (who was there is what was written); only the map's contact is not recorded."""
    path, kam = await setup(client, auth)
    gone, here = [(await add(client, path, kam))["member"]["member_id"] for _ in range(2)]
    left_on = TODAY - timedelta(days=10)
    left = await client.post(
        f"{path}/buying-center/members/{gone}/left", json={"on": left_on.isoformat(), "reason": "quit"}, headers=kam
    )
    assert left.status_code == 200, left.text
    meeting = {"kind": "meeting", "our_participants": ["kam"], "summary": "Met", "participants": [gone, here]}
    logged = await client.post(f"{path}/interactions", json={**meeting, "occurred_on": TODAY.isoformat()}, headers=kam)
    assert logged.status_code == 201, logged.text
    members = f"{path}/buying-center/members"
    assert (await client.get(f"{members}/{gone}", headers=kam)).json()["last_contact"] is None
    assert (await client.get(f"{members}/{here}", headers=kam)).json()["last_contact"] == TODAY.isoformat()
    before = (left_on - timedelta(days=1)).isoformat()  # a meeting before they left is a contact with them
    earlier = await client.post(f"{path}/interactions", json={**meeting, "occurred_on": before}, headers=kam)
    assert earlier.status_code == 201, earlier.text
    assert (await client.get(f"{members}/{gone}", headers=kam)).json()["last_contact"] == before
    moved = await client.post(
        f"/v1/interactions/{earlier.json()['interaction_id']}/corrections",
        json={**meeting, "occurred_on": TODAY.isoformat(), "reason": "the date was wrong"},
        headers=kam,
    )
    assert moved.status_code == 200, moved.text
    assert (await client.get(f"{members}/{gone}", headers=kam)).json()["last_contact"] is None  # no longer a contact


async def test_one_message_carried_into_every_office_is_a_risk(client: httpx.AsyncClient, auth) -> None:
    """DOMAIN.md section 3, seed 000: the immature manager goes from office to office with one and the same key
    message. It was no risk the map computed (found by review)."""
    path, kam = await setup(client, auth)
    message = "Our filters are the most reliable: you should buy them"
    due = (TODAY + timedelta(days=7)).isoformat()
    ids = []
    for role in ("procurement", "user", "signer", "user"):
        member_id = (await add(client, path, kam, roles=[role]))["member"]["member_id"]
        member = f"{path}/buying-center/members/{member_id}"
        plan = {"owner": "kam", "contact_plan": f"  {message.upper()} "}  # the same words, however typed
        assert (await client.put(f"{member}/contact-owner", json=plan, headers=kam)).status_code == 200
        nxt = await client.put(f"{member}/next-action", json={"what": message, "due": due}, headers=kam)
        assert nxt.status_code == 200, nxt.text
        ids.append(member_id)
        if len(ids) == 1:
            assert "same-message" not in await _risks(client, path, kam)
    same = [
        r
        for r in (await client.get(f"{path}/buying-center", headers=kam)).json()["risks"]
        if r["code"] == "same-message"
    ]
    assert [sorted(r["members"]) for r in same] == [sorted(ids)]  # one risk for the group, not one per field
    # the portfolio computes it too, from the read tables
    portfolio = await client.get("/v1/portfolio", params={"min_position": nxt.json()["position"]}, headers=kam)
    [account] = [a for m in portfolio.json()["managers"] for a in m["accounts"] if path.endswith(a["account_id"])]
    assert "same-message" in account["risks"]


async def test_the_same_message_to_people_in_the_same_role_is_no_risk(client: httpx.AsyncClient, auth) -> None:
    path, kam = await setup(client, auth)
    for _ in range(2):
        member_id = (await add(client, path, kam, roles=["user"]))["member"]["member_id"]
        plan = {"owner": "kam", "contact_plan": "Show the winter test report"}
        await client.put(f"{path}/buying-center/members/{member_id}/contact-owner", json=plan, headers=kam)
    assert "same-message" not in await _risks(client, path, kam)


async def test_a_contact_recorded_by_hand_on_a_mistyped_day_is_taken_back(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Found by review: a contact recorded by hand could never be withdrawn, so a mistyped recent day hid a
    contact gone cold for good."""
    path, kam = await setup(client, auth)
    m = (await add(client, path, kam))["member"]["member_id"]
    member = f"{path}/buying-center/members/{m}"
    cold, typo = (TODAY - timedelta(days=400)).isoformat(), TODAY.isoformat()
    for on in (cold, typo):
        assert (await client.post(f"{member}/contacts", json={"on": on}, headers=kam)).status_code == 200
    assert "stale-contact" not in await _risks(client, path, kam)
    before = await store.head_position()
    for day, status, problem in (((TODAY - timedelta(days=1)).isoformat(), 404, "contact-not-found"),
                                 ("not-a-day", 422, "validation")):  # fmt: skip
        refused = await client.delete(f"{member}/contacts/{day}", headers=kam)
        assert (refused.status_code, refused.json()["type"]) == (status, f"/problems/{problem}"), refused.text
    assert await store.head_position() == before
    taken = await client.delete(f"{member}/contacts/{typo}", headers=kam)
    assert taken.status_code == 200, taken.text
    assert taken.json()["member"]["last_contact"] == cold
    assert (await _risks(client, path, kam))["stale-contact"]["members"] == [m]  # the cold contact shows again


async def test_a_due_date_without_a_next_action_is_a_problem_naming_it_that_writes_nothing(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Found by review: a due date sent with an empty `what` cleared the next action set (its date silently
    dropped), where an interaction's `next_step_due` without a `next_step` is a 422 naming `next_step`."""
    path, kam = await setup(client, auth)
    m = (await add(client, path, kam, roles=["user"]))["member"]["member_id"]
    member = f"{path}/buying-center/members/{m}"
    action = {"what": "Send the winter test report", "due": (TODAY + timedelta(days=7)).isoformat()}
    assert (await client.put(f"{member}/next-action", json=action, headers=kam)).status_code == 200
    before = await store.head_position()
    refused = await client.put(f"{member}/next-action", json={"what": "  ", "due": action["due"]}, headers=kam)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["type"], refused.json()["field"]) == ("/problems/missing-value", "what")
    assert await store.head_position() == before
    assert (await client.get(member, headers=kam)).json()["next_action"] == action
    cleared = await client.put(f"{member}/next-action", json={"what": ""}, headers=kam)  # no date: clears it
    assert (cleared.status_code, cleared.json()["member"]["next_action"]) == (200, None), cleared.text


async def test_a_next_action_without_its_date_is_a_problem_naming_due(client: httpx.AsyncClient, auth, store) -> None:
    """Found by review: `due-date-required` named no field, where an interaction's names `next_step_due`."""
    path, kam = await setup(client, auth)
    m = (await add(client, path, kam, roles=["user"]))["member"]["member_id"]
    before = await store.head_position()
    refused = await client.put(f"{path}/buying-center/members/{m}/next-action", json={"what": "Call"}, headers=kam)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["type"], refused.json().get("field")) == ("/problems/due-date-required", "due")
    assert await store.head_position() == before
