"""Seed 001's long-range plan: a valve supplier and a regional wholesale buyer plan three years jointly."""

from __future__ import annotations

from typing import Any

from service.demo.client import SUPERVISOR, Demo

VALVES_MANAGER = "kam.orlov"  # seed 001: a supplier of Chinese shut-off valves and flanges

PLAN_ITEMS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "goal",
        "volume-2026",
        {"period": "2026", "kind": "volume", "description": "Purchases from us", "target": "18000000", "unit": "RUB"},
    ),
    (
        "goal",
        "volume-2027",
        {"period": "2027", "kind": "volume", "description": "Purchases from us", "target": "26000000", "unit": "RUB"},
    ),
    (
        "goal",
        "volume-2028",
        {"period": "2028", "kind": "volume", "description": "Purchases from us", "target": "34000000", "unit": "RUB"},
    ),
    (
        "goal",
        "share-2026",
        {
            "period": "2026",
            "kind": "share",
            "description": "Our share of the buyer's valve purchases",
            "target": "20",
            "unit": "%",
        },
    ),
    (
        "goal",
        "share-2028",
        {
            "period": "2028",
            "kind": "share",
            "description": "Our share of the buyer's valve purchases",
            "target": "40",
            "unit": "%",
        },
    ),
    (
        "goal",
        "flanges-2027",
        {
            "period": "2027",
            "kind": "product_line",
            "description": "Flanges bought together with valves",
            "target": "1",
            "unit": "line",
        },
    ),
    (
        "goal",
        "owner-contact-2026",
        {
            "period": "2026",
            "kind": "relationship",
            "description": "A working contact with the owner",
            "target": "1",
            "unit": "contact",
        },
    ),
    ("strategy", "first-source", {"text": "Become the buyer's first source for ball valves by stocking in the region"}),
    ("strategy", "bundle", {"text": "Sell flanges as a bundle with valves", "period": "2027"}),
    (
        "action",
        "regional-stock",
        {
            "period": "2026",
            "what": "Stock in a regional warehouse",
            "owner": VALVES_MANAGER,
            "due": "2026-04-30",
            "cost": "600000",
            "currency": "RUB",
        },
    ),
    (
        "action",
        "sales-training",
        {
            "period": "2026",
            "what": "Train the buyer's sales staff",
            "owner": VALVES_MANAGER,
            "due": "2026-09-30",
            "cost": "150000",
            "currency": "RUB",
        },
    ),
    (
        "action",
        "catalogue",
        {
            "period": "2027",
            "what": "A joint catalogue with the buyer",
            "owner": "marketing",
            "due": "2027-03-31",
            "cost": "250000",
            "currency": "RUB",
        },
    ),
    (
        "action",
        "flange-certificates",
        {
            "period": "2027",
            "what": "Certificates for the flanges",
            "owner": "quality",
            "due": "2027-02-28",
            "cost": "180000",
            "currency": "RUB",
        },
    ),
    (
        "action",
        "trade-fair",
        {
            "period": "2028",
            "what": "A stand with the buyer at the regional fair",
            "owner": VALVES_MANAGER,
            "due": "2028-05-31",
            "cost": "400000",
            "currency": "RUB",
        },
    ),
    ("assumption", "exchange-rate", {"text": "The yuan stays within ±10% of today's rate"}),
    ("risk", "federal-distributor", {"text": "A federal distributor undercuts our prices in the region"}),
]


async def valves(demo: Demo) -> str:
    """Seed 001's long-range plan: a supplier of Chinese shut-off valves and flanges plans three years with a
    regional wholesale buyer; the supervisor sends the first revision back once, then agrees the second."""
    m = VALVES_MANAGER
    account = await demo.send(
        "POST",
        "/v1/accounts",
        {
            "name": "Volga Pipe & Valve Trading",
            "industry": "Wholesale of pipeline fittings",
            "region": "Samara",
            "segment": "Regional wholesale",
            "is_key": True,
            "key_reason": "The largest wholesale buyer of valves in the region",
        },
        "valves:account",
        sub=m,
    )
    plans = f"/v1/accounts/{account['account_id']}/plans"
    plan = await demo.send(
        "POST",
        plans,
        {"title": "Shut-off valves and flanges 2026–2028", "horizon_from": 2026, "horizon_to": 2028},
        "valves:plan",
        sub=m,
    )
    path = f"/v1/plans/{plan['plan_id']}"
    for item_type, item_id, body in PLAN_ITEMS:
        await demo.send("PUT", f"{path}/draft/{item_type}/{item_id}", body, f"valves:draft:{item_id}", sub=m)
    await demo.send(
        "POST", f"{path}/revisions", {"note": "Three years: stock first, flanges from 2027"}, "valves:propose:1", sub=m
    )
    for item_id, text in [
        ("volume-2027", "26M in 2027 needs the flanges in stock: where is that in the actions?"),
        ("sales-training", "Who pays for the training: us alone, or shared with the buyer?"),
    ]:
        await demo.send(
            "POST",
            f"{path}/revisions/1/comments",
            {"item_id": item_id, "text": text},
            f"valves:comment:{item_id}",
            sub=SUPERVISOR,
        )
    await demo.send(
        "POST",
        f"{path}/revisions/1/request-changes",
        {"note": "Tie the 2027 volume to a flange stock, and share the training cost"},
        "valves:request",
        sub=SUPERVISOR,
    )
    [first, *_] = await demo.get(f"{path}/revisions", sub=m)
    comments = {c["item_id"]: c["comment_id"] for c in first["comments"]}
    for item_id, answer in [
        ("volume-2027", "Added a flange stock in 2027; volume 2027 lowered to 24M"),
        ("sales-training", "The buyer pays half: our cost is 75,000"),
    ]:
        await demo.send(
            "POST", f"{path}/comments/{comments[item_id]}/answer", {"text": answer}, f"valves:answer:{item_id}", sub=m
        )
    for item_type, item_id, body in [
        (
            "goal",
            "volume-2027",
            {
                "period": "2027",
                "kind": "volume",
                "description": "Purchases from us",
                "target": "24000000",
                "unit": "RUB",
            },
        ),
        (
            "action",
            "sales-training",
            {
                "period": "2026",
                "what": "Train the buyer's sales staff (cost shared)",
                "owner": m,
                "due": "2026-09-30",
                "cost": "75000",
                "currency": "RUB",
            },
        ),
        (
            "action",
            "flange-stock",
            {
                "period": "2027",
                "what": "Flanges in the regional warehouse",
                "owner": m,
                "due": "2027-01-31",
                "cost": "300000",
                "currency": "RUB",
            },
        ),
    ]:
        await demo.send("PUT", f"{path}/draft/{item_type}/{item_id}", body, f"valves:revise:{item_id}", sub=m)
    await demo.send(
        "POST", f"{path}/revisions", {"note": "Flange stock added, training shared"}, "valves:propose:2", sub=m
    )
    await demo.send("POST", f"{path}/revisions/2/agree", {"note": "Agreed"}, "valves:agree", sub=SUPERVISOR)
    await demo.send(
        "PUT", f"{path}/actions/regional-stock/status", {"status": "done", "on": "2026-04-28"}, "valves:done", sub=m
    )
    await demo.send(
        "PUT",
        f"{path}/goals/volume-2026/actual",
        {"value": "12400000", "source": "ERP purchase history", "on": "2026-10-31"},
        "valves:actual",
        sub=m,
    )
    return plan["plan_id"]
