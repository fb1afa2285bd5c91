"""Seed 004's sales projects at the truck maker: fuel filters from Entry to serial supply, and a stuck cross-sell."""

from __future__ import annotations

from typing import Any

from service.demo.client import MANAGER, Demo


async def projects(demo: Demo, path: str, ids: dict[str, str]) -> None:
    """Seed 004, chapter 4: a fuel-filter project from Entry to serial supply; chapter 5: the cross-sell to
    the chassis department's fuel lines, stuck at Finding an ally because the engine team cannot help there."""
    filters = await demo.send(
        "POST",
        f"{path}/opportunities",
        {
            "product_line": "Fuel filters",
            "kind": "new_client",
            "expected_volume": "40,000 filters a year",
            "expected_value": {"amount": "38000000", "currency": "RUB"},
            "main_competitor": "An imported filter brand via a distributor",
            "opened_on": "2025-10-01",
        },
        "project:filters",
    )
    op = f"/v1/opportunities/{filters['opportunity_id']}"
    pid = filters["opportunity_id"]

    async def meet(key: str, day: str, kind: str, who: list[str], summary: str, **more: Any) -> None:
        body = {
            "kind": kind,
            "occurred_on": day,
            "participants": [ids[w] for w in who],
            "our_participants": [MANAGER],
            "summary": summary,
            "projects": [pid],
            **more,
        }
        await demo.send("POST", f"{path}/interactions", body, f"interaction:{key}")

    async def advance(key: str, day: str) -> None:
        await demo.send("POST", f"{op}/stage", {"on": day}, f"stage:{key}")

    await meet(
        "entry",
        "2025-10-15",
        "meeting",
        ["chief_engineer", "design_engineer"],
        "First meeting with engine systems: winter failures of the current filters",
    )
    await advance("entry", "2025-10-20")
    await demo.send("POST", f"{op}/allies", {"member_id": ids["chief_engineer"]}, "ally:chief")
    await meet(
        "ally",
        "2025-11-12",
        "visit",
        ["chief_engineer"],
        "Visited the test bench; filters clogged at −35 °C",
        learned={
            "needs": [
                {
                    "opportunity_id": pid,
                    "member_id": ids["chief_engineer"],
                    "need": "Filters that do not clog at −35 °C",
                }
            ]
        },
    )
    await demo.send(
        "POST",
        f"{op}/problems",
        {
            "problem": "Fuel filters clog in winter",
            "consequence": "Trucks idle; overtime for filter changes; warranty claims on engines",
            "affected_member": ids["chief_engineer"],
            "explicit": True,
            "criteria": ["cost of operation per truck in winter", "failure-free operation"],
            "need_confirmed_by": ids["chief_engineer"],
            "confirmed_on": "2025-11-12",
        },
        "problem:winter",
    )
    await advance("ally", "2025-11-20")
    await demo.send(
        "POST",
        f"{op}/evidence",
        {
            "kind": "test_report",
            "title": "Winter operation report of the trial batch: cost per truck, overtime, failure rate",
            "ref": "DMS-2026-0412",
        },
        "evidence:trial",
    )
    await demo.send(
        "POST", f"{op}/evidence", {"kind": "lab_report", "title": "Filtration fineness at −40 °C"}, "evidence:lab"
    )
    await demo.send(
        "POST",
        f"{op}/price-rounds",
        {"round": 1, "level": "engineers", "on": "2026-01-15", "outcome": "Price per truck-year, not per filter"},
        "price:1",
    )
    await meet("price", "2026-03-10", "negotiation", ["procurement"], "Second price round with procurement")
    await demo.send(
        "POST",
        f"{op}/price-rounds",
        {
            "round": 2,
            "level": "procurement director",
            "on": "2026-03-10",
            "offer": {"amount": "950", "currency": "RUB"},
            "outcome": "Asked for a second source",
        },
        "price:2",
    )
    await meet(
        "volume",
        "2026-04-20",
        "negotiation",
        ["procurement", "chief_engineer"],
        "Agreed the volume for the 2027 engines",
    )
    await demo.send(
        "POST", f"{op}/volume", {"volume": "40,000 filters a year", "member_id": ids["procurement"]}, "volume"
    )
    await advance("confirmation", "2026-04-25")
    await meet(
        "leaders",
        "2026-05-15",
        "meeting",
        ["technical_director", "chief_engineer"],
        "Leaders of both sides: need and volume confirmed; third price round",
    )
    await demo.send(
        "POST",
        f"{op}/price-rounds",
        {
            "round": 3,
            "level": "technical director and our CEO",
            "on": "2026-05-15",
            "offer": {"amount": "930", "currency": "RUB"},
            "outcome": "Accepted",
        },
        "price:3",
    )
    await demo.send(
        "POST",
        f"{op}/leader-confirmation",
        {"member_id": ids["technical_director"], "note": "Confirmed need and 40,000 a year", "on": "2026-05-15"},
        "leader",
    )
    await demo.send(
        "PUT",
        f"{op}/launch-plan",
        {
            "actions": [
                {
                    "side": "supplier",
                    "what": "Application engineer on site for three months",
                    "owner": "eng.smirnov",
                    "due": "2026-07-01",
                },
                {"side": "supplier", "what": "First series batch delivered", "owner": "logistics", "due": "2026-06-15"},
                {
                    "side": "client",
                    "what": "Engine drawing updated to the new filter",
                    "owner": "Design department",
                    "due": "2026-06-01",
                },
                {"side": "client", "what": "Service staff trained", "owner": "Service department", "due": "2026-06-20"},
            ]
        },
        "launch-plan",
    )
    await advance("approval", "2026-05-25")
    for i, (day, kind) in enumerate(
        [
            ("2026-06-10", "visit"),
            ("2026-06-24", "visit"),
            ("2026-07-08", "call"),
            ("2026-07-22", "visit"),
            ("2026-08-19", "meeting"),
            ("2026-09-16", "visit"),
        ]
    ):
        await meet(f"implementation:{i}", day, kind, ["design_engineer"], "Series launch: on site with the users")
    await demo.send(
        "POST",
        f"{op}/confident-use",
        {
            "member_id": ids["design_engineer"],
            "note": "A winter and a summer without a clogged filter",
            "on": "2026-09-30",
        },
        "confident-use",
    )
    await advance("implementation", "2026-10-01")
    # a client now, so the next product line is a cross-sell (which only a client in serial supply gets)
    await demo.send(
        "POST",
        f"{path}/lifecycle",
        {"to_stage": "serial_supply", "reason": "Filters in serial supply", "on": "2026-10-01"},
        "stage:serial",
    )

    lines = await demo.send(
        "POST",
        f"{path}/opportunities",
        {
            "product_line": "Fuel-line components (tank to engine frame)",
            "kind": "cross_sell",
            "expected_value": {"amount": "12000000", "currency": "RUB"},
            "opened_on": "2026-10-05",
        },
        "project:fuel-lines",
    )
    await demo.send(
        "POST",
        f"{path}/interactions",
        {
            "kind": "call",
            "occurred_on": "2026-10-12",
            "participants": [ids["chassis_head"]],
            "our_participants": [MANAGER],
            "summary": "Chassis owns the fuel lines; engine systems cannot introduce us there",
            "next_step": "Find who in chassis suffers from fuel-line failures",
            "next_step_due": "2026-11-12",
            "projects": [lines["opportunity_id"]],
        },
        "interaction:fuel-lines",
    )
