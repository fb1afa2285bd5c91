"""The lists across accounts in cursor pages: the review queue, the plan budgets and the pipeline (by manager), each
row once and in order across pages, a tampered cursor a 422, and every page confined to what the caller may see."""

from __future__ import annotations

from typing import Any

import httpx

from service.api.pagination import encode_cursor
from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique
from tests.support.opportunities import open_project
from tests.support.plans import ACTION, GOAL, ok


async def walk(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], limit: int, key: str = "items", **params: Any
) -> tuple[list[dict[str, Any]], int]:
    """Every page of `path`, `limit` at a time, following next_cursor: the rows in the order served, and how many
    pages there were."""
    rows: list[dict[str, Any]] = []
    cursor, pages = None, 0
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = await ok(await client.get(path, params=query, headers=headers))
        pages += 1
        assert len(body[key]) <= limit
        rows += body[key]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows, pages
        assert body[key], "a page that promises more holds something"


async def start_plan(client: httpx.AsyncClient, kam: dict[str, str], **account: Any) -> str:
    """A plan on a new key account of `kam` (opened by `account["by"]`, for kam, when given)."""
    by = account.pop("by", kam)
    opened = await open_account(client, by, is_key=True, key_reason="wholesale buyer", **account)
    started = await client.post(
        f"/v1/accounts/{opened['account_id']}/plans",
        json={"title": "Valves 2026–2028", "horizon_from": 2026, "horizon_to": 2028},
        headers=kam,
    )
    assert started.status_code == 201, started.text
    return f"/v1/plans/{started.json()['plan_id']}"


async def test_the_review_queue_pages_oldest_first_each_revision_once(client: httpx.AsyncClient, auth) -> None:
    team = unique("team")
    boss = auth(unique("sup"), Role.SUPERVISOR, team)
    one, two = unique("kam"), unique("kam")
    first, second = auth(one, Role.MANAGER, team), auth(two, Role.MANAGER, team)
    proposed = []  # in the order proposed: the queue's order
    for kam in (first, second, first, second, first):
        plan = await start_plan(client, kam)
        await ok(await client.put(f"{plan}/draft/goal/g1", json=GOAL, headers=kam))
        proposed.append((await ok(await client.post(f"{plan}/revisions", json={}, headers=kam)), kam))
    elsewhere = auth(unique("kam"), Role.MANAGER, unique("team"))  # another team's proposal, in no page of ours
    other = await start_plan(client, elsewhere)
    await ok(await client.put(f"{other}/draft/goal/g1", json=GOAL, headers=elsewhere))
    last = await ok(await client.post(f"{other}/revisions", json={}, headers=elsewhere))
    wait = {"min_position": last["position"]}

    rows, pages = await walk(client, "/v1/plan-reviews", boss, 2, **wait)

    assert [r["plan_id"] for r in rows] == [view["plan_id"] for view, _ in proposed]
    assert pages == 3
    assert [r["proposed_at"] for r in rows] == sorted(r["proposed_at"] for r in rows)
    whole = await ok(await client.get("/v1/plan-reviews", params={**wait, "limit": 500}, headers=boss))
    assert (whole["items"], whole["next_cursor"]) == (rows, None)
    # a manager pages through their own proposals only; the supervisor narrowed to one manager likewise
    ours = [view["plan_id"] for view, kam in proposed if kam is first]
    mine, pages = await walk(client, "/v1/plan-reviews", first, 1, **wait)
    assert ([r["plan_id"] for r in mine], pages) == (ours, 3)
    narrowed, _ = await walk(client, "/v1/plan-reviews", boss, 2, manager=one, **wait)
    assert [r["plan_id"] for r in narrowed] == ours
    stranger = auth(unique("sup"), Role.SUPERVISOR, unique("team"))
    assert await walk(client, "/v1/plan-reviews", stranger, 1, **wait) == ([], 1)


async def test_plan_budgets_page_by_team_manager_period_and_currency(client: httpx.AsyncClient, auth) -> None:
    team, base = unique("team"), unique("kam")
    boss, admin = auth(unique("sup"), Role.SUPERVISOR, team), auth("root", Role.ADMIN)
    a, b = f"{base}-a", f"{base}-b"
    kam_a, kam_b = auth(a, Role.MANAGER, team), auth(b, Role.MANAGER, team)
    actions = {
        "action/a1": ACTION,
        "action/a2": {**ACTION, "period": "2026", "due": "2026-06-30", "cost": "1000"},
        "action/a3": {**ACTION, "currency": "EUR", "cost": "7000"},
    }
    position = 0
    for kam in (kam_a, kam_b):
        plan = await start_plan(client, kam)
        position = await agree(client, plan, kam, boss, actions)
    # an account without a team (an admin without one opened it for kam a): its rows come after every team's
    teamless = await start_plan(client, kam_a, by=admin, owner=a)
    position = await agree(client, teamless, kam_a, admin, {k: actions[k] for k in ("action/a1", "action/a2")})
    wait = {"min_position": position}

    rows, pages = await walk(client, "/v1/plan-budgets", boss, 2, **wait)

    def keys(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(r["team"], r["manager"], r["period"], r["currency"]) for r in rows]

    expected = [
        (team, manager, period, currency)
        for manager in (a, b)
        for period, currency in (("2026", "RUB"), ("2027", "EUR"), ("2027", "RUB"))
    ]
    assert (keys(rows), pages) == (expected, 3)
    assert [(r["budget"], r["actions"]) for r in rows[:3]] == [("1000", 1), ("7000", 1), ("450000", 1)]
    whole = await ok(await client.get("/v1/plan-budgets", params={**wait, "limit": 500}, headers=boss))
    assert (whole["items"], whole["next_cursor"]) == (rows, None)
    # one manager's rows in every team, the one without a team last, one a page
    across, pages = await walk(client, "/v1/plan-budgets", admin, 1, manager=a, **wait)
    assert (keys(across), pages) == ([*expected[:3], (None, a, "2026", "RUB"), (None, a, "2027", "RUB")], 5)
    mine, _ = await walk(client, "/v1/plan-budgets", kam_a, 2, **wait)  # a manager sees theirs, whatever the team
    assert mine == across
    theirs, _ = await walk(client, "/v1/plan-budgets", kam_b, 1, **wait)
    assert keys(theirs) == expected[3:]
    stranger = auth(unique("sup"), Role.SUPERVISOR, unique("team"))
    assert await walk(client, "/v1/plan-budgets", stranger, 1, **wait) == ([], 1)


async def agree(
    client: httpx.AsyncClient, plan: str, kam: dict[str, str], boss: dict[str, str], items: dict[str, Any]
) -> int:
    for path, body in items.items():
        await ok(await client.put(f"{plan}/draft/{path}", json=body, headers=kam))
    await ok(await client.post(f"{plan}/revisions", json={}, headers=kam))
    return (await ok(await client.post(f"{plan}/revisions/1/agree", json={}, headers=boss)))["position"]


def three_managers(auth) -> tuple[str, str, dict[str, str], dict[str, dict[str, str]]]:
    """A new team: its name, the managers' common prefix, the supervisor's headers, and three managers' headers by
    name (`prefix-a`, `-b`, `-c`, in the order the lists sort them)."""
    team, base = unique("team"), unique("kam")
    boss = auth(unique("sup"), Role.SUPERVISOR, team)
    return team, base, boss, {f"{base}-{x}": auth(f"{base}-{x}", Role.MANAGER, team) for x in "abc"}


async def test_the_pipeline_pages_by_manager_each_with_all_their_projects(client: httpx.AsyncClient, auth) -> None:
    team, base, boss, heads = three_managers(auth)
    opened: dict[str, list[str]] = {}
    position = 0
    for (name, kam), count in zip(heads.items(), (3, 1, 2), strict=True):
        account = await open_account(client, kam)
        projects = [await open_project(client, f"/v1/accounts/{account['account_id']}", kam) for _ in range(count)]
        opened[name] = [p["opportunity_id"] for p in projects]
        position = projects[-1]["position"]
    wait = {"min_position": position}

    managers, pages = await walk(client, "/v1/pipeline", boss, 2, key="managers", **wait)

    assert ([m["manager"] for m in managers], pages) == (list(heads), 2)
    assert {m["manager"]: [p["opportunity_id"] for p in m["projects"]] for m in managers} == opened
    assert [sum(s["projects"] for s in m["stages"]) for m in managers] == [3, 1, 2]
    whole = await ok(await client.get("/v1/pipeline", params={**wait, "limit": 500}, headers=boss))
    assert (whole["managers"], whole["next_cursor"]) == (managers, None)
    first = await ok(await client.get("/v1/pipeline", params={**wait, "limit": 1}, headers=boss))
    assert (first["stalled_days"], [m["manager"] for m in first["managers"]]) == (whole["stalled_days"], [base + "-a"])
    # a manager sees only their own; an admin narrowed to the team sees the same managers as the supervisor
    b = f"{base}-b"
    assert await walk(client, "/v1/pipeline", heads[b], 1, key="managers", **wait) == ([managers[1]], 1)
    admin = auth("root", Role.ADMIN)
    everyone, pages = await walk(client, "/v1/pipeline", admin, 1, key="managers", team=team, **wait)
    assert (everyone, pages) == (managers, 3)
    stranger = auth(unique("sup"), Role.SUPERVISOR, unique("team"))
    assert await walk(client, "/v1/pipeline", stranger, 1, key="managers", **wait) == ([], 1)


async def test_the_portfolio_pages_by_manager_each_with_all_their_accounts(client: httpx.AsyncClient, auth) -> None:
    _, base, boss, heads = three_managers(auth)
    opened: dict[str, list[str]] = {}
    position = 0
    for (name, kam), count in zip(heads.items(), (2, 1, 3), strict=True):
        accounts = [await open_account(client, kam, name=f"Client {i}") for i in range(count)]
        opened[name] = [a["account_id"] for a in accounts]
        position = accounts[-1]["position"]
    wait = {"min_position": position}

    managers, pages = await walk(client, "/v1/portfolio", boss, 2, key="managers", **wait)

    assert ([m["manager"] for m in managers], pages) == (list(heads), 2)
    assert {m["manager"]: [a["account_id"] for a in m["accounts"]] for m in managers} == opened
    whole = await ok(await client.get("/v1/portfolio", params={**wait, "limit": 500}, headers=boss))
    assert (whole["managers"], whole["next_cursor"]) == (managers, None)
    b = f"{base}-b"
    assert await walk(client, "/v1/portfolio", heads[b], 1, key="managers", **wait) == ([managers[1]], 1)
    stranger = auth(unique("sup"), Role.SUPERVISOR, unique("team"))
    assert await walk(client, "/v1/portfolio", stranger, 1, key="managers", **wait) == ([], 1)


async def test_a_tampered_cursor_of_these_lists_is_an_invalid_cursor_problem(client: httpx.AsyncClient, auth) -> None:
    boss = auth(unique("sup"), Role.SUPERVISOR, unique("team"))
    budget = {"team": "t", "manager": "m", "period": "2027", "currency": "RUB"}
    cases = [
        ("/v1/plan-reviews", "%%%"),
        ("/v1/plan-reviews", {"plan_id": "p"}),  # no proposed_at
        ("/v1/plan-reviews", {"proposed_at": "2026-05-01T10:00:00", "plan_id": "p"}),  # no time zone
        ("/v1/plan-reviews", {"proposed_at": "0001-01-01T00:00:00+05:00", "plan_id": "p"}),  # before year 1 in UTC
        ("/v1/plan-reviews", {"proposed_at": 1767225600, "plan_id": "p"}),
        ("/v1/plan-reviews", {"proposed_at": "2026-05-01T10:00:00Z", "plan_id": "p\x00"}),
        ("/v1/plan-reviews", {"proposed_at": "2026-05-01T10:00:00Z", "plan_id": None}),
        ("/v1/plan-budgets", {**budget, "team": 7}),
        ("/v1/plan-budgets", {**budget, "manager": None}),
        ("/v1/plan-budgets", {**budget, "period": "2027\x00"}),
        ("/v1/plan-budgets", {k: v for k, v in budget.items() if k != "currency"}),
        ("/v1/plan-budgets", list(budget.values())),  # not an object
        ("/v1/plan-budgets", {"before": 3}),  # another list's cursor
        ("/v1/plan-budgets", "bm90IGpzb24"),  # base64 of "not json"
        ("/v1/pipeline", {"manager": None}),
        ("/v1/pipeline", {"manager": "m\x00"}),
        ("/v1/pipeline", {"manager": 3}),
        ("/v1/pipeline", {"name": "A", "account_id": "x"}),  # the account list's cursor
        ("/v1/portfolio", {"manager": None}),
        ("/v1/portfolio", {"manager": 3}),
    ]
    for path, state in cases:
        cursor = state if isinstance(state, str) else encode_cursor(state)
        response = await client.get(path, params={"cursor": cursor}, headers=boss)
        assert (response.status_code, response.json()["type"]) == (422, "/problems/invalid-cursor"), (path, state)
    fine = [
        ("/v1/plan-reviews", {"proposed_at": None, "plan_id": "p"}),  # a revision without a time sorts last
        ("/v1/plan-reviews", {"proposed_at": "2026-05-01T10:00:00+03:00", "plan_id": "p"}),
        ("/v1/plan-budgets", {**budget, "team": None}),  # rows without a team come last
        ("/v1/pipeline", {"manager": "m"}),
        ("/v1/portfolio", {"manager": "m"}),
    ]
    for path, state in fine:
        response = await client.get(path, params={"cursor": encode_cursor(state)}, headers=boss)
        assert response.status_code == 200, (path, state, response.text)


async def test_these_lists_take_a_limit_from_1_to_500(client: httpx.AsyncClient, auth) -> None:
    admin = auth("root", Role.ADMIN)
    for path in ("/v1/plan-reviews", "/v1/plan-budgets", "/v1/pipeline", "/v1/portfolio"):
        for limit in (0, 501):
            response = await client.get(path, params={"limit": limit}, headers=admin)
            assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "query.limit"), path
