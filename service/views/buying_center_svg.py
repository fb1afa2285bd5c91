"""The buying-center map as a standalone SVG picture: a pure, deterministic function of the map view.

Reading the picture: circle size = influence, fill = attitude to us, badges above = roles, red ring = named in a
coverage risk, dashed and faded = left the client. Solid edges are formal (reports to, arrow to the boss), dashed
ones informal. People are grouped by organisation (the client, i.e. the most common one, first) and department,
on a grid sized to the content, so circles never overlap. The same view always gives the same bytes: no clock,
no randomness, ties broken by the order of the input.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

__all__ = ["render"]

SVG_NS = "http://www.w3.org/2000/svg"
FORGOTTEN = "(forgotten)"
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"

MARGIN = 24
HEADER_H = 70  # title and subtitle above the map
CELL_W, CELL_H = 180, 134  # one member per cell: badges, circle, name, position
CIRCLE_DY = 60  # circle centre below the top of its cell
LABEL_DY = 49  # baseline of the name below the circle centre: clears the largest risk ring
ROW_LABEL_H = 16  # band above each row for department labels
ORG_HEADER_H = 26
ORG_GAP = 14
MAX_COLUMNS, MIN_COLUMNS = 6, 3
LEGEND_W = 300
NAME_CHARS = 24
MAX_BADGES = 5
ROLE_LEGEND_ALL_BELOW = 15  # fewer roles than this: the legend lists them all, else only those in use

ATTITUDE_FILL = {-2: "#b2182b", -1: "#f4a582", 0: "#bdbdbd", 1: "#a6dba0", 2: "#1b7837"}
ATTITUDE_WORD = {-2: "strongly against", -1: "against", 0: "neutral", 1: "for", 2: "strongly for"}
RISK_RED = "#d7191c"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class EdgeStyle:
    """How one kind of relationship is drawn; `marker` is the id of its arrowhead, if it has one."""

    colour: str
    label: str
    marker: str | None = None


EDGE_STYLES = {
    "reports_to": EdgeStyle("#37474f", "reports to (formal)", "arrow-formal"),
    "influences": EdgeStyle("#2166ac", "influences", "arrow-influence"),
    "allied_with": EdgeStyle("#1b7837", "allied with"),
    "rival_of": EdgeStyle("#d7191c", "rival of"),
}
UNKNOWN_EDGE = EdgeStyle("#8c8c8c", "related")


@dataclass
class _Layout:
    """Where each member sits, plus the organisation and department decorations drawn behind them."""

    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    order: list[Mapping[str, Any]] = field(default_factory=list)
    decorations: list[str] = field(default_factory=list)
    width: float = 0
    bottom: float = 0


# --- small helpers ---------------------------------------------------------------------------------------------


def _clean(value: object) -> str:
    """Characters XML 1.0 cannot carry at all (not even escaped) would make the document unparseable."""
    return _INVALID_XML.sub("", "" if value is None else str(value))


def _text(value: object) -> str:
    return escape(_clean(value))


def _attr(value: object) -> str:
    return quoteattr(_clean(value))


def _num(value: float) -> str:
    """One decimal at most and no '-0', so coordinates print the same on every run and platform."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _int(value: Any, default: int, low: int, high: int) -> int:
    """The view comes from JSON: tolerate a missing or odd value rather than fail the whole picture."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = default
    return max(low, min(high, number))


def _truncate(text: str, limit: int = NAME_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _radius(influence: object) -> int:
    """14 for influence 1 up to 30 for influence 5: the difference shows, the grid cell still holds it."""
    return 10 + 4 * _int(influence, 3, 1, 5)


def _display_name(node: Mapping[str, Any]) -> str:
    """A forgotten person (GDPR) stays on the map, anonymous."""
    return _clean(node.get("name")) or FORGOTTEN


def _signed(value: int) -> str:
    return f"{value:+d}" if value else "0"


# --- role abbreviations ----------------------------------------------------------------------------------------


def _candidates(label: str, code: str) -> Iterable[str]:
    """Initials of the label's words first (Decision maker → DM), then letters of a single word (Procurement → PR),
    then the same from the code; the caller takes the first one not already taken by another role."""
    for source in (label, code.replace("_", " ")):
        words = re.findall(r"[^\W_]+", source)
        if not words:
            continue
        if len(words) > 1:
            yield "".join(w[0] for w in words[:3]).upper()
        first = words[0]
        yield first[:2].upper()
        yield first[:3].upper()
        for letter in first[1:]:
            yield (first[0] + letter).upper()
    stem = (re.sub(r"[\W_]+", "", code) or "R")[:2].upper()
    for n in range(2, 100):
        yield f"{stem}{n}"[:3]


def _abbreviations(roles: Sequence[Mapping[str, Any]], codes_in_use: Iterable[str]) -> dict[str, str]:
    """A unique abbreviation of at most three characters per role code, in the order of the company's role set,
    then for codes the nodes use that the set does not know (those fall back to the code itself)."""
    labels = {str(r["code"]): _clean(r.get("label")) or str(r["code"]) for r in roles}
    result: dict[str, str] = {}
    for code in [*labels, *sorted(set(codes_in_use) - set(labels))]:
        taken = set(result.values())
        result[code] = next(c for c in _candidates(labels.get(code, code), code) if c not in taken)
    return result


def _role_titles(roles: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Full role names for tooltips: the English label, with the Russian one when the company keeps it."""
    titles = {}
    for role in roles:
        label, label_ru = _clean(role.get("label")) or str(role["code"]), _clean(role.get("label_ru"))
        titles[str(role["code"])] = f"{label} ({label_ru})" if label_ru and label_ru != label else label
    return titles


# --- layout ----------------------------------------------------------------------------------------------------


def _group(nodes: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[tuple[str, list[Mapping[str, Any]]]]]]:
    """Organisations by head count (the client first), departments by name, people by influence, then input order."""
    counts = Counter(_clean(n.get("organisation")) for n in nodes)
    organisations = sorted(counts, key=lambda org: (-counts[org], org == "", org))
    grouped = []
    for org in organisations:
        people = [n for n in nodes if _clean(n.get("organisation")) == org]
        departments = sorted({_clean(n.get("department")) for n in people}, key=lambda d: (d == "", d))
        grouped.append(
            (
                org,
                [
                    (dept, sorted((n for n in people if _clean(n.get("department")) == dept), key=_by_influence))
                    for dept in departments
                ],
            )
        )
    return grouped


def _by_influence(node: Mapping[str, Any]) -> int:
    return -_int(node.get("influence"), 3, 1, 5)


def _columns(count: int) -> int:
    """A roughly landscape grid: 3 columns at least (room for the header), 6 at most (a screen's width)."""
    return max(MIN_COLUMNS, min(MAX_COLUMNS, math.ceil(math.sqrt(1.5 * count))))


def _layout(nodes: Sequence[Mapping[str, Any]], top: float) -> _Layout:
    """One block per organisation; inside it departments follow each other cell by cell, each labelled above its
    first cell in every row it occupies, so small departments do not waste whole rows."""
    columns = _columns(len(nodes))
    result = _Layout(width=2 * MARGIN + columns * CELL_W)
    y = top
    for org, departments in _group(nodes):
        people = sum(len(p) for _, p in departments)
        rows = math.ceil(people / columns)
        block_h = ORG_HEADER_H + rows * (ROW_LABEL_H + CELL_H)
        result.decorations.append(
            f'<g class="organisation"><rect x="{MARGIN / 2:g}" y="{_num(y)}" width="{result.width - MARGIN:g}" '
            f'height="{block_h}" rx="8" fill="#f6f7f9" stroke="#dde1e6"/>'
            f'<text x="{MARGIN}" y="{_num(y + 18)}" font-size="13" font-weight="bold" fill="#37474f">'
            f"{_text(_truncate(org or '(no organisation)', 60))} · {people}</text></g>"
        )
        index = 0
        for dept, members in departments:
            for offset, node in enumerate(members):
                row, col = divmod(index, columns)
                cell_x = MARGIN + col * CELL_W
                cell_y = y + ORG_HEADER_H + row * (ROW_LABEL_H + CELL_H) + ROW_LABEL_H
                if offset == 0 or col == 0:
                    span = min(len(members) - offset, columns - col)
                    result.decorations.append(_department_label(dept, cell_x, cell_y, span))
                result.positions[str(node["member_id"])] = (cell_x + CELL_W / 2, cell_y + CIRCLE_DY)
                result.order.append(node)
                index += 1
        y += block_h + ORG_GAP
    result.bottom = y
    return result


def _department_label(dept: str, x: float, cell_y: float, span: int) -> str:
    """The department's name over the cells it fills in this row, with a thin rule marking their extent."""
    width = span * CELL_W - 8
    return (
        f'<g class="department"><line x1="{_num(x + 4)}" y1="{_num(cell_y - 3)}" x2="{_num(x + 4 + width)}" '
        f'y2="{_num(cell_y - 3)}" stroke="#b0b7c0"/>'
        f'<text x="{_num(x + 4)}" y="{_num(cell_y - 6)}" font-size="10" font-style="italic" fill="#5f6b78">'
        f"{_text(_truncate(dept or '(no department)', max(12, int(width / 6))))}</text></g>"
    )


# --- nodes -----------------------------------------------------------------------------------------------------


def _tooltip(node: Mapping[str, Any], role_titles: Mapping[str, str], risk_codes: Sequence[str]) -> str:
    attitude = _int(node.get("attitude"), 0, -2, 2)
    rival = _int(node.get("attitude_to_competitor"), 0, -2, 2)
    where = " · ".join(_clean(node.get(k)) for k in ("position", "department") if _clean(node.get(k)))
    roles = ", ".join(role_titles.get(str(c), _clean(c)) for c in node.get("roles") or [])
    lines = [
        _display_name(node),
        where,
        _clean(node.get("organisation")),
        f"Roles: {roles or 'none'}",
        f"Influence: {_int(node.get('influence'), 3, 1, 5)}/5",
        f"Attitude to us: {_signed(attitude)} ({ATTITUDE_WORD[attitude]}); to the competitor: {_signed(rival)}",
        f"Owner: {_clean(node.get('owner')) or 'nobody'}",
        f"Last contact: {_clean(node.get('last_contact')) or 'never'}",
        "" if node.get("active", True) else "Left the client",
        f"Risks: {', '.join(risk_codes)}" if risk_codes else "",
    ]
    return "\n".join(line for line in lines if line)


def _badges(
    codes: Sequence[str], x: float, bottom: float, abbrev: Mapping[str, str], role_titles: Mapping[str, str]
) -> list[str]:
    """Role badges in a centred row ending at `bottom`; past MAX_BADGES the rest fold into one '+n' badge."""
    shown = list(codes) if len(codes) <= MAX_BADGES else list(codes[: MAX_BADGES - 1])
    items = [(abbrev.get(c, c[:3].upper()), role_titles.get(c, c), c) for c in shown]
    if len(shown) < len(codes):
        rest = codes[len(shown) :]
        items.append((f"+{len(rest)}", ", ".join(role_titles.get(c, c) for c in rest), ""))
    widths = [8 + 6 * len(text) for text, _, _ in items]
    left = x - (sum(widths) + 3 * (len(items) - 1)) / 2
    out = []
    for (text, title, code), width in zip(items, widths, strict=True):
        out.append(
            f'<g class="badge"{f" data-role={_attr(code)}" if code else ""}><title>{_text(title)}</title>'
            f'<rect x="{_num(left)}" y="{_num(bottom - 14)}" width="{width}" height="14" rx="3" fill="#ffffff" '
            f'stroke="#59636e"/><text x="{_num(left + width / 2)}" y="{_num(bottom - 3.5)}" font-size="9" '
            f'font-weight="bold" text-anchor="middle" fill="#2b3137">{_text(text)}</text></g>'
        )
        left += width + 3
    return out


def _node(
    node: Mapping[str, Any],
    at: tuple[float, float],
    abbrev: Mapping[str, str],
    role_titles: Mapping[str, str],
    risk_codes: Sequence[str],
) -> str:
    (x, y), r = at, _radius(node.get("influence"))
    active = bool(node.get("active", True))
    fill = ATTITUDE_FILL[_int(node.get("attitude"), 0, -2, 2)]
    outline = 'stroke="#6b6b6b" stroke-width="2" stroke-dasharray="4 3"' if not active else 'stroke="#263238"'
    codes = [_clean(c) for c in node.get("roles") or []]
    faded = "" if active else ' opacity="0.5"'
    parts = [
        f'<g class="member" data-member={_attr(node["member_id"])} data-active="{str(active).lower()}" '
        f'data-at-risk="{str(bool(risk_codes)).lower()}"{faded}>',
        f"<title>{_text(_tooltip(node, role_titles, risk_codes))}</title>",
    ]
    if risk_codes:
        parts.append(
            f'<circle class="risk-ring" cx="{_num(x)}" cy="{_num(y)}" r="{r + 5}" fill="none" stroke="{RISK_RED}" '
            'stroke-width="3"/>'
        )
    parts.append(f'<circle class="node" cx="{_num(x)}" cy="{_num(y)}" r="{r}" fill="{fill}" {outline}/>')
    parts += _badges(codes, x, y - r - (9 if risk_codes else 6), abbrev, role_titles)
    parts += _caption(_display_name(node), _clean(node.get("position")), x, y + LABEL_DY)
    parts.append("</g>")
    return "\n".join(parts)


def _caption(name: str, position: str, x: float, baseline: float) -> list[str]:
    """Name and position under the circle, on a pale backdrop so links passing behind them do not garble the text
    (SVG 1.1 has no paint-order halo; the width is estimated from the character count, which is close enough)."""
    name, position = _truncate(name), _truncate(position)
    width = min(CELL_W - 6, 8 + 6.6 * max(len(name), len(position)))
    return [
        f'<rect class="caption" x="{_num(x - width / 2)}" y="{_num(baseline - 12)}" width="{_num(width)}" '
        f'height="{30 if position else 16}" rx="3" fill="#f6f7f9" fill-opacity="0.85"/>',
        f'<text class="name" x="{_num(x)}" y="{_num(baseline)}" font-size="11" font-weight="bold" '
        f'text-anchor="middle" fill="#1f2328">{_text(name)}</text>',
        f'<text class="position" x="{_num(x)}" y="{_num(baseline + 14)}" font-size="10" text-anchor="middle" '
        f'fill="#57606a">{_text(position)}</text>',
    ]


# --- edges -----------------------------------------------------------------------------------------------------


def _edge(
    edge: Mapping[str, Any],
    ends: tuple[tuple[float, float], tuple[float, float]],
    radii: tuple[float, float],
    parallel: int,
    names: tuple[str, str],
) -> str:
    """A gentle quadratic curve bending left of its direction: it steps around the circles between its ends on the
    grid, and a link back (B→A) or a second link between the same two people bends away from the first."""
    kind = _clean(edge.get("kind"))
    style = EDGE_STYLES.get(kind, UNKNOWN_EDGE)
    formal = bool(edge.get("formal", kind == "reports_to"))
    (x1, y1), (x2, y2) = ends
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    bend = min(0.3 * length, 140) + 26 * parallel
    cx, cy = (x1 + x2) / 2 + (y2 - y1) / length * bend, (y1 + y2) / 2 - (x2 - x1) / length * bend
    sx, sy = _toward((x1, y1), (cx, cy), radii[0] + 1)
    ex, ey = _toward((x2, y2), (cx, cy), radii[1] + (3 if style.marker else 1))
    dash = "" if formal else ' stroke-dasharray="7 4"'
    arrow = f' marker-end="url(#{style.marker})"' if style.marker else ""
    strength = _int(edge.get("strength"), 2, 1, 3)
    title = f"{names[0]} {style.label.removesuffix(' (formal)')} {names[1]} (strength {strength}/3)"
    return (
        f'<path class="edge" data-kind={_attr(kind)} data-formal="{str(formal).lower()}" '
        f"data-source={_attr(edge['source'])} data-target={_attr(edge['target'])} "
        f'd="M {_num(sx)} {_num(sy)} Q {_num(cx)} {_num(cy)} {_num(ex)} {_num(ey)}" fill="none" '
        f'stroke="{style.colour}" stroke-width="{strength}" stroke-opacity="0.8"{dash}{arrow}>'
        f"<title>{_text(title)}</title></path>"
    )


def _toward(start: tuple[float, float], to: tuple[float, float], distance: float) -> tuple[float, float]:
    """The point `distance` from `start` toward `to`: where the curve leaves a circle's edge."""
    dx, dy = to[0] - start[0], to[1] - start[1]
    length = math.hypot(dx, dy) or 1.0
    return start[0] + dx / length * distance, start[1] + dy / length * distance


def _edges(
    edges: Iterable[Mapping[str, Any]],
    positions: Mapping[str, tuple[float, float]],
    nodes: Sequence[Mapping[str, Any]],
) -> list[str]:
    """Edges whose ends are both on the map (and distinct), in relationship-id order for a stable drawing order."""
    names = {str(n["member_id"]): _display_name(n) for n in nodes}
    radii = {str(n["member_id"]): _radius(n.get("influence")) for n in nodes}
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    drawable = [e for e in edges if str(e.get("source")) in positions and str(e.get("target")) in positions]
    for edge in sorted(drawable, key=lambda e: _clean(e.get("relationship_id"))):
        source, target = str(edge["source"]), str(edge["target"])
        if source == target:
            continue
        out.append(
            _edge(
                edge,
                (positions[source], positions[target]),
                (radii[source], radii[target]),
                seen[(source, target)],
                (names[source], names[target]),
            )
        )
        seen[(source, target)] += 1
    return out


# --- header, legend, risks -------------------------------------------------------------------------------------


def _header(view: Mapping[str, Any], members: int) -> list[str]:
    name = _clean(view.get("account_name")) or "Account"
    facts = [f"version {_int(view.get('version'), 0, 0, 2**63)}"]
    if view.get("as_of"):
        facts.append(f"as of {_clean(view['as_of'])}")
    facts.append(f"{members} {'member' if members == 1 else 'members'}")
    return [
        f'<text class="title" x="{MARGIN}" y="32" font-size="18" font-weight="bold" fill="#1f2328">'
        f"<title>{_text(name)}</title>Buying center · {_text(_truncate(name, 70))}</text>",
        f'<text class="subtitle" x="{MARGIN}" y="52" font-size="11" fill="#57606a">{_text(" · ".join(facts))}</text>',
    ]


def _legend(x: float, y: float, roles: list[tuple[str, str]]) -> tuple[list[str], float]:
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
            f'<text x="{x + 32}" y="{y}">{_signed(value)} {ATTITUDE_WORD[value]}</text>'
        )
    y += 24
    out.append(f'<text x="{x + 12}" y="{y}" font-weight="bold">Circle size = influence 1–5</text>')
    y += 10
    cx = x + 12
    for influence in range(1, 6):
        r = _radius(influence)
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
            f'{dash}{arrow}/><text x="{x + 60}" y="{y}">{_text(style.label)}</text>'
        )
    y += 17
    out.append(f'<text x="{x + 12}" y="{y}" fill="#57606a">solid = formal, dashed = informal</text>')
    if roles:
        y += 24
        out.append(f'<text x="{x + 12}" y="{y}" font-weight="bold">Roles</text>')
    for abbrev, title in roles:
        y += 16
        out.append(
            f'<text x="{x + 12}" y="{y}"><title>{_text(title)}</title><tspan font-weight="bold">{_text(abbrev)}</tspan>'
            f'<tspan x="{x + 48}">{_text(_truncate(title, 40))}</tspan></text>'
        )
    y += 14
    box = (
        f'<rect x="{x}" y="{top}" width="{LEGEND_W - MARGIN}" height="{_num(y - top)}" rx="8" fill="#ffffff" '
        'stroke="#c9ced4"/>'
    )
    return ['<g class="legend" font-size="11" fill="#1f2328">', box, *out, "</g>"], y


def _legend_roles(
    roles: Sequence[Mapping[str, Any]], nodes: Sequence[Mapping[str, Any]], abbrev: Mapping[str, str]
) -> list[tuple[str, str]]:
    """All of the company's roles when there are few, else only those someone on the map holds."""
    in_use = {_clean(c) for n in nodes for c in n.get("roles") or []}
    titles = _role_titles(roles)
    known = [str(r["code"]) for r in roles]
    codes = known if len(known) < ROLE_LEGEND_ALL_BELOW else [c for c in known if c in in_use]
    codes += sorted(in_use - set(known))
    return [(abbrev[c], titles.get(c, c)) for c in codes]


def _risks(risks: Sequence[Mapping[str, Any]], names: Mapping[str, str], x: float, y: float, width: float) -> list[str]:
    """Coverage risks as 'code: reason' lines under the map; the people concerned are named in the tooltip."""
    if not risks:
        return []
    chars = max(30, int(width / 6.2))
    out = [
        f'<g class="risks" font-size="11"><text x="{x}" y="{_num(y + 14)}" font-size="12" font-weight="bold" '
        f'fill="{RISK_RED}">Coverage risks · {len(risks)}</text>'
    ]
    for i, risk in enumerate(risks):
        line = f"{_clean(risk.get('code'))}: {_clean(risk.get('reason'))}"
        people = ", ".join(names[str(m)] for m in risk.get("members") or [] if str(m) in names)
        title = line + (f"\nPeople: {people}" if people else "")
        out.append(
            f'<text class="risk" data-code={_attr(risk.get("code"))} x="{x}" y="{_num(y + 32 + 16 * i)}">'
            f"<title>{_text(title)}</title>⚠ {_text(_truncate(line, chars))}</text>"
        )
    out.append("</g>")
    return out


def _risks_height(risks: Sequence[Mapping[str, Any]]) -> int:
    return 0 if not risks else 32 + 16 * len(risks)


def _marker(marker_id: str, colour: str) -> str:
    """An arrowhead of fixed size (user units), so it stays readable on thin and thick links alike."""
    return (
        f'<marker id="{marker_id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" markerHeight="10" '
        f'markerUnits="userSpaceOnUse" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="{colour}"/></marker>'
    )


DEFS = "<defs>" + "".join(_marker(s.marker, s.colour) for s in EDGE_STYLES.values() if s.marker) + "</defs>"


# --- the document ----------------------------------------------------------------------------------------------


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
    risks = list(view.get("risks") or [])
    abbrev = _abbreviations(roles, {_clean(c) for n in nodes for c in n.get("roles") or []})
    role_titles = _role_titles(roles)
    risk_codes: dict[str, list[str]] = {}
    for risk in risks:
        for member in risk.get("members") or []:
            risk_codes.setdefault(str(member), []).append(_clean(risk.get("code")))

    placed = _layout(nodes, HEADER_H)
    map_bottom = placed.bottom if nodes else HEADER_H + 60
    legend, legend_bottom = _legend(placed.width, HEADER_H, _legend_roles(roles, nodes, abbrev))
    names = {str(n["member_id"]): _display_name(n) for n in nodes}
    width = int(placed.width + LEGEND_W)
    height = math.ceil(max(map_bottom + _risks_height(risks), legend_bottom) + MARGIN)

    body = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="{SVG_NS}" version="1.1" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT}">',
        DEFS,
        f'<rect class="background" width="{width}" height="{height}" fill="#ffffff"/>',
        *_header(view, len(nodes)),
        *placed.decorations,
    ]
    if not nodes:
        body.append(
            f'<text class="empty" x="{MARGIN}" y="{HEADER_H + 30}" font-size="14" fill="#8c8c8c">No members yet</text>'
        )
    body.append('<g class="edges">')
    body += _edges(view.get("edges") or [], placed.positions, nodes)
    body.append('</g>\n<g class="members">')
    body += [
        _node(n, placed.positions[str(n["member_id"])], abbrev, role_titles, risk_codes.get(str(n["member_id"]), []))
        for n in placed.order
    ]
    body.append("</g>")
    body += legend
    body += _risks(risks, names, MARGIN, map_bottom, placed.width - 2 * MARGIN)
    body.append("</svg>")
    return "\n".join(body) + "\n"
