"""A project's facts are judged on the buying center as it is known when they are read, not as it stood when they
were recorded: a leaving (or a return) recorded late, dated back over a fact's day, changes whether an interaction
was one with the client and whether a confirmed need counts, in the project's view, its stage gate and the pipeline,
while a view as of a moment before it was recorded still shows what was known then. Nothing stored is rewritten.
Found by review: the verdict was frozen when the fact was recorded, so such a leaving changed nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import unique
from tests.api.test_buying_center import add
from tests.api.test_who_was_there import ally_project, held
from tests.support.opportunities import TODAY, log, open_project, setup

LEFT_ON, ON, BACK_BEFORE, BACK_AFTER = (TODAY - timedelta(days=d) for d in (20, 10, 15, 5))


async def standing(client: httpx.AsyncClient, path: str, kam: dict[str, str], member: str, **days: Any) -> int:
    """Record the member's leaving and, given `returned`, their return, each on its day; the last one's position."""
    card = f"{path}/buying-center/members/{member}"
    position = 0
    for what in ("left", "returned"):
        if what in days:
            answer = await client.post(f"{card}/{what}", json={"on": days[what].isoformat()}, headers=kam)
            assert answer.status_code == 200, answer.text
            position = answer.json()["position"]
    return position


async def last_interaction_on(client: httpx.AsyncClient, auth: Any, team: str, pid: str, position: int) -> str | None:
    """The project's last interaction with the client as the pipeline (read.opportunities) has it at `position`."""
    boss = auth(unique("sup"), Role.SUPERVISOR, team)
    pipeline = await client.get("/v1/pipeline", params={"min_position": position}, headers=boss)
    assert pipeline.status_code == 200, pipeline.text
    [row] = [p for m in pipeline.json()["managers"] for p in m["projects"] if p["opportunity_id"] == pid]
    return row["last_interaction_on"]


async def test_a_leaving_recorded_late_over_an_interactions_day_makes_it_none_with_the_client(
    client: httpx.AsyncClient, auth: Any
) -> None:
    path, kam, team, _ = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    pid = (await open_project(client, path, kam))["opportunity_id"]
    project = f"/v1/opportunities/{pid}"
    logged = await log(client, path, kam, participants=[member], projects=[pid], occurred_on=ON.isoformat())
    assert logged.status_code == 201, logged.text
    view = (await client.get(project, headers=kam)).json()
    assert ([i["with_client"] for i in view["facts"]["interactions"]], held(view, "meeting_or_invitation")) == (
        [True],
        True,
    )
    assert await last_interaction_on(client, auth, team, pid, logged.json()["position"]) == ON.isoformat()
    before = datetime.now(UTC).isoformat()

    position = await standing(client, path, kam, member, left=LEFT_ON)  # they had left by then, we learn now
    view = (await client.get(project, headers=kam)).json()
    assert [i["with_client"] for i in view["facts"]["interactions"]] == [False]
    assert not held(view, "meeting_or_invitation")
    assert await last_interaction_on(client, auth, team, pid, position) is None
    refused = await client.post(f"{project}/stage", json={}, headers=kam)
    assert refused.json()["type"] == "/problems/exit-criteria-not-met", refused.text

    then = (await client.get(project, params={"as_of": before}, headers=kam)).json()  # not known then
    assert ([i["with_client"] for i in then["facts"]["interactions"]], held(then, "meeting_or_invitation")) == (
        [True],
        True,
    )

    position = await standing(client, path, kam, member, returned=BACK_BEFORE)  # back before that day after all
    view = (await client.get(project, headers=kam)).json()
    assert ([i["with_client"] for i in view["facts"]["interactions"]], held(view, "meeting_or_invitation")) == (
        [True],
        True,
    )
    assert await last_interaction_on(client, auth, team, pid, position) == ON.isoformat()


async def test_a_return_dated_before_an_interaction_logged_while_away_makes_it_one_with_the_client(
    client: httpx.AsyncClient, auth: Any
) -> None:
    path, kam, team, _ = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    await standing(client, path, kam, member, left=LEFT_ON)
    pid = (await open_project(client, path, kam))["opportunity_id"]
    project = f"/v1/opportunities/{pid}"
    logged = await log(client, path, kam, participants=[member], projects=[pid], occurred_on=ON.isoformat())
    assert logged.status_code == 201, logged.text
    assert [i["with_client"] for i in (await client.get(project, headers=kam)).json()["facts"]["interactions"]] == [
        False
    ]
    assert await last_interaction_on(client, auth, team, pid, logged.json()["position"]) is None

    position = await standing(client, path, kam, member, returned=BACK_BEFORE)
    view = (await client.get(project, headers=kam)).json()
    assert ([i["with_client"] for i in view["facts"]["interactions"]], held(view, "meeting_or_invitation")) == (
        [True],
        True,
    )
    assert await last_interaction_on(client, auth, team, pid, position) == ON.isoformat()
    assert (await client.post(f"{project}/stage", json={}, headers=kam)).json()["stage"] == "finding_ally"


async def test_a_need_confirmed_on_a_day_an_absence_recorded_late_covers_no_longer_meets_the_gate(
    client: httpx.AsyncClient, auth: Any
) -> None:
    path, kam, ally, _, pid = await ally_project(client, auth)
    project = f"/v1/opportunities/{pid}"
    need = await client.post(
        f"{project}/needs", json={"member_id": ally, "need": "One supplier", "on": ON.isoformat()}, headers=kam
    )
    assert need.status_code == 200, need.text
    assert held(need.json(), "need_confirmed_by_ally")
    before = datetime.now(UTC).isoformat()

    await standing(client, path, kam, ally, left=LEFT_ON, returned=BACK_AFTER)  # away that day, back since
    view = (await client.get(project, headers=kam)).json()
    assert [n["on"] for n in view["facts"]["needs"]] == [ON.isoformat()]  # the fact stays, as history
    assert held(view, "ally_linked")
    assert not held(view, "need_confirmed_by_ally")
    refused = await client.post(f"{project}/stage", json={}, headers=kam)
    assert refused.json()["type"] == "/problems/exit-criteria-not-met", refused.text
    assert "need_confirmed_by_ally" in [u["code"] for u in refused.json()["unmet"]]
    assert held((await client.get(project, params={"as_of": before}, headers=kam)).json(), "need_confirmed_by_ally")


async def test_a_return_dated_before_a_needs_day_lets_it_count_again(client: httpx.AsyncClient, auth: Any) -> None:
    path, kam, ally, _, pid = await ally_project(client, auth)
    project = f"/v1/opportunities/{pid}"
    need = await client.post(
        f"{project}/needs", json={"member_id": ally, "need": "One supplier", "on": ON.isoformat()}, headers=kam
    )
    assert need.status_code == 200, need.text
    await standing(client, path, kam, ally, left=LEFT_ON)
    assert not held((await client.get(project, headers=kam)).json(), "need_confirmed_by_ally")
    await standing(client, path, kam, ally, returned=BACK_BEFORE)
    assert held((await client.get(project, headers=kam)).json(), "need_confirmed_by_ally")
