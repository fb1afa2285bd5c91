"""A forget reaches every generation of a projection.

The forget is an event in the log (`SubjectForgotten`), so each generation takes it when its own runner gets there:
a generation newer code builds during a rolling upgrade as much as the live one. One stuck on a failing batch before
it takes it ahead of its checkpoint, refolding its rows there. A build of another version that no process runs any
more has no runner to take it: see test_forgetting_unrun_builds.py.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from service.config import Settings
from service.domain.actors import Role
from service.domain.settings.defaults import default_settings
from service.projections import generations as gens
from service.projections.buying_centers import BuyingCenters
from service.projections.dossiers import Dossiers
from tests.conftest import IsolatedDb, caught_up
from tests.support.apps import client_without_projections
from tests.support.generations import (
    MARKER,
    Failing,
    HeldRunner,
    NewerCode,
    Stuck,
    all_rows,
    generations,
    member_names,
)
from tests.support.webhooks import eventually


class StuckDossiers(Failing, Dossiers):
    pass


async def _failures(db: IsolatedDb, names: list[str]) -> dict[str, int]:
    """Failed attempts of each live generation's batch so far."""
    async with db.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT name, (failure ->> 'attempts')::int AS attempts FROM projection_generations"
            " WHERE status = 'live' AND name = ANY($1::text[])",
            names,
        )
    return {r["name"]: r["attempts"] for r in rows}


def _ahead(caplog: pytest.LogCaptureFixture) -> dict[str, int]:
    """How many times each projection applied forgets ahead of its checkpoint."""
    found = [r.getMessage().split()[1] for r in caplog.records if "to its rows there ahead of it" in r.getMessage()]
    return {name: found.count(name) for name in found}


def _quoting(rows: dict[str, list[str]]) -> dict[str, int]:
    return {table: sum(MARKER in r for r in found) for table, found in rows.items()}


async def test_a_live_generation_stuck_on_a_failing_batch_forgets_at_its_checkpoint_then_catches_up_when_mended(
    isolated: IsolatedDb, settings: Settings, auth, running, caplog: pytest.LogCaptureFixture
) -> None:
    """Its rows are the fold of the log up to its checkpoint as the log reads now, where the person reads redacted:
    refolded there, they forget her without running ahead of the batch that fails."""
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    Failing.fail_from = None
    projections = [Stuck(isolated.store.upcasters), StuckDossiers(isolated.store.upcasters)]
    names = [p.name for p in projections]
    async with client_without_projections(isolated.url, settings) as client:
        account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
        path = f"/v1/accounts/{account['account_id']}"
        members = f"{path}/buying-center/members"
        alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
        bob = (await client.post(members, json={"name": "Bob"}, headers=kam)).json()["member"]["member_id"]
        plan = {"owner": "kam-1", "contact_plan": f"lunch with {MARKER}"}
        assert (await client.put(f"{members}/{alice}/contact-owner", json=plan, headers=kam)).status_code == 200
        link = {"source": alice, "target": bob, "kind": "allied_with", "note": f"{MARKER} trusts Bob"}
        assert (await client.post(f"{path}/buying-center/relationships", json=link, headers=kam)).is_success
        answer = {"question_code": _personal_question(), "value": f"sails with {MARKER}", "about": alice,
                  "source": f"{MARKER}'s sister", "learned_on": "2026-11-01"}  # fmt: skip
        assert (await client.post(f"{path}/dossier/answers", json=answer, headers=kam)).status_code == 201
        runner = running(projections, batch_size=1)
        runner.poll_seconds = 0.02
        stuck_at = await caught_up(isolated, names)
        Failing.fail_from = stuck_at + 1
        # the failing batches are of the very streams that name her
        assert (await client.post(members, json={"name": "Carol"}, headers=kam)).status_code == 201
        later = {**answer, "about": bob, "value": "sails too", "source": "Bob"}
        assert (await client.post(f"{path}/dossier/answers", json=later, headers=kam)).status_code == 201
        failing = {
            name: await eventually(lambda n=name: generations(isolated, n), lambda g: g[0][-1]) for name in names
        }
        for name in names:
            assert sum(_quoting(await all_rows(isolated, name, 1)).values()) > 0
        forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
        assert forgot.status_code == 200, forgot.text
        for name in names:
            await eventually(lambda n=name: all_rows(isolated, n, 1), lambda r: not any(_quoting(r).values()), 10)
            assert await generations(isolated, name) == failing[name]  # still failing, before its batch
        assert [g[0][3] for g in failing.values()] == [stuck_at, stuck_at + 1]  # dossiers passed Carol, not its type
        assert await member_names(isolated) == [None, "Bob"]  # Carol comes with the failing batch
        assert len((await all_rows(isolated, "dossiers", 1))["dossier_answers"]) == 1  # Bob's comes with it too
        retries = await _failures(isolated, names)
        await eventually(lambda: _failures(isolated, names), lambda f: all(f[n] >= retries[n] + 2 for n in names))
        assert _ahead(caplog) == {name: 1 for name in names}  # once each, not again at every retry
        assert (await client.post(f"/v1/people/{bob}/forget", headers=admin)).status_code == 200  # a later one
        await eventually(lambda: member_names(isolated), lambda n: n == [None, None])
        await eventually(lambda: _failures(isolated, names), lambda f: all(f[n] >= retries[n] + 5 for n in names))
        assert _ahead(caplog) == {name: 2 for name in names}
        Failing.fail_from = None  # the fix is deployed
        await caught_up(isolated, names)
    assert await member_names(isolated) == [None, None, "Carol"]
    mended = {name: await all_rows(isolated, name, 1) for name in names}
    for name in names:
        assert not (await generations(isolated, name))[0][-1]
        assert not any(_quoting(mended[name]).values())
    async with isolated.pool.acquire() as conn:  # a fresh rebuild, from the log as it reads now
        for projection in projections:
            await gens.start_rebuild(conn, projection)
    for name in names:
        await eventually(lambda n=name: generations(isolated, n), lambda g: [g[0][2], g[1][2]] == ["retired", "live"])
    await caught_up(isolated, names)
    assert {name: await all_rows(isolated, name, 2) for name in names} == mended


def _personal_question() -> str:
    return next(
        q.code
        for g in default_settings().template.groups
        for q in g.questions
        if q.personal and q.answer_type.value == "text"
    )


async def test_a_generation_newer_code_builds_forgets_once_it_catches_up_and_goes_live(
    isolated: IsolatedDb, settings: Settings, auth, running
) -> None:
    kam, admin = auth("kam-1", Role.MANAGER, "north"), auth("root", Role.ADMIN)
    async with client_without_projections(isolated.url, settings) as client:
        account = (await client.post("/v1/accounts", json={"name": "Client"}, headers=kam)).json()
        members = f"/v1/accounts/{account['account_id']}/buying-center/members"
        alice = (await client.post(members, json={"name": MARKER}, headers=kam)).json()["member"]["member_id"]
        hold_after = await isolated.store.head_position()
        assert (await client.post(members, json={"name": "Bob"}, headers=kam)).status_code == 201
        old = BuyingCenters(isolated.store.upcasters)
        running([old], batch_size=1)
        await caught_up(isolated, ["buying_centers"])  # the older code serves generation 1
        newer = HeldRunner(
            isolated.store, [NewerCode(isolated.store.upcasters)], hold_after=hold_after, poll_seconds=0.1,
            batch_size=1, build_batch_size=1,
        )  # fmt: skip
        newer_task = asyncio.create_task(newer.run())
        try:
            await _forget_while_newer_code_is_held(isolated, client, newer, alice, admin)
        finally:
            newer_task.cancel()
            await asyncio.gather(newer_task, return_exceptions=True)
    assert await member_names(isolated) == [None, "Bob"]
    async with isolated.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM read.buying_center_members_g2 WHERE name = $1", MARKER) == 0


async def _forget_while_newer_code_is_held(
    isolated: IsolatedDb, client: httpx.AsyncClient, newer: HeldRunner, alice: str, admin: dict[str, str]
) -> None:
    building = await eventually(lambda: generations(isolated), lambda g: len(g) == 2)
    assert building[1][:3] == (2, NewerCode.version, "building")
    await eventually(lambda: member_names(isolated, "buying_center_members_g2"), lambda n: n == [MARKER])
    forgot = await client.post(f"/v1/people/{alice}/forget", headers=admin)
    assert forgot.status_code == 200, forgot.text
    await caught_up(isolated, ["buying_centers"])
    assert await member_names(isolated) == [None, "Bob"]  # the older code's live generation forgot her
    _, _, status, position, _ = (await generations(isolated))[1]  # its process holds the lease: not emptied
    assert (status, position > 0) == ("building", True)
    assert await member_names(isolated, "buying_center_members_g2") == [MARKER]  # that process applies it, below
    newer.go.set()  # the newer process goes on, with Bob's batch read before the forget
    await eventually(lambda: generations(isolated), lambda g: [s for _, _, s, *_ in g] == ["retired", "live"])
    await caught_up(isolated, ["buying_centers"])
