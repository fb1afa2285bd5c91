"""The event types a subscription can ask for: every fact of the domain, and the forgetting of a subject.

The subscriptions' own events are not among them: they hold the other subscribers' secrets.
"""

from __future__ import annotations

from service.commands.aggregates import (
    ACCOUNT_EVENTS,
    BUYING_CENTER_EVENTS,
    DOCUMENT_HOLDER_EVENTS,
    DOSSIER_EVENTS,
    INTERACTION_EVENTS,
    OPPORTUNITY_EVENTS,
    PLAN_EVENTS,
    PLAN_REGISTER_EVENTS,
    PURCHASE_EVENTS,
    SETTINGS_EVENTS,
)
from service.projections.folding import SUBJECT_FORGOTTEN

DELIVERABLE: frozenset[str] = frozenset(
    {SUBJECT_FORGOTTEN}.union(
        *(
            kind.names()
            for kind in (
                ACCOUNT_EVENTS,
                SETTINGS_EVENTS,
                DOSSIER_EVENTS,
                BUYING_CENTER_EVENTS,
                OPPORTUNITY_EVENTS,
                INTERACTION_EVENTS,
                PLAN_EVENTS,
                PLAN_REGISTER_EVENTS,
                PURCHASE_EVENTS,
                DOCUMENT_HOLDER_EVENTS,
            )
        )
    )
)
