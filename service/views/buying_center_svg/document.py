"""The whole SVG document: header, map, legend and risks put together."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from service.views.buying_center_svg.edges import edges
from service.views.buying_center_svg.layout import layout
from service.views.buying_center_svg.legend import header, legend, legend_roles, risk_lines, risks_height
from service.views.buying_center_svg.markup import clean, display_name
from service.views.buying_center_svg.nodes import member_group
from service.views.buying_center_svg.roles import abbreviations, role_titles
from service.views.buying_center_svg.style import DEFS, FONT, HEADER_H, LEGEND_W, MARGIN, SVG_NS


def _unique(nodes: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One node per member id (the first wins): a duplicate would be drawn on top of the original."""
    seen: dict[str, Mapping[str, Any]] = {}
    for node in nodes:
        if node.get("member_id") is not None:
            seen.setdefault(str(node["member_id"]), node)
    return list(seen.values())


def render(view: Mapping[str, Any]) -> str:
    """The whole map as one SVG 1.1 document (a str; encode it as UTF-8, which its XML declaration names)."""
    nodes = _unique(view.get("nodes") or [])
    roles = [r for r in view.get("roles") or [] if r.get("code") is not None]
    retired = [r for r in view.get("retired_roles") or [] if r.get("code") is not None]
    risks = list(view.get("risks") or [])
    abbrev = abbreviations([*roles, *retired], {clean(c) for n in nodes for c in n.get("roles") or []})
    # a role the set dropped, which someone here still holds, is named as retired (its badge as before)
    roles += [{**r, "label": f"{clean(r.get('label')) or r['code']} (retired)"} for r in retired]
    titles = role_titles(roles)
    risk_codes: dict[str, list[str]] = {}
    for risk in risks:
        for member in risk.get("members") or []:
            risk_codes.setdefault(str(member), []).append(clean(risk.get("code")))

    placed = layout(nodes, HEADER_H)
    map_bottom = placed.bottom if nodes else HEADER_H + 60
    key, legend_bottom = legend(placed.width, HEADER_H, legend_roles(roles, nodes, abbrev))
    names = {str(n["member_id"]): display_name(n) for n in nodes}
    width = int(placed.width + LEGEND_W)
    height = math.ceil(max(map_bottom + risks_height(risks), legend_bottom) + MARGIN)

    body = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="{SVG_NS}" version="1.1" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT}">',
        DEFS,
        f'<rect class="background" width="{width}" height="{height}" fill="#ffffff"/>',
        *header(view, len(nodes)),
        *placed.decorations,
    ]
    if not nodes:
        body.append(
            f'<text class="empty" x="{MARGIN}" y="{HEADER_H + 30}" font-size="14" fill="#8c8c8c">No members yet</text>'
        )
    body.append('<g class="edges">')
    body += edges(view.get("edges") or [], placed.positions, nodes)
    body.append('</g>\n<g class="members">')
    body += [
        member_group(n, placed.positions[str(n["member_id"])], abbrev, titles, risk_codes.get(str(n["member_id"]), []))
        for n in placed.order
    ]
    body.append("</g>")
    body += key
    body += risk_lines(risks, names, MARGIN, map_bottom, placed.width - 2 * MARGIN)
    body.append("</svg>")
    return "\n".join(body) + "\n"
