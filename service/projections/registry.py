"""The projections a process runs: the built-in ones plus any from KAMPLAN_PROJECTION_MODULES."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from service.projections.accounts import Accounts
from service.projections.audit import AuditLog
from service.projections.buying_centers import BuyingCenters
from service.projections.dossiers import Dossiers
from service.projections.interactions import Interactions
from service.projections.model import Projection
from service.projections.opportunities import Opportunities
from service.projections.plans import Plans


def builtin() -> list[Projection]:
    return [AuditLog(), Accounts(), BuyingCenters(), Dossiers(), Opportunities(), Interactions(), Plans()]


def load(modules: Sequence[str] = ()) -> list[Projection]:
    """Built-ins, then `module.projections()` of each extra module (deployment add-ons, test support)."""
    found = builtin()
    for name in modules:
        found.extend(importlib.import_module(name).projections())
    names = [p.name for p in found]
    if len(set(names)) != len(names):
        raise ValueError(f"projection names must be unique: {names}")
    return found


def by_name(projections: Sequence[Projection], name: str) -> Projection:
    for projection in projections:
        if projection.name == name:
            return projection
    raise KeyError(f"no projection {name!r}; known: {', '.join(p.name for p in projections)}")
