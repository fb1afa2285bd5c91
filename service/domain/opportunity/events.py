"""Facts about a sales project. What a person told or confirmed is sealed with that person (subject = member id),
as in the buying center: the need they confirmed and the notes of the leader's confirmation and of confident use.
That they confirmed it, and when, stays readable once they are forgotten, so exit criteria still hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.domain.opportunity.criteria import Stage, StageCriteria
from service.domain.opportunity.state import Evidence, Kind, LaunchAction, Money, PriceRound, Problem


@dataclass(frozen=True, slots=True, kw_only=True)
class OpportunityOpened:
    opportunity_id: str
    account_id: str
    product_line: str
    kind: Kind
    expected_volume: str
    expected_value: Money | None
    main_competitor: str
    stage: Stage
    criteria: StageCriteria  # pinned: later changes of the company's criteria do not touch this project
    opened_on: date | None = None  # business time, when recorded after the fact
    by: str = ""  # who opened it


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionLinked:
    """An interaction about this project happened (a meeting with the client among them meets Entry's exit
    criterion; one of our people alone, an internal meeting, does not)."""

    interaction_id: str
    kind: str
    on: date
    with_client: bool = True  # someone of the client's buying center took part (events before the field: taken so)
    participants: tuple[str, ...] | None = None  # the buying-center members who took part (None: not recorded)


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionRelinked:
    """A linked interaction was corrected: it was of another kind, or on another day (its entry replaces the
    earlier one: a meeting corrected to an e-mail no longer meets Entry's exit criterion)."""

    interaction_id: str
    kind: str
    on: date
    with_client: bool = True
    participants: tuple[str, ...] | None = None  # a need learnt from a member no longer among them goes


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionUnlinked:
    interaction_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitationRecorded:
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AllyLinked:
    member_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NeedConfirmed:
    member_id: str
    need: str | None  # None once the person is forgotten
    on: date
    interaction_id: str = ""

    def personal(self) -> dict[str, str]:
        return {"need": self.member_id} if self.need else {}


@dataclass(frozen=True, slots=True, kw_only=True)
class ProblemRecorded:
    """Added or replaced (same problem_id): the list is refined as the project goes. The problem is the project's
    record; what the affected member weighs a decision by is theirs, so `criteria` travel beside it, sealed under
    the member's key (None once they are forgotten). Events written before carry them in `problem`, in clear."""

    problem: Problem
    criteria: tuple[str, ...] | None = ()

    def personal(self) -> dict[str, str]:
        return {"criteria": self.problem.affected_member} if self.criteria and self.problem.affected_member else {}


@dataclass(frozen=True, slots=True, kw_only=True)
class ProblemRemoved:
    problem_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceAdded:
    evidence: Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumeConfirmed:
    volume: str
    member_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceRoundRecorded:
    price_round: PriceRound


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderConfirmationRecorded:
    member_id: str
    note: str | None  # None once the person is forgotten
    on: date

    def personal(self) -> dict[str, str]:
        return {"note": self.member_id} if self.note else {}


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchPlanSet:
    actions: tuple[LaunchAction, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfidentUseConfirmed:
    member_id: str
    note: str | None  # None once the person is forgotten
    on: date

    def personal(self) -> dict[str, str]:
        return {"note": self.member_id} if self.note else {}


@dataclass(frozen=True, slots=True, kw_only=True)
class StageAdvanced:
    from_stage: Stage
    to_stage: Stage
    held: tuple[str, ...]
    override_reason: str | None = None
    unmet: tuple[str, ...] = ()
    on: date | None = None  # business time, when recorded after the fact
    by: str = ""  # who advanced it (a supervisor, for an override)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpportunityLost:
    at_stage: Stage
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OpportunityReopened:
    stage: Stage
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CriteriaMigrated:
    """An explicit, audited move of an open project to another version of the company's exit criteria."""

    from_version: int
    criteria: StageCriteria
    reason: str


OpportunityEvent = (
    OpportunityOpened
    | InteractionLinked
    | InteractionRelinked
    | InteractionUnlinked
    | InvitationRecorded
    | AllyLinked
    | NeedConfirmed
    | ProblemRecorded
    | ProblemRemoved
    | EvidenceAdded
    | VolumeConfirmed
    | PriceRoundRecorded
    | LeaderConfirmationRecorded
    | LaunchPlanSet
    | ConfidentUseConfirmed
    | StageAdvanced
    | OpportunityLost
    | OpportunityReopened
    | CriteriaMigrated
)
EVENTS = (
    OpportunityOpened,
    InteractionLinked,
    InteractionRelinked,
    InteractionUnlinked,
    InvitationRecorded,
    AllyLinked,
    NeedConfirmed,
    ProblemRecorded,
    ProblemRemoved,
    EvidenceAdded,
    VolumeConfirmed,
    PriceRoundRecorded,
    LeaderConfirmationRecorded,
    LaunchPlanSet,
    ConfidentUseConfirmed,
    StageAdvanced,
    OpportunityLost,
    OpportunityReopened,
    CriteriaMigrated,
)
