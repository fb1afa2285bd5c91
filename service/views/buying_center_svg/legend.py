"""Everything around the map: the header above it, the legend beside it, the coverage risks under it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from service.views.buying_center_svg.markup import clamped_int, clean, num, radius, signed, truncate, xml_attr, xml_text
from service.views.buying_center_svg.roles import role_titles
from service.views.buying_center_svg.style import (
    ATTITUDE_FILL,
    ATTITUDE_WORD,
    EDGE_STYLES,
    LEGEND_W,
    MARGIN,
    RISK_RED,
    ROLE_LEGEND_ALL_BELOW,
)


def header(view: Mapping[str, Any], members: int) -> list[str]:
    name = clean(view.get("account_name")) or "Account"
    facts = [f"version {clamped_int(view.get('version'), 0, 0, 2**63)}"]
    if view.get("as_of"):
        facts.append(f"as of {clean(view['as_of'])}")
    facts.append(f"{members} {'member' if members == 1 else 'members'}")
    return [
        f'<text class="title" x="{MARGIN}" y="32" font-size="18" font-weight="bold" fill="#1f2328">'
        f"<title>{xml_text(name)}</title>Buying center · {xml_text(truncate(name, 70))}</text>",
        f'<text class="subtitle" x="{MARGIN}" y="52" font-size="11" fill="#57606a">'
        f"{xml_text(' · '.join(facts))}</text>",
    ]


def legend(x: float, y: float, roles: list[tuple[str, str]]) -> tuple[list[str], float]:
    """The key to the picture; returns its elements and its bottom edge."""
    top, out = y, []
    y += 22
    out.append(f'<text x="{x + 12}" y="{y}" font-size="12" font-weight="bold">Legend</text>')
    y += 20
    out.append(f'<text x="{x + 12}" y="{y}" font-weight="bold">Attitude to us</text>')
    for value, colour in sorted(ATTITUDE_FILL.items()):
        y += 17
        out.append(
            f'<circle cx="{x + 20}" cy="{y - 4}" r="6" fill="{colour}" stroke="#263238"/>'
            f'<text x="{x + 32}" y="{y}">{signed(value)} {ATTITUDE_WORD[value]}</text>'
        )
    y += 24
    out.append(f'<text x="{x + 12}" y="{y}" font-weight="bold">Circle size = influence 1–5</text>')
    y += 10
    cx = x + 12
    for influence in range(1, 6):
        r = radius(influence)
        out.append(f'<circle cx="{cx + r}" cy="{y + 30}" r="{r}" fill="#ffffff" stroke="#8c8c8c"/>')
        out.append(f'<text x="{cx + r}" y="{y + 34}" text-anchor="middle" font-size="10">{influence}</text>')
        cx += 2 * r + 4
    y += 62 + 18
    out.append(
        f'<circle cx="{x + 20}" cy="{y - 4}" r="7" fill="none" stroke="{RISK_RED}" stroke-width="3"/>'
        f'<text x="{x + 32}" y="{y}">named in a coverage risk</text>'
    )
    y += 20
    out.append(
        f'<circle cx="{x + 20}" cy="{y - 4}" r="7" fill="#bdbdbd" stroke="#6b6b6b" stroke-dasharray="3 2" '
        f'opacity="0.5"/><text x="{x + 32}" y="{y}">left the client</text>'
    )
    y += 24
    out.append(f'<text x="{x + 12}" y="{y}" font-weight="bold">Links (width = strength 1–3)</text>')
    for kind, style in EDGE_STYLES.items():
        y += 17
        dash = "" if kind == "reports_to" else ' stroke-dasharray="7 4"'
        arrow = f' marker-end="url(#{style.marker})"' if style.marker else ""
        out.append(
            f'<line x1="{x + 12}" y1="{y - 4}" x2="{x + 52}" y2="{y - 4}" stroke="{style.colour}" stroke-width="2"'
            f'{dash}{arrow}/><text x="{x + 60}" y="{y}">{xml_text(style.label)}</text>'
        )
    y += 17
    out.append(f'<text x="{x + 12}" y="{y}" fill="#57606a">solid = formal, dashed = informal</text>')
    if roles:
        y += 24
        out.append(f'<text x="{x + 12}" y="{y}" font-weight="bold">Roles</text>')
    for abbrev, title in roles:
        y += 16
        out.append(
            f'<text x="{x + 12}" y="{y}"><title>{xml_text(title)}</title>'
            f'<tspan font-weight="bold">{xml_text(abbrev)}</tspan>'
            f'<tspan x="{x + 48}">{xml_text(truncate(title, 40))}</tspan></text>'
        )
    y += 14
    box = (
        f'<rect x="{x}" y="{top}" width="{LEGEND_W - MARGIN}" height="{num(y - top)}" rx="8" fill="#ffffff" '
        'stroke="#c9ced4"/>'
    )
    return ['<g class="legend" font-size="11" fill="#1f2328">', box, *out, "</g>"], y


def legend_roles(
    roles: Sequence[Mapping[str, Any]], nodes: Sequence[Mapping[str, Any]], abbrev: Mapping[str, str]
) -> list[tuple[str, str]]:
    """All of the company's roles when there are few, else only those someone on the map holds."""
    in_use = {clean(c) for n in nodes for c in n.get("roles") or []}
    titles = role_titles(roles)
    known = [str(r["code"]) for r in roles]
    codes = known if len(known) < ROLE_LEGEND_ALL_BELOW else [c for c in known if c in in_use]
    codes += sorted(in_use - set(known))
    return [(abbrev[c], titles.get(c, c)) for c in codes]


def risk_lines(
    risks: Sequence[Mapping[str, Any]], names: Mapping[str, str], x: float, y: float, width: float
) -> list[str]:
    """Coverage risks as 'code: reason' lines under the map; the people concerned are named in the tooltip."""
    if not risks:
        return []
    chars = max(30, int(width / 6.2))
    out = [
        f'<g class="risks" font-size="11"><text x="{x}" y="{num(y + 14)}" font-size="12" font-weight="bold" '
        f'fill="{RISK_RED}">Coverage risks · {len(risks)}</text>'
    ]
    for i, risk in enumerate(risks):
        line = f"{clean(risk.get('code'))}: {clean(risk.get('reason'))}"
        people = ", ".join(names[str(m)] for m in risk.get("members") or [] if str(m) in names)
        title = line + (f"\nPeople: {people}" if people else "")
        out.append(
            f'<text class="risk" data-code={xml_attr(risk.get("code"))} x="{x}" y="{num(y + 32 + 16 * i)}">'
            f"<title>{xml_text(title)}</title>⚠ {xml_text(truncate(line, chars))}</text>"
        )
    out.append("</g>")
    return out


def risks_height(risks: Sequence[Mapping[str, Any]]) -> int:
    return 0 if not risks else 32 + 16 * len(risks)
