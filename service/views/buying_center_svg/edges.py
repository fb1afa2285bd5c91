"""The links between members: gentle curves that step around the circles, styled by kind."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from service.views.buying_center_svg.markup import clamped_int, clean, display_name, num, radius, xml_attr, xml_text
from service.views.buying_center_svg.style import EDGE_STYLES, UNKNOWN_EDGE


def _edge(
    edge: Mapping[str, Any],
    ends: tuple[tuple[float, float], tuple[float, float]],
    radii: tuple[float, float],
    parallel: int,
    names: tuple[str, str],
) -> str:
    """A gentle quadratic curve bending left of its direction: it steps around the circles between its ends on the
    grid, and a link back (B→A) or a second link between the same two people bends away from the first."""
    kind = clean(edge.get("kind"))
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
    strength = clamped_int(edge.get("strength"), 2, 1, 3)
    title = f"{names[0]} {style.label.removesuffix(' (formal)')} {names[1]} (strength {strength}/3)"
    return (
        f'<path class="edge" data-kind={xml_attr(kind)} data-formal="{str(formal).lower()}" '
        f"data-source={xml_attr(edge['source'])} data-target={xml_attr(edge['target'])} "
        f'd="M {num(sx)} {num(sy)} Q {num(cx)} {num(cy)} {num(ex)} {num(ey)}" fill="none" '
        f'stroke="{style.colour}" stroke-width="{strength}" stroke-opacity="0.8"{dash}{arrow}>'
        f"<title>{xml_text(title)}</title></path>"
    )


def _toward(start: tuple[float, float], to: tuple[float, float], distance: float) -> tuple[float, float]:
    """The point `distance` from `start` toward `to`: where the curve leaves a circle's edge."""
    dx, dy = to[0] - start[0], to[1] - start[1]
    length = math.hypot(dx, dy) or 1.0
    return start[0] + dx / length * distance, start[1] + dy / length * distance


def edges(
    edges: Iterable[Mapping[str, Any]],
    positions: Mapping[str, tuple[float, float]],
    nodes: Sequence[Mapping[str, Any]],
) -> list[str]:
    """Edges whose ends are both on the map (and distinct), in relationship-id order for a stable drawing order."""
    names = {str(n["member_id"]): display_name(n) for n in nodes}
    radii = {str(n["member_id"]): radius(n.get("influence")) for n in nodes}
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    drawable = [e for e in edges if str(e.get("source")) in positions and str(e.get("target")) in positions]
    for edge in sorted(drawable, key=lambda e: clean(e.get("relationship_id"))):
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
