"""A sales project as it stands: stage, the facts its exit criteria read, and its stage history."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from service.domain.opportunity.criteria import DEFAULT_EXIT_CRITERIA, Stage, StageCriteria

MEETING_KINDS = frozenset({"meeting", "visit", "negotiation"})


class Kind(enum.StrEnum):
    NEW_CLIENT = "new_client"
    CROSS_SELL = "cross_sell"  # to an existing client: starts at Finding an ally, Entry is skipped


class Status(enum.StrEnum):
    OPEN = "open"
    LOST = "lost"


class EvidenceKind(enum.StrEnum):
    TEST_REPORT = "test_report"
    LAB_REPORT = "lab_report"
    COST_CALCULATION = "cost_calculation"
    ESTIMATE = "estimate"
    PAST_PROJECT = "past_project"


class Side(enum.StrEnum):
    SUPPLIER = "supplier"
    CLIENT = "client"


@dataclass(frozen=True, slots=True, kw_only=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Need:
    member_id: str
    need: str | None  # None once the person is forgotten
    on: date
    interaction_id: str = ""  # learnt in this interaction: unlinking or retracting it withdraws the need


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """SPIN: a problem, what it costs, whom it hurts, whether the client says it aloud yet."""

    problem_id: str
    problem: str
    consequence: str = ""
    affected_member: str | None = None
    explicit: bool = False  # hidden until the client states it as a need
    criteria: tuple[str, ...] | None = ()  # the affected member's decision criteria; None: forgotten with them
    need_confirmed_by: str | None = None
    confirmed_on: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    evidence_id: str
    kind: EvidenceKind
    title: str
    ref: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceRound:
    round: int  # 1st, 2nd, 3rd price discussion
    level: str  # at which level it happened: engineers, procurement, leaders
    on: date
    offer: Money | None = None
    outcome: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchAction:
    side: Side
    what: str
    owner: str
    due: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Confirmation:
    member_id: str
    note: str | None  # None once the person is forgotten
    on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class StageChange:
    from_stage: Stage | None
    to_stage: Stage
    at: datetime | None
    held: tuple[str, ...] = ()  # exit criteria that held
    override_reason: str | None = None  # a supervisor advanced despite these unmet criteria
    unmet: tuple[str, ...] = ()
    by: str = ""  # who moved it


@dataclass(frozen=True, slots=True, kw_only=True)
class Loss:
    """The project lost in a stage, and when it was reopened, if it was: a report over a period needs each loss."""

    stage: Stage
    at: datetime | None
    reopened_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Meeting:
    interaction_id: str
    kind: str
    on: date
    with_client: bool = True  # a member of the client's buying center took part: not one of our people alone
    participants: tuple[str, ...] | None = None  # the buying-center members who took part (None: not recorded)


@dataclass(frozen=True, slots=True, kw_only=True)
class Opportunity:
    exists: bool = False
    opportunity_id: str = ""
    account_id: str = ""
    product_line: str = ""
    kind: Kind = Kind.NEW_CLIENT
    expected_volume: str = ""
    expected_value: Money | None = None
    main_competitor: str = ""
    stage: Stage = Stage.ENTRY
    status: Status = Status.OPEN
    lost_reason: str = ""
    lost_at: datetime | None = None
    losses: tuple[Loss, ...] = ()  # every time it was lost, the latest last
    criteria: StageCriteria = field(default_factory=lambda: StageCriteria(version=1, exits=DEFAULT_EXIT_CRITERIA))
    opened_at: datetime | None = None
    stage_entered_at: datetime | None = None
    interactions: tuple[Meeting, ...] = ()  # every linked interaction, with its kind and day
    invitation: str | None = None
    allies: tuple[str, ...] = ()
    needs: tuple[Need, ...] = ()  # in force: not those learnt in an interaction since unlinked or retracted
    problems: dict[str, Problem] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()
    confirmed_volume: str | None = None
    volume_confirmed_by: str | None = None
    price_rounds: tuple[PriceRound, ...] = ()
    leader_confirmation: Confirmation | None = None
    launch_plan: tuple[LaunchAction, ...] = ()
    confident_use: Confirmation | None = None
    history: tuple[StageChange, ...] = ()

    @property
    def last_interaction_on(self) -> date | None:
        """The day of the latest interaction with the client: a project our own people alone talk about stalls."""
        return max((m.on for m in self.interactions if m.with_client), default=None)

    @property
    def meetings(self) -> tuple[Meeting, ...]:
        """Interactions that count as a meeting held: meetings, visits, negotiations, with the client."""
        return tuple(m for m in self.interactions if m.kind in MEETING_KINDS and m.with_client)

    def linked(self, interaction_id: str) -> bool:
        return self.interaction(interaction_id) is not None

    def interaction(self, interaction_id: str) -> Meeting | None:
        return next((m for m in self.interactions if m.interaction_id == interaction_id), None)
