"""Role abbreviations for the badges and full role names for the tooltips and the legend."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from service.views.buying_center_svg.markup import clean


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


def abbreviations(roles: Sequence[Mapping[str, Any]], codes_in_use: Iterable[str]) -> dict[str, str]:
    """A unique abbreviation of at most three characters per role code, in the order of the company's role set,
    then for codes the nodes use that the set does not know (those fall back to the code itself)."""
    labels = {str(r["code"]): clean(r.get("label")) or str(r["code"]) for r in roles}
    result: dict[str, str] = {}
    for code in [*labels, *sorted(set(codes_in_use) - set(labels))]:
        taken = set(result.values())
        result[code] = next(c for c in _candidates(labels.get(code, code), code) if c not in taken)
    return result


def role_titles(roles: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Full role names for tooltips: the English label, with the Russian one when the company keeps it."""
    titles = {}
    for role in roles:
        label, label_ru = clean(role.get("label")) or str(role["code"]), clean(role.get("label_ru"))
        titles[str(role["code"])] = f"{label} ({label_ru})" if label_ru and label_ru != label else label
    return titles
