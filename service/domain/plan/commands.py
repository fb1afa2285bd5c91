"""What the manager and the supervisor ask of a plan. `team` and `owner` are the account's, for the role rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from service.domain.account.state import Account
from service.domain.actors import Actor
from service.domain.plan.content import ItemType, PlanContent, PlanItem
from service.domain.plan.state import ActionStatus, ItemChange


@dataclass(frozen=True, slots=True, kw_only=True)
class Parties:
    """Who the plan's parties are: the account's owner manager and the supervisor of the account's team."""

    owner: str
    team: str | None

    @classmethod
    def of(cls, account: Account) -> Parties:
        return cls(owner=account.owner, team=account.team)


@dataclass(frozen=True, slots=True, kw_only=True)
class StartPlan:
    actor: Actor
    parties: Parties
    plan_id: str
    account_id: str
    title: str
    horizon_from: int
    horizon_to: int
    supersedes: str | None = None
    starting_content: PlanContent | None = None
    starting_agreed: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class PutItem:
    actor: Actor
    parties: Parties
    item_type: ItemType
    item: PlanItem


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveItem:
    actor: Actor
    parties: Parties
    item_type: ItemType
    item_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposeRevision:
    actor: Actor
    parties: Parties
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentOnRevision:
    actor: Actor
    parties: Parties
    comment_id: str
    revision: int
    item_id: str | None
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerComment:
    actor: Actor
    parties: Parties
    comment_id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestChanges:
    actor: Actor
    parties: Parties
    revision: int
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreeRevision:
    actor: Actor
    parties: Parties
    revision: int
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordSession:
    actor: Actor
    parties: Parties
    session_id: str
    on: date
    today: date
    participants: tuple[str, ...]  # buying-center member ids
    our_participants: tuple[str, ...]
    decisions: tuple[str, ...]
    changes: tuple[ItemChange, ...]
    members: frozenset[str]  # the account's buying center


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmSession:
    actor: Actor
    parties: Parties
    session_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetActionStatus:
    actor: Actor
    parties: Parties
    action_id: str
    status: ActionStatus
    note: str
    on: date
    today: date


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordGoalActual:
    actor: Actor
    parties: Parties
    goal_id: str
    value: Decimal
    source: str
    on: date
    today: date


@dataclass(frozen=True, slots=True, kw_only=True)
class StartSuccessor:
    """On the plan in force: `plan_id` starts as its successor."""

    actor: Actor
    parties: Parties
    plan_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SupersedePlan:
    """On the predecessor, with its successor's first agreement: `successor_agreed` is the successor's revision in
    force after the command that agrees it (None: not agreed, and the predecessor stays in force)."""

    actor: Actor
    parties: Parties
    by_plan: str
    successor_agreed: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AbandonSuccessor:
    """On a successor never agreed: give it up, with the reason."""

    actor: Actor
    parties: Parties
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ForgoSuccessor:
    """On the predecessor, with its successor's abandonment: it takes new revisions again."""

    actor: Actor
    parties: Parties
    by_plan: str


PlanCommand = (
    StartPlan
    | PutItem
    | RemoveItem
    | ProposeRevision
    | CommentOnRevision
    | AnswerComment
    | RequestChanges
    | AgreeRevision
    | RecordSession
    | ConfirmSession
    | SetActionStatus
    | RecordGoalActual
    | StartSuccessor
    | SupersedePlan
    | AbandonSuccessor
    | ForgoSuccessor
)
