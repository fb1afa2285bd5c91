"""A long-range plan as it stands: the draft, every revision with its review trail, sessions, progress."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from service.domain.plan.content import PlanContent


class RevisionStatus(enum.StrEnum):
    PROPOSED = "proposed"  # waiting in the supervisor's queue
    CHANGES_REQUESTED = "changes_requested"
    AGREED = "agreed"  # the plan in force, until a later revision is agreed


class ActionStatus(enum.StrEnum):
    PLANNED = "planned"
    DONE = "done"
    SLIPPED = "slipped"


class CommentClosed(enum.StrEnum):
    """What ended the review a comment was part of before the manager answered it."""

    REVISED = "revised"  # the manager proposed a new revision over the one it is on (sent back): that is the answer
    # a revision was agreed after it (its own, without the answer, or a later one), or a session confirmed after it
    # that kept the plan as it is: the parties' agreement either way
    AGREED = "agreed"
    SUPERSEDED = "superseded"  # the plan left force for its successor
    ABANDONED = "abandoned"  # the plan, a successor, was given up


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    text: str
    by: str
    at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Comment:
    comment_id: str
    revision: int
    item_id: str | None  # None: on the revision as a whole
    text: str
    by: str
    at: datetime | None
    answer: str | None = None  # the latest answer, as before answers were kept
    answered_by: str | None = None
    answered_at: datetime | None = None
    answers: tuple[Answer, ...] = ()  # every answer, in order: a second one is a change of mind, not a correction
    closed: CommentClosed | None = None  # why an unanswered one is not open; answerable till its plan leaves force

    @property
    def open(self) -> bool:
        """Waiting for the manager's answer: not answered, and its review has not ended without one."""
        return self.answer is None and self.closed is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Revision:
    number: int
    content: PlanContent
    status: RevisionStatus
    proposed_by: str
    proposed_at: datetime | None
    note: str = ""
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str = ""
    session_id: str | None = None  # agreed in a joint planning session


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemChange:
    op: str  # put or remove
    item_type: str
    item_id: str
    item: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    session_id: str
    on: date
    participants: tuple[str, ...]  # buying-center member ids
    decisions: tuple[str, ...]
    changes: tuple[ItemChange, ...]
    recorded_by: str
    recorded_role: str  # manager or supervisor: the other party confirms
    recorded_at: datetime | None = None  # when its recorder put it to the other party: its revision's proposal
    recorded_team: str | None = None  # None: an admin, or recorded before the team was kept
    based_on: int = 0  # the revision in force when it was recorded (0: none); its changes were decided against it
    confirmed_by: str | None = None
    revision: int | None = None
    our_participants: tuple[str, ...] = ()  # people on our side
    named_participants: tuple[str, ...] = ()  # free-text names of a session recorded before participants were ids


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionProgress:
    status: ActionStatus
    note: str
    on: date
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Actual:
    value: Decimal
    source: str
    on: date
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Abandonment:
    """A successor given up before its first agreement: its predecessor stays in force and takes revisions again."""

    reason: str
    by: str
    at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    exists: bool = False
    plan_id: str = ""
    account_id: str = ""
    title: str = ""
    horizon_from: int = 0
    horizon_to: int = 0
    started_by: str = ""
    started_at: datetime | None = None
    supersedes: str | None = None
    superseded_by: str | None = None
    successor: str | None = None  # being drafted; this plan stays in force until the successor's first agreement
    abandoned: Abandonment | None = None  # a successor given up before it was agreed; readable as history
    draft: PlanContent = field(default_factory=PlanContent)
    starting: PlanContent = field(default_factory=PlanContent)  # a successor's: its predecessor's plan in force
    starting_agreed: bool = True  # False: `starting` is a predecessor's draft no one agreed, so no session's base
    revisions: tuple[Revision, ...] = ()
    comments: tuple[Comment, ...] = ()
    sessions: dict[str, Session] = field(default_factory=dict)
    progress: dict[str, ActionProgress] = field(default_factory=dict)
    actuals: dict[str, Actual] = field(default_factory=dict)

    @property
    def in_force(self) -> Revision | None:
        agreed = [r for r in self.revisions if r.status is RevisionStatus.AGREED]
        return agreed[-1] if agreed else None

    @property
    def in_force_number(self) -> int:
        """The revision in force, 0 before the first agreement: the one a session recorded now is based on."""
        return self.in_force.number if self.in_force else 0

    @property
    def agreed(self) -> PlanContent:
        """The content of the plan in force; empty before the first agreement."""
        return self.in_force.content if self.in_force else PlanContent()

    @property
    def pending(self) -> Revision | None:
        """The revision under discussion: proposed and waiting for the supervisor (none on an abandoned plan)."""
        if self.abandoned is not None:
            return None
        last = self.revisions[-1] if self.revisions else None
        return last if last is not None and last.status is RevisionStatus.PROPOSED else None

    def revision(self, number: int) -> Revision | None:
        return next((r for r in self.revisions if r.number == number), None)

    @property
    def origin(self) -> PlanContent:
        """Revision 0, what the plan started from: a successor's predecessor's plan in force (within its horizon),
        which its draft began as, so its first revision shows what it changes; nothing for a first plan, nor for a
        successor of a plan never agreed, whose draft it began as was no one's agreement."""
        return self.starting if self.starting_agreed else PlanContent()

    @property
    def baseline(self) -> PlanContent:
        """What the next agreement changes: the plan in force, or, before the first agreement, the origin."""
        return self.in_force.content if self.in_force else self.origin

    def content_of(self, number: int) -> PlanContent | None:
        """Revision `number`'s content, 0 being the origin; None for a revision the plan does not have."""
        if number == 0:
            return self.origin
        revision = self.revision(number)
        return revision.content if revision else None
