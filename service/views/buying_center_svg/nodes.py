"""One member on the map: circle, risk ring, role badges, caption and tooltip."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from service.views.buying_center_svg.markup import (
    clamped_int,
    clean,
    display_name,
    num,
    radius,
    signed,
    truncate,
    xml_attr,
    xml_text,
)
from service.views.buying_center_svg.style import ATTITUDE_FILL, ATTITUDE_WORD, CELL_W, LABEL_DY, MAX_BADGES, RISK_RED


def _tooltip(node: Mapping[str, Any], role_titles: Mapping[str, str], risk_codes: Sequence[str]) -> str:
    attitude = clamped_int(node.get("attitude"), 0, -2, 2)
    rival = clamped_int(node.get("attitude_to_competitor"), 0, -2, 2)
    where = " · ".join(clean(node.get(k)) for k in ("position", "department") if clean(node.get(k)))
    roles = ", ".join(role_titles.get(str(c), clean(c)) for c in node.get("roles") or [])
    lines = [
        display_name(node),
        where,
        clean(node.get("organisation")),
        f"Roles: {roles or 'none'}",
        f"Influence: {clamped_int(node.get('influence'), 3, 1, 5)}/5",
        f"Attitude to us: {signed(attitude)} ({ATTITUDE_WORD[attitude]}); to the competitor: {signed(rival)}",
        f"Owner: {clean(node.get('owner')) or 'nobody'}",
        f"Last contact: {clean(node.get('last_contact')) or 'never'}",
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
            f'<g class="badge"{f" data-role={xml_attr(code)}" if code else ""}><title>{xml_text(title)}</title>'
            f'<rect x="{num(left)}" y="{num(bottom - 14)}" width="{width}" height="14" rx="3" fill="#ffffff" '
            f'stroke="#59636e"/><text x="{num(left + width / 2)}" y="{num(bottom - 3.5)}" font-size="9" '
            f'font-weight="bold" text-anchor="middle" fill="#2b3137">{xml_text(text)}</text></g>'
        )
        left += width + 3
    return out


def member_group(
    node: Mapping[str, Any],
    at: tuple[float, float],
    abbrev: Mapping[str, str],
    role_titles: Mapping[str, str],
    risk_codes: Sequence[str],
) -> str:
    (x, y), r = at, radius(node.get("influence"))
    active = bool(node.get("active", True))
    fill = ATTITUDE_FILL[clamped_int(node.get("attitude"), 0, -2, 2)]
    outline = 'stroke="#6b6b6b" stroke-width="2" stroke-dasharray="4 3"' if not active else 'stroke="#263238"'
    codes = [clean(c) for c in node.get("roles") or []]
    faded = "" if active else ' opacity="0.5"'
    parts = [
        f'<g class="member" data-member={xml_attr(node["member_id"])} data-active="{str(active).lower()}" '
        f'data-at-risk="{str(bool(risk_codes)).lower()}"{faded}>',
        f"<title>{xml_text(_tooltip(node, role_titles, risk_codes))}</title>",
    ]
    if risk_codes:
        parts.append(
            f'<circle class="risk-ring" cx="{num(x)}" cy="{num(y)}" r="{r + 5}" fill="none" stroke="{RISK_RED}" '
            'stroke-width="3"/>'
        )
    parts.append(f'<circle class="node" cx="{num(x)}" cy="{num(y)}" r="{r}" fill="{fill}" {outline}/>')
    parts += _badges(codes, x, y - r - (9 if risk_codes else 6), abbrev, role_titles)
    parts += _caption(display_name(node), clean(node.get("position")), x, y + LABEL_DY)
    parts.append("</g>")
    return "\n".join(parts)


def _caption(name: str, position: str, x: float, baseline: float) -> list[str]:
    """Name and position under the circle, on a pale backdrop so links passing behind them do not garble the text
    (SVG 1.1 has no paint-order halo; the width is estimated from the character count, which is close enough)."""
    name, position = truncate(name), truncate(position)
    width = min(CELL_W - 6, 8 + 6.6 * max(len(name), len(position)))
    return [
        f'<rect class="caption" x="{num(x - width / 2)}" y="{num(baseline - 12)}" width="{num(width)}" '
        f'height="{30 if position else 16}" rx="3" fill="#f6f7f9" fill-opacity="0.85"/>',
        f'<text class="name" x="{num(x)}" y="{num(baseline)}" font-size="11" font-weight="bold" '
        f'text-anchor="middle" fill="#1f2328">{xml_text(name)}</text>',
        f'<text class="position" x="{num(x)}" y="{num(baseline + 14)}" font-size="10" text-anchor="middle" '
        f'fill="#57606a">{xml_text(position)}</text>',
    ]
