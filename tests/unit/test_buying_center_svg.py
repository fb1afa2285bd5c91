"""The buying-center picture: valid SVG for 0, 1 and 60 members, escaped text, forgotten people anonymous,
deterministic output, circles that never overlap."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from service.domain.settings.defaults import ROLES
from service.views.buying_center_svg import render

SVG = "{http://www.w3.org/2000/svg}"
KINDS = ["reports_to", "influences", "allied_with", "rival_of"]


def view(members: int) -> dict[str, Any]:
    codes = [r.code for r in ROLES]
    nodes = [
        {
            "member_id": f"m{i}",
            "name": None if i % 13 == 5 else f"Person {i}",
            "position": "Chief engineer of the engine systems department" if i % 2 else "Buyer",
            "department": ["Engine", "Chassis", "Procurement"][i % 3],
            "organisation": "Client" if i % 7 else "Association",
            "roles": [codes[i % len(codes)], codes[(i * 5) % len(codes)]],
            "influence": 1 + i % 5,
            "attitude": i % 5 - 2,
            "attitude_to_competitor": 0,
            "owner": "kam" if i % 3 else None,
            "active": i % 11 != 4,
            "last_contact": "2026-11-01" if i % 4 else None,
        }
        for i in range(members)
    ]
    edges = [
        {
            "relationship_id": f"r{i}",
            "source": f"m{i}",
            "target": f"m{(i * 7 + 1) % members}",
            "kind": KINDS[i % 4],
            "formal": i % 4 == 0,
            "strength": 1 + i % 3,
        }
        for i in range(members)
        if members > 1
    ]
    risks = [{"code": "single-threaded", "reason": "one contact", "members": ["m0"], "role": None}] if members else []
    roles = [{"code": r.code, "label": r.label, "label_ru": r.label_ru} for r in ROLES]
    return {
        "account_id": "a1",
        "account_name": "Truck Works",
        "version": 7,
        "as_of": None,
        "nodes": nodes,
        "edges": edges,
        "risks": risks,
        "roles": roles,
    }


@pytest.mark.parametrize("members", [0, 1, 60])
def test_renders_valid_svg_with_one_node_per_member(members: int) -> None:
    picture = view(members)
    root = ET.fromstring(render(picture))
    assert root.tag == f"{SVG}svg"
    groups = root.findall(f".//{SVG}g[@class='member']")
    assert [g.get("data-member") for g in groups] == [n["member_id"] for n in picture["nodes"]]
    assert len(root.findall(f".//{SVG}line[@class='edge']")) == len(picture["edges"])
    if not members:
        assert "No members yet" in render(picture)


def test_circles_never_overlap_with_sixty_members() -> None:
    root = ET.fromstring(render(view(60)))
    circles = [
        (float(c.get("cx")), float(c.get("cy")), float(c.get("r")))
        for c in root.iter(f"{SVG}circle")
        if c.get("class") == "node"
    ]
    assert len(circles) == 60
    for (x1, y1, r1), (x2, y2, r2) in itertools.combinations(circles, 2):
        assert math.hypot(x1 - x2, y1 - y2) > r1 + r2


def test_text_is_escaped_and_forgotten_people_are_anonymous() -> None:
    picture = view(6)
    picture["nodes"][0]["name"] = 'Ivan "<Orlov>" & Co'
    text = render(picture)
    ET.fromstring(text)
    assert "Ivan &quot;&lt;Orlov&gt;&quot; &amp; Co" in text or 'Ivan "&lt;Orlov&gt;" &amp; Co' in text
    assert picture["nodes"][5]["name"] is None
    labels = [t.text for t in ET.fromstring(text).iter(f"{SVG}text")]
    assert "(forgotten)" in labels


def test_formal_edges_are_solid_and_informal_dashed() -> None:
    root = ET.fromstring(render(view(8)))
    styles = {
        (e.get("data-kind"), e.get("stroke-dasharray") is None)
        for e in root.iter(f"{SVG}line")
        if e.get("class") == "edge"
    }
    assert styles == {("reports_to", True), ("influences", False), ("allied_with", False), ("rival_of", False)}


def test_the_same_view_renders_the_same_bytes() -> None:
    assert render(view(25)) == render(view(25))
