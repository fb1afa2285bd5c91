"""The picture's constants: geometry, colours, fonts, and how each kind of link is drawn (with its arrowhead)."""

from __future__ import annotations

from dataclasses import dataclass

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


def _marker(marker_id: str, colour: str) -> str:
    """An arrowhead of fixed size (user units), so it stays readable on thin and thick links alike."""
    return (
        f'<marker id="{marker_id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" markerHeight="10" '
        f'markerUnits="userSpaceOnUse" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="{colour}"/></marker>'
    )


DEFS = "<defs>" + "".join(_marker(s.marker, s.colour) for s in EDGE_STYLES.values() if s.marker) + "</defs>"
