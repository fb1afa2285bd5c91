"""The projections a process runs: the built-in ones plus any from KAMPLAN_PROJECTION_MODULES."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from service.events.upcasting import Upcasters
from service.projections.accounts import Accounts
from service.projections.audit import AuditLog
from service.projections.buying_centers import BuyingCenters
from service.projections.dossiers import Dossiers
from service.projections.interactions import Interactions
from service.projections.model import Projection
from service.projections.opportunities import Opportunities
from service.projections.plans import Plans
from service.projections.purchases import Purchases


def builtin(upcasters: Upcasters) -> list[Projection]:
    """The built-in projections; those that fold streams read events with `upcasters`, the event store's."""
    folding = (Accounts, BuyingCenters, Dossiers, Opportunities, Interactions, Plans, Purchases)
    return [AuditLog(), *(kind(upcasters) for kind in folding)]


def load(modules: Sequence[str], upcasters: Upcasters) -> list[Projection]:
    """Built-ins, then `module.projections()` of each extra module (deployment add-ons, test support)."""
    found = builtin(upcasters)
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
