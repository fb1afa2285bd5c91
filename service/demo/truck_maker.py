"""Seed 004's truck maker buying fuel filters: the account, its buying-center map and its dossier."""

from __future__ import annotations

from typing import Any

from service.demo.client import Demo
from service.demo.truck_projects import projects

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
    await demo.send(
        "POST",
        f"{path}/lifecycle",
        {"to_stage": "project", "reason": "Winter trial batch", "on": "2025-10-01"},
        "stage",
    )
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
