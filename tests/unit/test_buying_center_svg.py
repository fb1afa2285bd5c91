"""The buying-center picture: valid SVG for 0, 1 and 60 members, one circle per member, drawable edges only,
escaped text, forgotten people anonymous, byte-identical output, no overlapping circles."""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from service.views.buying_center_svg import render

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[2]
KINDS = ("reports_to", "influences", "allied_with", "rival_of")
ROLES = [
    {"code": "initiator", "label": "Initiator / direct customer", "label_ru": "Инициатор / прямой заказчик"},
    {"code": "user", "label": "User", "label_ru": "Пользователь"},
    {"code": "procurement", "label": "Procurement", "label_ru": "Закупки"},
    {"code": "signer", "label": "Signer", "label_ru": "Подписант"},
    {"code": "decision_maker", "label": "Decision maker", "label_ru": "ЛПР"},
    {"code": "influencer", "label": "Influencer", "label_ru": "ЛВР"},
    {"code": "gatekeeper", "label": "Gatekeeper", "label_ru": "Привратник"},
    {"code": "expert", "label": "Expert", "label_ru": "Эксперт"},
]
FIRST = ["Анна", "Ivan", "Olga", "Pyotr", "Maria", "Sergey", "Elena", "Dmitry", "Natalia", "Alexei"]
LAST = ["Orlova", "Petrov", "Смирнов", "Kuznetsova", "Popov", "Volkova", "Sokolov", "Lebedeva"]
POSITIONS = ["Chief engineer of the engine systems department", "Buyer", "Head of procurement", "CFO", "Analyst"]
DEPARTMENTS = ["Engineering", "Procurement", "Finance", "Production", ""]
FORGOTTEN_EVERY = 9  # members 4, 13, 22, ... are forgotten


def member(i: int) -> dict[str, Any]:
    """Mostly the client's people, some from a ministry and a consultancy; varied roles and attitudes."""
    organisation = "Ministry of Transport" if i % 10 == 3 else "Consult & Co" if i % 10 == 7 else "Truck Works"
    return {
        "member_id": f"member-{i:03d}",
        "name": None if i % FORGOTTEN_EVERY == 4 else f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}",
        "position": POSITIONS[i % len(POSITIONS)],
        "department": DEPARTMENTS[i % len(DEPARTMENTS)],
        "organisation": organisation,
        "roles": sorted({ROLES[i % len(ROLES)]["code"], ROLES[(i * 3) % len(ROLES)]["code"]}),
        "influence": 1 + i % 5,
        "attitude": (i * 7) % 5 - 2,
        "attitude_to_competitor": i % 5 - 2,
        "owner": "kam@example.com" if i % 3 else None,
        "active": i % 8 != 6,
        "last_contact": f"2026-10-{1 + i % 28:02d}" if i % 4 else None,
    }


def view(members: int) -> dict[str, Any]:
    """A view as the JSON API returns it, with edges of all four kinds and a few risks."""
    nodes = [member(i) for i in range(members)]
    edges = [
        {
            "relationship_id": f"rel-{i:03d}",
            "source": f"member-{i:03d}",
            "target": f"member-{(i * 7 + 3) % members:03d}",
            "kind": KINDS[i % 4],
            "formal": i % 4 == 0,
            "strength": 1 + i % 3,
        }
        for i in range(members)
        if members > 1 and i != (i * 7 + 3) % members
    ]
    risks = [
        {"code": "role-missing", "reason": "nobody in the map holds the role Signer", "members": [], "role": "signer"},
        {"code": "high-influence-opponent", "reason": "opposed to us", "members": [n["member_id"] for n in nodes[:3]]},
    ]
    return {
        "account_id": "acc-1",
        "account_name": "Truck Works",
        "version": 7,
        "as_of": "2026-11-01T00:00:00Z",
        "nodes": nodes,
        "edges": edges,
        "risks": risks,
        "roles": ROLES,
    }


def parse(view: dict[str, Any]) -> ET.Element:
    return ET.fromstring(render(view).encode())


def circles(root: ET.Element) -> list[tuple[float, float, float]]:
    return [
        (float(c.get("cx", "nan")), float(c.get("cy", "nan")), float(c.get("r", "nan")))
        for c in root.iter(f"{SVG}circle")
        if c.get("class") == "node"
    ]


def node_circle(group: ET.Element) -> ET.Element:
    found = group.find(f"{SVG}circle[@class='node']")
    assert found is not None
    return found


def visible_text(root: ET.Element) -> str:
    """Everything a person can read: text content and tooltips."""
    return "\n".join(root.itertext())


@pytest.mark.parametrize("members", [0, 1, 60])
def test_renders_valid_svg_with_one_circle_per_member(members: int) -> None:
    picture = view(members)
    root = parse(picture)
    assert root.tag == f"{SVG}svg"
    assert {"width", "height", "viewBox"} <= set(root.attrib)
    groups = root.findall(f".//{SVG}g[@class='member']")
    assert sorted(g.get("data-member", "") for g in groups) == sorted(n["member_id"] for n in picture["nodes"])
    assert len(circles(root)) == members
    assert len([e for e in root.iter() if e.get("class") == "edge"]) == len(picture["edges"])
    assert ("No members yet" in visible_text(root)) is (members == 0)


def test_header_names_the_account_version_and_date() -> None:
    text = visible_text(parse(view(1)))
    assert "Truck Works" in text
    assert "version 7" in text
    assert "as of 2026-11-01T00:00:00Z" in text


def test_edges_of_every_kind_are_drawn_with_their_style() -> None:
    root = parse(view(12))
    edges = [e for e in root.iter() if e.get("class") == "edge"]
    assert {e.get("data-kind") for e in edges} == set(KINDS)
    for edge in edges:
        formal = edge.get("data-kind") == "reports_to"
        assert (edge.get("stroke-dasharray") is None) is formal
        assert (edge.get("marker-end") is not None) is (edge.get("data-kind") in ("reports_to", "influences"))


def test_edges_to_unknown_members_are_skipped() -> None:
    picture = view(3)
    picture["edges"] = [
        {"relationship_id": "r1", "source": "member-000", "target": "member-001", "kind": "influences", "strength": 2},
        {"relationship_id": "r2", "source": "member-000", "target": "gone", "kind": "influences", "strength": 2},
    ]
    edges = [e for e in parse(picture).iter() if e.get("class") == "edge"]
    assert [e.get("data-target") for e in edges] == ["member-001"]


def test_inactive_and_at_risk_members_are_marked() -> None:
    root = parse(view(8))
    groups = {g.get("data-member"): g for g in root.iter(f"{SVG}g") if g.get("class") == "member"}
    left = groups["member-006"]
    assert left.get("opacity") == "0.5"
    assert node_circle(left).get("stroke-dasharray")
    assert groups["member-005"].get("opacity") is None
    rings = {g.get("data-member") for g in groups.values() if g.find(f"{SVG}circle[@class='risk-ring']") is not None}
    assert rings == {"member-000", "member-001", "member-002"}


def test_node_size_grows_with_influence() -> None:
    root = parse(view(5))  # influences 1..5 in member order
    radius = {
        g.get("data-member"): float(node_circle(g).get("r", "nan"))
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "member"
    }
    sizes = [radius[f"member-{i:03d}"] for i in range(5)]
    assert sizes == sorted(sizes)
    assert len(set(sizes)) == 5


def test_role_badges_use_short_unique_abbreviations_with_full_labels() -> None:
    picture = view(8)
    picture["nodes"][0]["roles"] = ["decision_maker", "procurement", "unknown_role"]
    root = parse(picture)
    badges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "badge"]
    short = {g.get("data-role"): g.findtext(f"{SVG}text") for g in badges}
    assert short["decision_maker"] == "DM"
    assert short["procurement"] == "PR"
    assert short["unknown_role"] == "UR"  # not in the role set: initials of the code
    assert all(1 <= len(a or "") <= 3 for a in short.values())
    assert len(set(short.values())) == len(short)
    for badge in badges:
        label = next((r["label"] for r in ROLES if r["code"] == badge.get("data-role")), "unknown_role")
        assert label in (badge.findtext(f"{SVG}title") or "")
    legend = visible_text(next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend"))
    assert all(r["label"] in legend for r in ROLES)


def test_a_retired_role_someone_holds_is_named_as_retired() -> None:
    picture = view(8)
    picture["roles"] = [r for r in ROLES if r["code"] != "expert"]
    picture["retired_roles"] = [r for r in ROLES if r["code"] == "expert"]
    picture["nodes"][0]["roles"] = ["expert", "user"]
    root = parse(picture)
    badge = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "badge" and g.get("data-role") == "expert")
    assert (badge.findtext(f"{SVG}text"), "Expert (retired)" in (badge.findtext(f"{SVG}title") or "")) == ("EX", True)
    legend = visible_text(next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend"))
    assert "Expert (retired)" in legend


def test_text_is_escaped_and_the_document_still_parses() -> None:
    picture = view(6)
    picture["nodes"][0]["name"] = 'Ivan "<Orlov>" & Co'
    picture["nodes"][1]["position"] = "Head of <R&D> \x07 «Отдел»"
    picture["account_name"] = "Trucks & <Sons>"
    text = render(picture)
    assert "<Orlov>" not in text
    assert "<Sons>" not in text
    root = ET.fromstring(text.encode())
    readable = visible_text(root)
    assert 'Ivan "<Orlov>" & Co' in readable
    assert "Trucks & <Sons>" in readable


def test_forgotten_people_are_anonymous_and_their_ids_stay_in_data_attributes() -> None:
    picture = view(14)
    forgotten = [n["member_id"] for n in picture["nodes"] if n["name"] is None]
    assert forgotten == ["member-004", "member-013"]
    root = parse(picture)
    names = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "name"]
    assert names.count("(forgotten)") == 2
    readable = visible_text(root)
    for member_id in forgotten:
        assert member_id not in readable
        for element in root.iter():
            leaks = [k for k, v in element.attrib.items() if member_id in v and not k.startswith("data-")]
            assert not leaks, (element.tag, leaks)


def test_long_names_and_positions_are_truncated() -> None:
    root = parse(view(2))  # member 1's position is 48 characters long
    positions = [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "position"]
    assert "Chief engineer of the e…" in positions
    assert max(len(p) for p in positions) <= 24


def test_the_same_view_renders_the_same_bytes() -> None:
    """Also in other processes with other string hashes, where a walk over a set or dict of ids would differ."""
    script = (
        "import sys; from service.views.buying_center_svg import render; "
        "from tests.unit.test_buying_center_svg import view; sys.stdout.write(render(view(60)))"
    )
    renders = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert renders == {render(view(60))}
    assert render(view(60)) != render(view(59))


def test_circles_never_overlap_with_sixty_members() -> None:
    root = parse(view(60))
    placed = circles(root)
    assert len(placed) == 60
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    for x, y, r in placed:
        assert r <= x <= width - r
        assert r <= y <= height - r
    for (x1, y1, r1), (x2, y2, r2) in itertools.combinations(placed, 2):
        assert math.hypot(x1 - x2, y1 - y2) > r1 + r2 + 10


def test_the_client_comes_first() -> None:
    root = parse(view(20))
    order = [g.get("data-member") for g in root.iter(f"{SVG}g") if g.get("class") == "member"]
    organisation = {n["member_id"]: n["organisation"] for n in view(20)["nodes"]}
    assert organisation[order[0]] == "Truck Works"
    assert organisation[order[-1]] != "Truck Works"
