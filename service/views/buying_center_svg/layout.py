"""Where each member sits: organisation blocks, department runs, one grid cell per person."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from service.views.buying_center_svg.markup import clamped_int, clean, num, truncate, xml_text
from service.views.buying_center_svg.style import (
    CELL_H,
    CELL_W,
    CIRCLE_DY,
    MARGIN,
    MAX_COLUMNS,
    MIN_COLUMNS,
    ORG_GAP,
    ORG_HEADER_H,
    ROW_LABEL_H,
)


@dataclass
class Layout:
    """Where each member sits, plus the organisation and department decorations drawn behind them."""

    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    order: list[Mapping[str, Any]] = field(default_factory=list)
    decorations: list[str] = field(default_factory=list)
    width: float = 0
    bottom: float = 0


def _group(nodes: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[tuple[str, list[Mapping[str, Any]]]]]]:
    """Organisations by head count (the client first), departments by name, people by influence, then input order."""
    counts = Counter(clean(n.get("organisation")) for n in nodes)
    organisations = sorted(counts, key=lambda org: (-counts[org], org == "", org))
    grouped = []
    for org in organisations:
        people = [n for n in nodes if clean(n.get("organisation")) == org]
        departments = sorted({clean(n.get("department")) for n in people}, key=lambda d: (d == "", d))
        grouped.append(
            (
                org,
                [
                    (dept, sorted((n for n in people if clean(n.get("department")) == dept), key=_by_influence))
                    for dept in departments
                ],
            )
        )
    return grouped


def _by_influence(node: Mapping[str, Any]) -> int:
    return -clamped_int(node.get("influence"), 3, 1, 5)


def _columns(count: int) -> int:
    """A roughly landscape grid: 3 columns at least (room for the header), 6 at most (a screen's width)."""
    return max(MIN_COLUMNS, min(MAX_COLUMNS, math.ceil(math.sqrt(1.5 * count))))


def layout(nodes: Sequence[Mapping[str, Any]], top: float) -> Layout:
    """One block per organisation; inside it departments follow each other cell by cell, each labelled above its
    first cell in every row it occupies, so small departments do not waste whole rows."""
    columns = _columns(len(nodes))
    result = Layout(width=2 * MARGIN + columns * CELL_W)
    y = top
    for org, departments in _group(nodes):
        people = sum(len(p) for _, p in departments)
        rows = math.ceil(people / columns)
        block_h = ORG_HEADER_H + rows * (ROW_LABEL_H + CELL_H)
        result.decorations.append(
            f'<g class="organisation"><rect x="{MARGIN / 2:g}" y="{num(y)}" width="{result.width - MARGIN:g}" '
            f'height="{block_h}" rx="8" fill="#f6f7f9" stroke="#dde1e6"/>'
            f'<text x="{MARGIN}" y="{num(y + 18)}" font-size="13" font-weight="bold" fill="#37474f">'
            f"{xml_text(truncate(org or '(no organisation)', 60))} · {people}</text></g>"
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
        f'<g class="department"><line x1="{num(x + 4)}" y1="{num(cell_y - 3)}" x2="{num(x + 4 + width)}" '
        f'y2="{num(cell_y - 3)}" stroke="#b0b7c0"/>'
        f'<text x="{num(x + 4)}" y="{num(cell_y - 6)}" font-size="10" font-style="italic" fill="#5f6b78">'
        f"{xml_text(truncate(dept or '(no department)', max(12, int(width / 6))))}</text></g>"
    )
