"""How a plan's state follows from its events: the draft, the revisions and their review, sessions, progress."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from service.domain import codec
from service.domain.plan import events as e
from service.domain.plan.content import (
    CLASS,
    ItemType,
    PlanContent,
    with_item,
    without_item,
)
from service.domain.plan.state import (
    Abandonment,
    ActionProgress,
    Actual,
    Answer,
    Comment,
    CommentClosed,
    ItemChange,
    Plan,
    Revision,
    RevisionStatus,
    Session,
)


def _set_revision(state: Plan, number: int, **values: Any) -> Plan:
    return replace(state, revisions=tuple(replace(r, **values) if r.number == number else r for r in state.revisions))


def _with_session(draft: PlanContent, changes: tuple[ItemChange, ...], agreed: PlanContent) -> PlanContent:
    """The draft once a session's changes are in force: what the manager drafted meanwhile stays, and each item
    the session touched is as agreed (there, or gone). Replacing the draft by the agreed content lost that
    work; replaying the changes one by one would fail on a session that puts an item and then removes it."""
    for item_type, item_id in dict.fromkeys((ItemType(c.item_type), c.item_id) for c in changes):
        item = agreed.items(item_type).get(item_id)
        draft = without_item(draft, item_type, item_id) if item is None else with_item(draft, item_type, item)
    return draft


def _close_comments(state: Plan, why: CommentClosed, on: frozenset[int] | None = None) -> Plan:
    """End the review of every open comment (only of those on the revisions `on`, if given): the course of the plan
    moved past them."""
    comments = tuple(
        replace(x, closed=why) if x.open and (on is None or x.revision in on) else x for x in state.comments
    )
    return replace(state, comments=comments)


def evolve(state: Plan, event: e.PlanEvent, at: datetime | None = None) -> Plan:
    match event:
        case e.PlanStarted():
            return replace(
                state,
                exists=True,
                plan_id=event.plan_id,
                account_id=event.account_id,
                title=event.title,
                horizon_from=event.horizon_from,
                horizon_to=event.horizon_to,
                started_by=event.by,
                started_at=at,
                supersedes=event.supersedes,
                draft=event.starting_content or PlanContent(),
                starting=event.starting_content or PlanContent(),
                starting_agreed=event.starting_agreed,
            )
        case e.DraftItemPut():
            item = codec.from_dict(CLASS[event.item_type], event.item)
            return replace(state, draft=with_item(state.draft, event.item_type, item))
        case e.DraftItemRemoved():
            return replace(state, draft=without_item(state.draft, event.item_type, event.item_id))
        case e.RevisionProposed():
            revision = Revision(
                number=event.revision,
                content=event.content,
                status=RevisionStatus.PROPOSED,
                proposed_by=event.by,
                proposed_at=at,
                note=event.note,
            )
            # it answers the comments on a revision sent back; those on an agreed one ask on, until the next agreement
            sent_back = frozenset(r.number for r in state.revisions if r.status is RevisionStatus.CHANGES_REQUESTED)
            state = _close_comments(state, CommentClosed.REVISED, on=sent_back)
            return replace(state, revisions=(*state.revisions, revision))
        case e.RevisionCommented():
            comment = Comment(
                comment_id=event.comment_id,
                revision=event.revision,
                item_id=event.item_id,
                text=event.text,
                by=event.by,
                at=at,
            )
            return replace(state, comments=(*state.comments, comment))
        case e.CommentAnswered():  # a later answer is the current one; the earlier ones stay in the trail
            comments = tuple(
                replace(
                    x,
                    answer=event.text,
                    answered_by=event.by,
                    answered_at=at,
                    answers=(*x.answers, Answer(text=event.text, by=event.by, at=at)),
                )
                if x.comment_id == event.comment_id
                else x
                for x in state.comments
            )
            return replace(state, comments=comments)
        case e.ChangesRequested():
            return _set_revision(
                state,
                event.revision,
                status=RevisionStatus.CHANGES_REQUESTED,
                decided_by=event.by,
                decided_at=at,
                decision_note=event.note,
            )
        case e.RevisionAgreed():
            return _set_revision(
                _close_comments(state, CommentClosed.AGREED),
                event.revision,
                status=RevisionStatus.AGREED,
                decided_by=event.by,
                decided_at=at,
                decision_note=event.note,
            )
        case e.PlanningSessionRecorded():
            session = Session(
                session_id=event.session_id,
                on=event.on,
                participants=event.participants,
                our_participants=event.our_participants,
                named_participants=event.named_participants,
                decisions=event.decisions,
                changes=event.changes,
                recorded_by=event.by,
                recorded_role=event.role,
                recorded_team=event.team,
                recorded_at=at,
                based_on=state.in_force_number,  # the fold knows it, old events too
            )
            return replace(state, sessions={**state.sessions, session.session_id: session})
        case e.PlanningSessionConfirmed():
            session = state.sessions[event.session_id]
            revision = Revision(
                number=event.revision,
                content=event.content,
                status=RevisionStatus.AGREED,
                proposed_by=session.recorded_by,
                proposed_at=session.recorded_at,  # put to the other party when recorded; `at` is the agreement
                note="; ".join(session.decisions),
                decided_by=event.by,
                decided_at=at,
                session_id=session.session_id,
            )
            confirmed = replace(session, confirmed_by=event.by, revision=event.revision)
            return replace(
                _close_comments(state, CommentClosed.AGREED),
                revisions=(*state.revisions, revision),
                sessions={**state.sessions, session.session_id: confirmed},
                draft=_with_session(state.draft, session.changes, event.content),
            )
        case e.PlanningSessionConfirmedUnchanged():  # the parties agreed to keep the plan: that ends every review too
            session = replace(state.sessions[event.session_id], confirmed_by=event.by)
            return replace(
                _close_comments(state, CommentClosed.AGREED),
                sessions={**state.sessions, session.session_id: session},
                draft=_with_session(state.draft, session.changes, state.agreed),
            )
        case e.ActionStatusSet():
            latest = state.progress.get(event.action_id)
            if latest is not None and event.on < latest.on:
                return state  # a back-dated status is history (the event keeps it): the latest day's status holds
            progress = ActionProgress(status=event.status, note=event.note, on=event.on, by=event.by)
            return replace(state, progress={**state.progress, event.action_id: progress})  # same day: the later one
        case e.GoalActualRecorded():
            current = state.actuals.get(event.goal_id)
            if current is not None and event.on < current.on:
                return state  # a back-dated actual is history (the event keeps it): the latest day's value is current
            actual = Actual(value=Decimal(event.value), source=event.source, on=event.on, by=event.by)
            return replace(state, actuals={**state.actuals, event.goal_id: actual})  # same day: the later recorded
        case e.PlanSuperseded():
            state = _close_comments(state, CommentClosed.SUPERSEDED)
            return replace(state, superseded_by=event.by_plan, successor=None)
        case e.SuccessorStarted():
            return replace(state, successor=event.plan_id)
        case e.PlanAbandoned():
            state = _close_comments(state, CommentClosed.ABANDONED)
            return replace(state, abandoned=Abandonment(reason=event.reason, by=event.by, at=at))
        case e.SuccessorAbandoned():
            return replace(state, successor=None) if state.successor == event.plan_id else state
        case e.PredecessorProgressCarried():  # what the successor recorded itself stays the later word
            return replace(
                state, progress={**event.progress, **state.progress}, actuals={**event.actuals, **state.actuals}
            )
    return state


def initial_state() -> Plan:
    return Plan()
