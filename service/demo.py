"""`kamplan demo`: a realistic key account from seed 004 — a truck maker buying fuel filters.

Everything goes through the public API (the same rules, events and projections as real use), with
an Idempotency-Key per step, so running the demo twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from service.config import Settings
from service.domain.actors import Role
from service.main import create_app
from service.tokens import TokenKeys

MANAGER, SUPERVISOR, TEAM = "kam.ivanova", "sup.petrov", "oem-north"
VALVES_MANAGER = "kam.orlov"  # seed 001: a supplier of Chinese shut-off valves and flanges

PEOPLE: list[dict[str, Any]] = [
    {
        "key": "chief_engineer",
        "name": "Oleg Nikolaevich Sazonov",
        "position": "Chief engineer, engine systems",
        "department": "Engine systems",
        "roles": ["ally", "initiator", "expert"],
        "influence": 4,
        "attitude": 2,
        "attitude_to_competitor": -1,
        "problems": [
            {"problem": "Fuel filters clog at −35 °C", "consequence": "Trucks stand idle; warranty claims on engines"}
        ],
        "criteria": (["price per filter"], ["cost of operation per truck in winter", "failure-free operation"]),
    },
    {
        "key": "design_engineer",
        "name": "Anna Viktorovna Melnikova",
        "position": "Lead design engineer",
        "department": "Engine systems",
        "roles": ["user", "ally"],
        "influence": 3,
        "attitude": 1,
        "problems": [{"problem": "Overtime for filter changes in the fleet", "consequence": "Maintenance plan slips"}],
    },
    {
        "key": "chassis_head",
        "name": "Pavel Igorevich Kuzin",
        "position": "Head of chassis systems",
        "department": "Chassis",
        "roles": ["initiator", "user"],
        "influence": 3,
        "attitude": 0,
        "attitude_to_competitor": 1,
        "notes": "Owns fuel lines from tank to engine frame: a separate buying group from engine systems.",
    },
    {
        "key": "procurement",
        "name": "Irina Sergeevna Volkova",
        "position": "Procurement director",
        "department": "Procurement",
        "roles": ["procurement", "contracts"],
        "influence": 4,
        "attitude": -1,
        "attitude_to_competitor": 1,
        "criteria": (["lowest unit price"], ["a second source for risk", "price justification"]),
    },
    {
        "key": "technical_director",
        "name": "Gennady Borisovich Lapin",
        "position": "Technical director",
        "department": "Management board",
        "roles": ["decision_maker", "signer"],
        "influence": 5,
        "attitude": 0,
    },
    {
        "key": "lab_head",
        "name": "Marat Rinatovich Gabdullin",
        "position": "Head of the test laboratory",
        "department": "Quality",
        "roles": ["expert", "gatekeeper"],
        "influence": 3,
        "attitude": 1,
    },
    {
        "key": "veteran",
        "name": "Vasily Petrovich Zhukov",
        "position": "Adviser to the general director",
        "department": "Management board",
        "roles": ["informal_heavyweight", "influencer"],
        "influence": 5,
        "attitude": 0,
        "notes": "Former chief designer; the technical director still asks his opinion on every supplier.",
    },
    {
        "key": "association",
        "name": "Elena Yurievna Shirokova",
        "position": "Expert, committee on vehicle components",
        "organisation": "Association of Automotive Manufacturers",
        "roles": ["influencer", "expert"],
        "influence": 2,
        "attitude": 1,
    },
]

LINKS = [
    ("design_engineer", "chief_engineer", "reports_to", 3),
    ("chief_engineer", "technical_director", "reports_to", 3),
    ("lab_head", "technical_director", "reports_to", 2),
    ("procurement", "technical_director", "influences", 3),
    ("veteran", "technical_director", "influences", 3),
    ("chief_engineer", "lab_head", "allied_with", 2),
    ("chassis_head", "chief_engineer", "rival_of", 2),
]

CONTACTS = {  # member → (owner on our side, contact plan, last contact, next action, due)
    "chief_engineer": (
        "kam.ivanova",
        "Monthly visit; weekly calls during the trial",
        "2026-11-10",
        "Present the winter trial report",
        "2026-12-05",
    ),
    "design_engineer": (
        "eng.smirnov",
        "Our application engineer works beside her",
        "2026-11-18",
        "Agree the fitting drawing",
        "2026-12-01",
    ),
    "procurement": (
        "kam.ivanova",
        "Price talks only after the trial report",
        "2026-06-20",
        "Second price round",
        "2026-12-15",
    ),
    "lab_head": ("eng.smirnov", "Joint test protocol", "2026-10-28", "", None),
    "chassis_head": (
        None,
        "Find who in chassis cares about fuel-line failures",
        None,
        "Ask the chief engineer for an introduction",
        "2026-12-10",
    ),
}

ANSWERS: list[dict[str, Any]] = [
    {"question_code": "legal_name", "value": "JSC Volga Truck Works", "source": "Company register"},
    {"question_code": "headcount", "value": 21000, "source": "Annual report 2025", "confidence": "high"},
    {"question_code": "revenue", "value": {"amount": "245000000000", "currency": "RUB"}, "source": "Annual report"},
    {"question_code": "sites", "value": ["Main assembly plant", "Engine plant", "Press-and-frame plant"]},
    {"question_code": "product_lines", "value": ["fuel filters"], "source": "ERP"},
    {"question_code": "annual_volume", "value": {"amount": "38000000", "currency": "RUB"}, "source": "ERP"},
    {"question_code": "tenders", "value": "sometimes", "source": "Procurement director"},
    {
        "question_code": "main_competitor",
        "value": "An imported filter brand via a distributor",
        "learned_on": "2026-03-01",
    },
    {"question_code": "seasonality", "value": "Orders peak before the winter season", "source": "Order history"},
    {"question_code": "first_contact", "value": "2025-09-15", "source": "CRM"},
]


@dataclass
class Demo:
    client: httpx.AsyncClient
    tokens: TokenKeys
    printed: list[str] = field(default_factory=list)

    def headers(self, sub: str, role: Role, key: str | None = None) -> dict[str, str]:
        token = self.tokens.mint(sub, role, TEAM if role is not Role.ADMIN else None, timedelta(minutes=30))
        return {"Authorization": f"Bearer {token}", **({"Idempotency-Key": f"demo:{key}"} if key else {})}

    async def send(self, method: str, path: str, body: dict[str, Any], key: str, sub: str = MANAGER) -> dict[str, Any]:
        role = {"admin": Role.ADMIN, SUPERVISOR: Role.SUPERVISOR}.get(sub, Role.MANAGER)
        response = await self.client.request(method, path, json=body, headers=self.headers(sub, role, key))
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    async def get(self, path: str, sub: str = MANAGER) -> Any:
        response = await self.client.get(path, headers=self.headers(sub, Role.MANAGER))
        response.raise_for_status()
        return response.json()


async def load(demo: Demo) -> str:
    """Load the account; returns its id."""
    account = await demo.send(
        "POST",
        "/v1/accounts",
        {
            "name": "Volga Truck Works",
            "industry": "Truck manufacturing",
            "region": "Volga",
            "segment": "OEM",
            "is_key": True,
            "key_reason": "Largest user of our fuel filters; the engine plant standardises on one supplier",
        },
        "account",
    )
    path = f"/v1/accounts/{account['account_id']}"
    await demo.send(
        "POST",
        f"{path}/classification",
        {
            "criteria": ["large", "promising", "complex"],
            "can_influence": True,
            "influence_reason": "Engine-systems engineers ask us to co-design next year's filter",
        },
        "classify",
    )
    await demo.send("POST", f"{path}/lifecycle", {"to_stage": "project", "reason": "Winter trial batch"}, "stage")
    ids: dict[str, str] = {}
    for person in PEOPLE:
        body = {k: v for k, v in person.items() if k not in {"key", "problems", "criteria"}}
        body.setdefault("organisation", "Volga Truck Works")
        made = await demo.send("POST", f"{path}/buying-center/members", body, f"member:{person['key']}")
        member_id = made["member"]["member_id"]
        ids[person["key"]] = member_id
        member_path = f"{path}/buying-center/members/{member_id}"
        if problems := person.get("problems"):
            await demo.send("PUT", f"{member_path}/problems", {"problems": problems}, f"problems:{person['key']}")
        if criteria := person.get("criteria"):
            stated, observed = criteria
            await demo.send(
                "PUT", f"{member_path}/criteria", {"stated": stated, "observed": observed}, f"criteria:{person['key']}"
            )
    for source, target, kind, strength in LINKS:
        await demo.send(
            "POST",
            f"{path}/buying-center/relationships",
            {"source": ids[source], "target": ids[target], "kind": kind, "strength": strength},
            f"link:{source}:{target}:{kind}",
        )
    for key, (owner, plan, last, action, due) in CONTACTS.items():
        member_path = f"{path}/buying-center/members/{ids[key]}"
        await demo.send("PUT", f"{member_path}/contact-owner", {"owner": owner, "contact_plan": plan}, f"owner:{key}")
        if last:
            await demo.send("POST", f"{member_path}/contacts", {"on": last}, f"contact:{key}")
        if action:
            await demo.send("PUT", f"{member_path}/next-action", {"what": action, "due": due}, f"action:{key}")
    await demo.send(
        "POST",
        f"{path}/buying-center/members/{ids['chief_engineer']}/assessment",
        {
            "attitude": 2,
            "influence": 5,
            "citation": {
                "kind": "document",
                "ref": "winter-trial-protocol",
                "note": "Signed the trial protocol and defended it at the technical council",
            },
        },
        "assess:chief_engineer",
    )
    for i, answer in enumerate(ANSWERS):
        body = {"learned_on": "2026-10-01", "confidence": "medium", "source": "", **answer}
        await demo.send("POST", f"{path}/dossier/answers", body, f"answer:{i}")
    await demo.send(
        "POST",
        f"{path}/dossier/answers",
        {"question_code": "decision_maker", "value": ids["technical_director"], "learned_on": "2026-10-01"},
        "answer:decision_maker",
    )
    await demo.send(
        "POST",
        f"{path}/dossier/documents",
        {
            "title": "Winter operation report of the trial batch: cost per truck, overtime, failure rate",
            "kind": "report",
            "document_ref": "DMS-2026-0412",
        },
        "document:trial-report",
    )
    await projects(demo, path, ids)
    return account["account_id"]


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
                    "owner": "Melnikova",
                    "due": "2026-06-01",
                },
                {"side": "client", "what": "Service staff trained", "owner": "Sazonov", "due": "2026-06-20"},
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

    lines = await demo.send(
        "POST",
        f"{path}/opportunities",
        {
            "product_line": "Fuel-line components (tank to engine frame)",
            "kind": "cross_sell",
            "expected_value": {"amount": "12000000", "currency": "RUB"},
            "opened_on": "2026-06-01",
        },
        "project:fuel-lines",
    )
    await demo.send(
        "POST",
        f"{path}/interactions",
        {
            "kind": "call",
            "occurred_on": "2026-06-15",
            "participants": [ids["chassis_head"]],
            "our_participants": [MANAGER],
            "summary": "Chassis owns the fuel lines; engine systems cannot introduce us there",
            "next_step": "Find who in chassis suffers from fuel-line failures",
            "next_step_due": "2026-07-15",
            "projects": [lines["opportunity_id"]],
        },
        "interaction:fuel-lines",
    )


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


async def run(settings: Settings, database_url: str) -> str:
    app = create_app(settings, database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kamplan") as client:
            demo = Demo(client, TokenKeys.from_settings(settings))
            account_id = await load(demo)
            await valves(demo)
            return account_id
