"""What managers and supervisors ask of a sales project. Facts from other aggregates come with the command:
`members` is the account's buying center (member id → role codes), `left` the ids of its members who have left
the client, `away` the periods each member was away and came back from, `roster` the map a stage gate is judged on,
`criteria` the company's exit criteria."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from service.domain.actors import Actor
from service.domain.opportunity.criteria import StageCriteria
from service.domain.opportunity.roster import Absences, Roster
from service.domain.opportunity.state import Evidence, Kind, LaunchAction, Money, PriceRound, Problem


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenOpportunity:
    actor: Actor
    opportunity_id: str
    account_id: str
    product_line: str
    kind: Kind
    expected_volume: str = ""
    expected_value: Money | None = None
    main_competitor: str = ""
    criteria: StageCriteria
    opened_on: date | None = None
    today: date | None = None
    buys_from_us: bool = True  # the account was in serial supply and is not lost: cross-selling needs a client
    client_since: date | None = None  # the day it became one: a cross-sell is not opened before it


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkInteraction:
    actor: Actor
    interaction_id: str
    kind: str
    on: date
    with_client: bool = True
    participants: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnlinkInteraction:
    actor: Actor
    interaction_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordInvitation:
    actor: Actor
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkAlly:
    actor: Actor
    member_id: str
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    left: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmNeed:
    actor: Actor
    member_id: str
    need: str
    on: date
    today: date
    interaction_id: str = ""
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    left: frozenset[str] = frozenset()
    away: Absences = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordProblem:
    actor: Actor
    problem: Problem
    refine: bool = False  # the problem exists already: its id must be one of the project's
    today: date | None = None  # when given, the need's confirmation date may not be later
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    left: frozenset[str] = frozenset()
    away: Absences = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveProblem:
    actor: Actor
    problem_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AddEvidence:
    actor: Actor
    evidence: Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmVolume:
    actor: Actor
    volume: str
    member_id: str | None = None
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    left: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordPriceRound:
    actor: Actor
    price_round: PriceRound
    today: date | None = None  # when given, the round may not be later


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordLeaderConfirmation:
    actor: Actor
    member_id: str
    note: str
    on: date
    today: date
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    left: frozenset[str] = frozenset()
    away: Absences = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class SetLaunchPlan:
    actor: Actor
    actions: tuple[LaunchAction, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmConfidentUse:
    actor: Actor
    member_id: str
    note: str
    on: date
    today: date
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    left: frozenset[str] = frozenset()
    away: Absences = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvanceStage:
    actor: Actor
    override_reason: str | None = None  # a supervisor's written reason to advance despite unmet criteria
    may_override: bool = False  # the actor supervises the account's team, or is an admin
    on: date | None = None  # when it happened, if recorded after the fact
    today: date | None = None
    roster: Roster | None = None  # the map now: no fact in the word of one gone, or away on its day, or demoted


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkLost:
    actor: Actor
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Reopen:
    actor: Actor
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrateCriteria:
    actor: Actor
    criteria: StageCriteria
    reason: str
    may_override: bool = False


OpportunityCommand = (
    OpenOpportunity
    | LinkInteraction
    | UnlinkInteraction
    | RecordInvitation
    | LinkAlly
    | ConfirmNeed
    | RecordProblem
    | RemoveProblem
    | AddEvidence
    | ConfirmVolume
    | RecordPriceRound
    | RecordLeaderConfirmation
    | SetLaunchPlan
    | ConfirmConfidentUse
    | AdvanceStage
    | MarkLost
    | Reopen
    | MigrateCriteria
)
