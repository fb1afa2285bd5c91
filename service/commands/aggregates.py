"""The domain's aggregates as the event store knows them: stream naming, event codecs, snapshot codecs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from service.domain import codec
from service.domain.account import decide as account
from service.domain.account import events as account_events
from service.domain.account import evolve as account_fold
from service.domain.account.state import Account
from service.domain.buying_center import decide as buying_center
from service.domain.buying_center import events as buying_center_events
from service.domain.buying_center import evolve as buying_center_fold
from service.domain.buying_center.state import BuyingCenter
from service.domain.decider import Decider
from service.domain.dossier import decide as dossier
from service.domain.dossier import events as dossier_events
from service.domain.dossier import evolve as dossier_fold
from service.domain.dossier.state import Dossier
from service.domain.interaction import model as interaction
from service.domain.opportunity import decide as opportunity
from service.domain.opportunity import events as opportunity_events
from service.domain.opportunity import evolve as opportunity_fold
from service.domain.opportunity.state import Opportunity
from service.domain.plan import decide as plan
from service.domain.plan import events as plan_events
from service.domain.plan import evolve as plan_fold
from service.domain.plan import register as plan_register
from service.domain.plan.state import Plan
from service.domain.purchases import decide as purchases
from service.domain.purchases import events as purchase_events
from service.domain.purchases import evolve as purchases_fold
from service.domain.purchases import holding
from service.domain.purchases.state import PurchaseHistory
from service.domain.settings import decide as settings
from service.domain.settings import events as settings_events
from service.domain.settings import evolve as settings_fold
from service.domain.settings.state import CompanySettings
from service.domain.webhooks import decide as webhooks
from service.domain.webhooks import events as webhook_events
from service.domain.webhooks import evolve as webhooks_fold
from service.domain.webhooks.state import Webhooks
from service.events import NewEvent, RecordedEvent
from service.events.aggregate import AggregateType
from service.events.upcasting import Upcasters

S = TypeVar("S")

# The service's schema evolution, one registry for every read (the store's, and the folding projections' own):
# when an event's shape changes, register its step from the old version here (`service/events/upcasting.py`).
UPCASTERS = Upcasters()


@UPCASTERS.register("PlanningSessionRecorded", 1)
def _session_names_apart(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 named who took part in free text, `participants`; since, those are member ids. The old names move to
    `named_participants`, as written (in clear: the log is immutable), so that none is read as a member id."""
    return {**data, "participants": [], "named_participants": data.get("participants", [])}


@UPCASTERS.register("MembersUnlinked", 1)
def _unlink_without_reason(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 carried a `reason` no route set, free text sealed with nobody: version 2 has none."""
    return {k: v for k, v in data.items() if k != "reason"}


@UPCASTERS.register("MemberReturned", 1)
def _return_on_its_recorded_day(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had no day of return: lifted as None, the fold takes the day it was recorded."""
    return {**data, "on": None}


@UPCASTERS.register("DocumentAttached", 1)
def _document_about_no_one(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 named no person a document is about, and sealed nothing: lifted with `about` null, its title and
    link read as written (in clear, also one on a question about a person: the log is immutable)."""
    return {**data, "about": None}


SETTINGS_STREAM = "settings-company"
WEBHOOKS_STREAM = "webhooks-company"  # every subscription in one stream: they are few, and listed together


def account_stream(account_id: str) -> str:
    return f"account-{account_id}"


def dossier_stream(account_id: str) -> str:
    return f"dossier-{account_id}"


def buying_center_stream(account_id: str) -> str:
    return f"buying-center-{account_id}"


def opportunity_stream(opportunity_id: str) -> str:
    return f"opportunity-{opportunity_id}"


def interaction_stream(interaction_id: str) -> str:
    return f"interaction-{interaction_id}"


def plan_stream(plan_id: str) -> str:
    return f"plan-{plan_id}"


def plan_register_stream(account_id: str) -> str:
    """The account's register of plans: which one is current."""
    return f"plans-{account_id}"


def purchases_stream(account_id: str) -> str:
    return f"purchases-{account_id}"


def document_holder_stream(kind: str, number: str) -> str:
    """The company-wide stream of which account holds the ERP's document of that kind and number."""
    return f"purchase-document-{kind}:{number}"


class EventTypes:
    """Domain event classes by their type name: `event_type` in the log is the class name."""

    def __init__(self, *groups: Sequence[type]) -> None:
        self.by_name = {cls.__name__: cls for group in groups for cls in group}

    def decode(self, event: RecordedEvent) -> Any:
        return codec.from_dict(self.by_name[event.event_type], event.data)

    def names(self) -> frozenset[str]:
        return frozenset(self.by_name)


def encode(event: Any, occurred_at: datetime | None = None) -> NewEvent:
    personal = event.personal() if hasattr(event, "personal") else {}
    return NewEvent(
        event_type=type(event).__name__, data=codec.to_dict(event), personal=personal, occurred_at=occurred_at
    )


ACCOUNT_EVENTS = EventTypes(account_events.EVENTS)
SETTINGS_EVENTS = EventTypes(settings_events.EVENTS)
DOSSIER_EVENTS = EventTypes(dossier_events.EVENTS)
BUYING_CENTER_EVENTS = EventTypes(buying_center_events.EVENTS)
OPPORTUNITY_EVENTS = EventTypes(opportunity_events.EVENTS)
INTERACTION_EVENTS = EventTypes(interaction.EVENTS)
PLAN_EVENTS = EventTypes(plan_events.EVENTS)
PLAN_REGISTER_EVENTS = EventTypes(plan_register.EVENTS)
WEBHOOK_EVENTS = EventTypes(webhook_events.EVENTS)
PURCHASE_EVENTS = EventTypes(purchase_events.EVENTS)
DOCUMENT_HOLDER_EVENTS = EventTypes(holding.EVENTS)


def _kind(
    stream_type: str,
    decider: Decider[Any, Any, S],
    events: EventTypes,
    state: type[S],
    *,
    timed: bool,
    snapshot_version: int = 1,
) -> AggregateType[S, Any]:
    loads: Callable[[dict[str, Any]], S] = lambda data: codec.from_dict(state, data)  # noqa: E731
    return AggregateType(
        stream_type=stream_type,
        decider=decider,
        decode=events.decode,
        state_to_json=codec.to_dict,
        state_from_json=loads,
        timed=timed,
        snapshot_version=snapshot_version,
    )


ACCOUNT: AggregateType[Account, Any] = _kind(
    "account",
    Decider(account_fold.initial_state, account.decide, account_fold.evolve),
    ACCOUNT_EVENTS,
    Account,
    timed=True,
    snapshot_version=4,  # 2: supplied (whether the account was ever in serial supply, which reactivation needs);
    # 3: client (whether it buys from us now, which cross-selling needs); 4: the days of the lifecycle and client
)
SETTINGS: AggregateType[CompanySettings, Any] = _kind(
    "settings",
    Decider(settings_fold.initial_state, settings.decide, settings_fold.evolve),
    SETTINGS_EVENTS,
    CompanySettings,
    timed=False,
    snapshot_version=2,  # 2: the roles retired from the set (snapshots of 1 lack them)
)
DOSSIER: AggregateType[Dossier, Any] = _kind(
    "dossier",
    Decider(dossier_fold.initial_state, dossier.decide, dossier_fold.evolve),
    DOSSIER_EVENTS,
    Dossier,
    timed=True,
    # 2: the answer in force is the one learnt last; a retraction copies it, not the last recorded; 3: who recorded it;
    # 4: whom a document is about (and its title null once they are forgotten)
    snapshot_version=4,
)
BUYING_CENTER: AggregateType[BuyingCenter, Any] = _kind(
    "buying_center",
    Decider(buying_center_fold.initial_state, buying_center.decide, buying_center_fold.evolve),
    BUYING_CENTER_EVENTS,
    BuyingCenter,
    timed=True,
    snapshot_version=4,  # 2: why a member is back (returned_reason), which snapshots of 1 lack; 3: periods away;
    # 4: last_contact counts no contact on a day inside an absence as known (a leaving or return dated back)
)
OPPORTUNITY: AggregateType[Opportunity, Any] = _kind(
    "opportunity",
    Decider(opportunity_fold.initial_state, opportunity.decide, opportunity_fold.evolve),
    OPPORTUNITY_EVENTS,
    Opportunity,
    timed=True,
    snapshot_version=9,  # 2: lost_at (snapshots of 1 lack it); 3: the interaction a need was learnt in; 4: losses;
    # 5: whether a linked interaction had the client in it; 6: who took part in it; 7: last_interaction_on derived;
    # 8: a reopening re-enters the stage; 9: a stage left on the day it was entered (or reopened) leaves it after that
)
INTERACTION: AggregateType[interaction.Interaction, Any] = _kind(
    "interaction",
    Decider(interaction.initial_state, interaction.decide, interaction.evolve),
    INTERACTION_EVENTS,
    interaction.Interaction,
    timed=True,
)
PLAN: AggregateType[Plan, Any] = _kind(
    "plan",
    Decider(plan_fold.initial_state, plan.decide, plan_fold.evolve),
    PLAN_EVENTS,
    Plan,
    timed=True,
    # 2: a back-dated actual replaces no newer one; 3: a session keeps its base revision; 4: every answer to a comment;
    # 5: an abandoned successor; 6: a successor keeps the content it started from (a session's base); 7: a back-dated
    # action status replaces no newer one; 8: whether a successor's starting content was agreed, a session's team;
    # 9: when a session was recorded, its revision's proposed_at; 10: why a comment unanswered is no longer open;
    # 11: a proposal closes only the comments on a revision sent back; 12: a session confirmed with no revision closes
    # the open comments as agreed; 13: a session's participants are member ids, with our people apart and a first
    # version's free-text names as named_participants
    snapshot_version=13,
)
PLAN_REGISTER: AggregateType[plan_register.PlanRegister, Any] = _kind(
    "plan_register",
    Decider(plan_register.initial_state, plan_register.decide, plan_register.evolve),
    PLAN_REGISTER_EVENTS,
    plan_register.PlanRegister,
    timed=False,
    snapshot_version=2,  # 2: the successors being drafted
)
WEBHOOKS: AggregateType[Webhooks, Any] = _kind(
    "webhooks",
    Decider(webhooks_fold.initial_state, webhooks.decide, webhooks_fold.evolve),
    WEBHOOK_EVENTS,
    Webhooks,
    timed=False,
)
PURCHASES: AggregateType[PurchaseHistory, Any] = _kind(
    "purchases",
    Decider(purchases_fold.initial_state, purchases.decide, purchases_fold.evolve),
    PURCHASE_EVENTS,
    PurchaseHistory,
    timed=False,
    # 2: a document keeps the newest timestamp the ERP gave it (a resend unchanged, none given); 3: a document kept
    # before identifiers were trimmed folds trimmed, into the slot its resend takes; 4: a document moved to another
    # account leaves the history
    snapshot_version=4,
)
DOCUMENT_HOLDER: AggregateType[holding.DocumentHolder, Any] = _kind(
    "purchase_document",
    Decider(holding.initial_state, holding.no_command, holding.evolve),
    DOCUMENT_HOLDER_EVENTS,
    holding.DocumentHolder,
    timed=False,
)
