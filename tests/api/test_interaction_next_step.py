"""An interaction's next step comes after it: due on its day or later, never before it happened (it was logged with a
next step due the week before the meeting, which every overdue list then showed as long late)."""

from __future__ import annotations

from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique
from tests.api.test_buying_center import add


async def _setup(client: httpx.AsyncClient, auth) -> tuple[str, dict[str, str], str]:
    kam = auth(unique("kam"), Role.MANAGER, "north")
    account = await open_account(client, kam)
    path = f"/v1/accounts/{account['account_id']}"
    member = (await add(client, path, kam))["member"]["member_id"]
    return path, kam, member


def _entry(member: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "meeting",
        "occurred_on": "2026-11-10",
        "participants": [member],
        "summary": "Trial results",
        "next_step": "Send the cost calculation",
        **fields,
    }


async def test_a_next_step_due_before_the_interaction_is_refused_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient, auth, store
) -> None:
    path, kam, member = await _setup(client, auth)
    centre = f"buying-center-{path.rsplit('/', 1)[1]}"
    before = await store.read_stream(centre)
    early = await client.post(f"{path}/interactions", json=_entry(member, next_step_due="2026-11-09"), headers=kam)
    assert early.status_code == 422, early.text
    problem = early.json()
    assert (problem["type"], problem["field"], problem["occurred_on"]) == (
        "/problems/due-before-interaction",
        "next_step_due",
        "2026-11-10",
    )
    assert await store.read_stream(centre) == before  # no contact recorded either
    timeline = await client.get(f"{path}/timeline", headers=kam)
    assert timeline.json()["items"] == []


async def test_a_next_step_due_on_the_day_of_the_interaction_or_later_is_taken(client: httpx.AsyncClient, auth) -> None:
    path, kam, member = await _setup(client, auth)
    for due in ("2026-11-10", "2026-11-11"):
        logged = await client.post(f"{path}/interactions", json=_entry(member, next_step_due=due), headers=kam)
        assert logged.status_code == 201, logged.text
        assert logged.json()["details"]["next_step_due"] == due


async def test_a_correction_may_not_put_the_next_step_before_the_interaction(
    client: httpx.AsyncClient, auth, store
) -> None:
    path, kam, member = await _setup(client, auth)
    logged = await client.post(f"{path}/interactions", json=_entry(member, next_step_due="2026-11-12"), headers=kam)
    assert logged.status_code == 201, logged.text
    entry = f"/v1/interactions/{logged.json()['interaction_id']}"
    stream = f"interaction-{logged.json()['interaction_id']}"
    before = await store.read_stream(stream)
    for fields in ({"next_step_due": "2026-11-01"}, {"occurred_on": "2026-11-13", "next_step_due": "2026-11-12"}):
        corrected = await client.post(
            f"{entry}/corrections", json={**_entry(member, **fields), "reason": "typo"}, headers=kam
        )
        assert corrected.status_code == 422, (fields, corrected.text)
        assert (corrected.json()["type"], corrected.json()["field"]) == (
            "/problems/due-before-interaction",
            "next_step_due",
        )
    assert await store.read_stream(stream) == before


async def test_a_timeline_whose_until_is_before_its_since_is_refused_not_shown_empty(
    client: httpx.AsyncClient, auth
) -> None:
    """A mistyped period answered an empty timeline, as if nothing had happened with the client: now a 422 naming
    `until`, as the conversion report answers."""
    path, kam, member = await _setup(client, auth)
    logged = await client.post(f"{path}/interactions", json=_entry(member, next_step_due="2026-11-12"), headers=kam)
    assert logged.status_code == 201, logged.text
    for timeline in (f"{path}/timeline", f"{path}/buying-center/members/{member}/timeline"):
        refused = await client.get(timeline, params={"since": "2026-11-12", "until": "2026-11-01"}, headers=kam)
        assert refused.status_code == 422, refused.text
        assert (refused.json()["type"], refused.json()["field"], refused.json()["since"]) == (
            "/problems/period-ends-before-it-starts",
            "until",
            "2026-11-12",
        )
        one_day = await client.get(
            timeline,
            params={"since": "2026-11-10", "until": "2026-11-10", "min_position": logged.json()["position"]},
            headers=kam,
        )
        assert [i["interaction_id"] for i in one_day.json()["items"]] == [logged.json()["interaction_id"]]


async def test_a_due_date_for_no_next_step_is_refused_and_the_next_step_and_outcome_are_trimmed(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Found by review: a due date without a next step, or with one of blanks only, was stored, and showed as a
    next step of nothing in every overdue list."""
    path, kam, member = await _setup(client, auth)
    for next_step in ("", "   "):
        refused = await client.post(
            f"{path}/interactions", json=_entry(member, next_step=next_step, next_step_due="2026-11-12"), headers=kam
        )
        assert (refused.status_code, refused.json()["type"], refused.json()["field"]) == (
            422,
            "/problems/missing-value",
            "next_step",
        ), refused.text
    undated = await client.post(f"{path}/interactions", json=_entry(member), headers=kam)
    assert (undated.json()["type"], undated.json()["field"]) == ("/problems/due-date-required", "next_step_due")
    assert (await client.get(f"{path}/timeline", headers=kam)).json()["items"] == []
    logged = await client.post(
        f"{path}/interactions",
        json=_entry(member, next_step="  Send the calculation ", next_step_due="2026-11-12", outcome=" Agreed "),
        headers=kam,
    )
    assert logged.status_code == 201, logged.text
    details = logged.json()["details"]
    assert (details["next_step"], details["outcome"]) == ("Send the calculation", "Agreed")


async def test_a_correction_carrying_what_was_learnt_is_refused_not_dropped_unseen(
    client: httpx.AsyncClient, auth, store
) -> None:
    """A correction takes no `learned`: it used to answer 200 and drop it, so the client believed it recorded."""
    path, kam, member = await _setup(client, auth)
    logged = await client.post(f"{path}/interactions", json=_entry(member, next_step_due="2026-11-12"), headers=kam)
    entry = f"/v1/interactions/{logged.json()['interaction_id']}"
    before = await store.head_position()
    learned = {"assessments": [{"member_id": member, "attitude": 2, "note": "defended us"}]}
    correction = {**_entry(member, next_step_due="2026-11-12"), "reason": "typo", "learned": learned}
    refused = await client.post(f"{entry}/corrections", json=correction, headers=kam)
    assert refused.status_code == 422, refused.text
    assert [(e["field"], e["type"]) for e in refused.json()["errors"]] == [("body.learned", "extra_forbidden")]
    assert await store.head_position() == before
