"""Small helpers: XML-safe text, numbers that print the same everywhere, and tolerant reads of the JSON view."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from service.views.buying_center_svg.style import FORGOTTEN, NAME_CHARS

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(value: object) -> str:
    """Characters XML 1.0 cannot carry at all (not even escaped) would make the document unparseable."""
    return _INVALID_XML.sub("", "" if value is None else str(value))


def xml_text(value: object) -> str:
    return escape(clean(value))


def xml_attr(value: object) -> str:
    return quoteattr(clean(value))


def num(value: float) -> str:
    """One decimal at most and no '-0', so coordinates print the same on every run and platform."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def clamped_int(value: Any, default: int, low: int, high: int) -> int:
    """The view comes from JSON: tolerate a missing or odd value rather than fail the whole picture."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = default
    return max(low, min(high, number))


def truncate(text: str, limit: int = NAME_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def radius(influence: object) -> int:
    """14 for influence 1 up to 30 for influence 5: the difference shows, the grid cell still holds it."""
    return 10 + 4 * clamped_int(influence, 3, 1, 5)


def display_name(node: Mapping[str, Any]) -> str:
    """A forgotten person (GDPR) stays on the map, anonymous."""
    return clean(node.get("name")) or FORGOTTEN


def signed(value: int) -> str:
    return f"{value:+d}" if value else "0"
