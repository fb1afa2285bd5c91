"""The buying-center map as an SVG picture: pure and deterministic, so a bot or a person can look at it.

Node size = influence, fill = attitude to us, badges = roles, red ring = involved in a coverage risk,
dashed grey outline = left the client. Solid edges are formal (reports to), dashed ones informal.
Members are laid out in a grid, one block per organisation and department, the client first.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

CELL_W, CELL_H = 190, 150
COLUMNS = 6
TOP = 70
MARGIN = 30
LEGEND_W = 300
ATTITUDE_FILL = {-2: "#b2182b", -1: "#ef8a62", 0: "#bababa", 1: "#a6dba0", 2: "#1b7837"}
EDGE_STYLE = {  # kind → (colour, dash)
    "reports_to": ("#333333", ""),
    "influences": ("#2166ac", "6 4"),
    "allied_with": ("#1b7837", "6 4"),
    "rival_of": ("#b2182b", "6 4"),
}


def radius(influence: int) -> float:
    return 12 + 5 * max(1, min(5, influence))


def short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def abbreviation(code: str, labels: Mapping[str, str]) -> str:
    words = [w for w in labels.get(code, code).replace("/", " ").replace("_", " ").split() if w[:1].isalpha()]
    return ("".join(w[0] for w in words[:3]) if len(words) > 1 else (words[0][:2] if words else code[:2])).upper()


def layout(nodes: list[Mapping[str, Any]]) -> dict[str, tuple[float, float]]:
    """Grid positions: the client's people first (the most common organisation), then outside bodies."""
    counts = Counter(n.get("organisation", "") for n in nodes)
    ordered = sorted(
        nodes,
        key=lambda n: (
            -counts[n.get("organisation", "")],
            n.get("organisation", ""),
            n.get("department", ""),
            -int(n.get("influence", 3)),
            n["member_id"],
        ),
    )
    return {
        n["member_id"]: (MARGIN + CELL_W / 2 + (i % COLUMNS) * CELL_W, TOP + CELL_H / 2 + (i // COLUMNS) * CELL_H)
        for i, n in enumerate(ordered)
    }


def _edge(edge: Mapping[str, Any], where: dict[str, tuple[float, float]], radii: dict[str, float]) -> str:
    (x1, y1), (x2, y2) = where[edge["source"]], where[edge["target"]]
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    x1, y1 = x1 + ux * radii[edge["source"]], y1 + uy * radii[edge["source"]]
    x2, y2 = x2 - ux * (radii[edge["target"]] + 2), y2 - uy * (radii[edge["target"]] + 2)
    colour, dash = EDGE_STYLE.get(edge["kind"], ("#777777", "2 3"))
    arrow = ' marker-end="url(#arrow)"' if edge["kind"] in ("reports_to", "influences") else ""
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line class="edge" data-kind={quoteattr(edge["kind"])} x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
        f'y2="{y2:.1f}" stroke="{colour}" stroke-width="{max(1, min(3, int(edge.get("strength", 2))))}"'
        f"{dashed}{arrow}><title>{escape(edge['kind'].replace('_', ' '))}</title></line>"
    )


def _node(node: Mapping[str, Any], x: float, y: float, labels: Mapping[str, str], at_risk: bool) -> str:
    r = radius(int(node.get("influence", 3)))
    name = node.get("name") or "(forgotten)"
    active = node.get("active", True)
    tooltip = "\n".join(
        [
            name,
            f"{node.get('position', '')}, {node.get('department', '')}".strip(", "),
            node.get("organisation", ""),
            f"influence {node.get('influence')}, attitude {node.get('attitude'):+d}",
            f"owner: {node.get('owner') or 'nobody'}; last contact: {node.get('last_contact') or 'never'}",
            "" if active else "left the client",
        ]
    ).strip()
    fill = ATTITUDE_FILL.get(int(node.get("attitude", 0)), "#bababa")
    outline = 'stroke="#666666" stroke-dasharray="4 3" opacity="0.55"' if not active else 'stroke="#222222"'
    parts = [
        f'<g class="member" data-member={quoteattr(node["member_id"])}>',
        f"<title>{escape(tooltip)}</title>",
    ]
    if at_risk:
        parts.append(
            f'<circle class="risk-ring" cx="{x:.1f}" cy="{y:.1f}" r="{r + 5:.1f}" fill="none" '
            'stroke="#d7301f" stroke-width="3"/>'
        )
    parts.append(f'<circle class="node" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{fill}" {outline}/>')
    for i, code in enumerate(sorted(node.get("roles", []))[:4]):
        bx = x - 44 + i * 23
        parts.append(
            f'<g class="badge"><title>{escape(labels.get(code, code))}</title>'
            f'<rect x="{bx:.1f}" y="{y - r - 16:.1f}" width="21" height="13" rx="3" fill="#ffffff" stroke="#444444"/>'
            f'<text x="{bx + 10.5:.1f}" y="{y - r - 6:.1f}" font-size="8" text-anchor="middle">'
            f"{escape(abbreviation(code, labels))}</text></g>"
        )
    parts.append(
        f'<text x="{x:.1f}" y="{y + r + 14:.1f}" font-size="11" text-anchor="middle" font-weight="bold">'
        f"{escape(short(name))}</text>"
        f'<text x="{x:.1f}" y="{y + r + 27:.1f}" font-size="10" text-anchor="middle" fill="#444444">'
        f"{escape(short(node.get('position', '')))}</text></g>"
    )
    return "".join(parts)


def _legend(
    x: float, labels: Mapping[str, str], roles_used: list[str], risks: list[Mapping[str, Any]]
) -> tuple[list[str], float]:
    out = [f'<g class="legend" font-size="11"><text x="{x}" y="{TOP}" font-weight="bold">Legend</text>']
    y = TOP + 18
    for value, colour in sorted(ATTITUDE_FILL.items()):
        out.append(
            f'<circle cx="{x + 8}" cy="{y - 4}" r="6" fill="{colour}" stroke="#222222"/>'
            f'<text x="{x + 20}" y="{y}">attitude {value:+d}</text>'
        )
        y += 16
    out.append(f'<text x="{x}" y="{y}">node size = influence (1–5)</text>')
    y += 16
    for kind, (colour, dash) in EDGE_STYLE.items():
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x}" y1="{y - 4}" x2="{x + 30}" y2="{y - 4}" stroke="{colour}" stroke-width="2"{dashed}/>'
            f'<text x="{x + 36}" y="{y}">{escape(kind.replace("_", " "))}'
            f"{' (formal)' if not dash else ' (informal)'}</text>"
        )
        y += 16
    out.append(
        f'<circle cx="{x + 8}" cy="{y - 4}" r="6" fill="none" stroke="#d7301f" stroke-width="3"/>'
        f'<text x="{x + 20}" y="{y}">in a coverage risk</text>'
    )
    y += 16
    out.append(
        f'<circle cx="{x + 8}" cy="{y - 4}" r="6" fill="#bababa" stroke="#666666" stroke-dasharray="3 2" '
        f'opacity="0.55"/><text x="{x + 20}" y="{y}">left the client</text>'
    )
    y += 22
    for code in roles_used:
        out.append(
            f'<text x="{x}" y="{y}"><tspan font-weight="bold">{escape(abbreviation(code, labels))}</tspan> '
            f"{escape(short(labels.get(code, code), 36))}</text>"
        )
        y += 15
    if risks:
        y += 8
        out.append(f'<text x="{x}" y="{y}" font-weight="bold" fill="#d7301f">Coverage risks</text>')
        y += 16
        for risk in risks:
            out.append(
                f'<text class="risk" x="{x}" y="{y}">{escape(short(risk["code"] + ": " + risk["reason"], 46))}'
                f"<title>{escape(risk['reason'])}</title></text>"
            )
            y += 15
    out.append("</g>")
    return out, y


def render(view: Mapping[str, Any]) -> str:
    nodes = list(view.get("nodes", []))
    labels = {r["code"]: r.get("label", r["code"]) for r in view.get("roles", [])}
    risks = list(view.get("risks", []))
    at_risk = {m for r in risks for m in r.get("members", [])}
    where = layout(nodes)
    radii = {n["member_id"]: radius(int(n.get("influence", 3))) for n in nodes}
    rows = math.ceil(len(nodes) / COLUMNS) if nodes else 1
    map_w = MARGIN * 2 + CELL_W * min(COLUMNS, max(len(nodes), 3))
    used = sorted({c for n in nodes for c in n.get("roles", [])}) if len(labels) >= 15 else sorted(labels)
    legend, legend_bottom = _legend(map_w + 10, labels, used, risks)
    width = map_w + LEGEND_W
    height = max(TOP + rows * CELL_H + MARGIN, int(legend_bottom) + MARGIN)
    title = escape(str(view.get("account_name", "")))
    when = f" · as of {escape(str(view['as_of']))}" if view.get("as_of") else ""
    body = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555555"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="32" font-size="18" font-weight="bold">Buying center · {title}</text>',
        f'<text x="{MARGIN}" y="52" font-size="11" fill="#555555">version {int(view.get("version", 0))}{when} · '
        f"{len(nodes)} members</text>",
    ]
    if not nodes:
        body.append(f'<text x="{MARGIN}" y="{TOP + 40}" font-size="14" fill="#777777">No members yet</text>')
    body += [_edge(e, where, radii) for e in view.get("edges", []) if e["source"] in where and e["target"] in where]
    body += [_node(n, *where[n["member_id"]], labels, n["member_id"] in at_risk) for n in nodes]
    body += legend
    body.append("</svg>")
    return "\n".join(body) + "\n"
