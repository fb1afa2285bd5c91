"""Facts of a plan's life. Each names who did it (`by`): the review trail is the events themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from service.domain.plan.content import ItemType, PlanContent
from service.domain.plan.state import ActionProgress, ActionStatus, Actual, ItemChange


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanStarted:
    plan_id: str
    account_id: str
    title: str
    horizon_from: int
    horizon_to: int
    by: str
    supersedes: str | None = None
    starting_content: PlanContent | None = None  # a successor starts from its predecessor's plan in force
    # False: the predecessor had none in force, and its draft, which no one agreed, only seeded this draft
    starting_agreed: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftItemPut:
    item_type: ItemType
    item: dict[str, Any]
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftItemRemoved:
    item_type: ItemType
    item_id: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionProposed:
    revision: int
    content: PlanContent  # frozen as proposed: the exact text the supervisor reviews
    note: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionCommented:
    comment_id: str
    revision: int
    item_id: str | None
    text: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentAnswered:
    comment_id: str
    text: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangesRequested:
    revision: int
    note: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionAgreed:
    revision: int
    note: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanningSessionRecorded:
    """Version 2: who took part are references, as in an interaction, never a client person's name in clear; version 1
    held free-text names in `participants`, which its upcaster moves to `named_participants`."""

    session_id: str
    on: date
    participants: tuple[str, ...]  # buying-center member ids: a forgotten person's name goes with their node
    decisions: tuple[str, ...]
    changes: tuple[ItemChange, ...]
    by: str
    role: str
    team: str | None = None  # the recorder's team: a hand-over to another team leaves them no party to confirm to
    our_participants: tuple[str, ...] = ()  # people on our side (subjects)
    named_participants: tuple[str, ...] = ()  # version 1's free-text names, of either side, in clear; none since


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanningSessionConfirmed:
    """The other party agreed: the session's result is a new revision, agreed and in force."""

    session_id: str
    revision: int
    content: PlanContent
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanningSessionConfirmedUnchanged:
    """The other party agreed to a session that changes nothing in the plan in force (the parties kept it as it is):
    its minutes stand, and no revision is made, as a draft equal to the plan in force is not proposed."""

    session_id: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionStatusSet:
    action_id: str
    status: ActionStatus
    note: str
    on: date
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalActualRecorded:
    goal_id: str
    value: Decimal
    source: str
    on: date
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanSuperseded:
    """The successor's first revision was agreed: this plan leaves force. (Before the register of plans, a successor's
    start superseded at once; those events fold the same way.)"""

    by_plan: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SuccessorStarted:
    """A successor is being drafted: this plan stays in force, taking progress, and takes no new revision."""

    plan_id: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PredecessorProgressCarried:
    """With the successor's first agreement, the predecessor's progress on the items the successor keeps."""

    from_plan: str
    progress: dict[str, ActionProgress]
    actuals: dict[str, Actual]
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanAbandoned:
    """On a successor never agreed: it is given up, and stays readable as history."""

    reason: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SuccessorAbandoned:
    """On the predecessor: its successor `plan_id` was abandoned; this plan takes new revisions again."""

    plan_id: str
    by: str


PlanEvent = (
    PlanStarted
    | DraftItemPut
    | DraftItemRemoved
    | RevisionProposed
    | RevisionCommented
    | CommentAnswered
    | ChangesRequested
    | RevisionAgreed
    | PlanningSessionRecorded
    | PlanningSessionConfirmed
    | PlanningSessionConfirmedUnchanged
    | ActionStatusSet
    | GoalActualRecorded
    | PlanSuperseded
    | SuccessorStarted
    | PredecessorProgressCarried
    | PlanAbandoned
    | SuccessorAbandoned
)
EVENTS = (
    PlanStarted,
    DraftItemPut,
    DraftItemRemoved,
    RevisionProposed,
    RevisionCommented,
    CommentAnswered,
    ChangesRequested,
    RevisionAgreed,
    PlanningSessionRecorded,
    PlanningSessionConfirmed,
    PlanningSessionConfirmedUnchanged,
    ActionStatusSet,
    GoalActualRecorded,
    PlanSuperseded,
    SuccessorStarted,
    PredecessorProgressCarried,
    PlanAbandoned,
    SuccessorAbandoned,
)
