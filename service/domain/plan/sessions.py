"""Joint planning sessions: one party records what was decided together, the other confirms it into force."""

from __future__ import annotations

from service.domain.actors import Role
from service.domain.errors import Conflict, NotAllowed, NotFound, require
from service.domain.participants import who_took_part
from service.domain.plan import commands as c
from service.domain.plan import events as e
from service.domain.plan.content import ItemType, PlanContent
from service.domain.plan.guards import (
    is_manager,
    is_supervisor,
    require_manager,
    require_none_pending,
    require_supervisor,
)
from service.domain.plan.items import apply_change, ensure_id_free
from service.domain.plan.items import plan_text as _text
from service.domain.plan.state import Plan, Session


def record_session(state: Plan, command: c.RecordSession) -> list[e.PlanEvent]:
    """The manager's or the supervisor's record of a session: its changes are checked now, against its base."""
    by = command.actor.sub
    manager, supervisor = (
        is_manager(command.actor, command.parties),
        is_supervisor(command.actor, command.parties),
    )
    if not (manager or supervisor):
        raise NotAllowed("not-a-party", "a planning session is recorded by the manager or the supervisor")
    require_none_pending(state)
    require(command.on <= command.today, "date-in-future", "the session has not happened yet", field="on")
    participants, ours = who_took_part(command.participants, command.our_participants, command.members)
    base = session_base(state)
    for change in command.changes:
        base = apply_change(base, state, change)
    return [
        e.PlanningSessionRecorded(
            session_id=command.session_id,
            on=command.on,
            participants=participants,
            our_participants=ours,
            decisions=tuple(_text(d, "decisions") for d in command.decisions),
            changes=command.changes,
            by=by,
            role="manager" if manager else "supervisor",
            team=None if command.actor.role is Role.ADMIN else command.actor.team,
        )
    ]


def confirm_session(state: Plan, command: c.ConfirmSession) -> list[e.PlanEvent]:
    """The other party's confirmation: the session's changes become a revision in force, or none if they change
    nothing in the plan in force."""
    by = command.actor.sub
    session = state.sessions.get(command.session_id)
    if session is None:
        raise NotFound("session-not-found", "no such planning session")
    if session.confirmed_by is not None:
        raise Conflict("session-confirmed", "the session was confirmed already")
    other = require_supervisor if session.recorded_role == "manager" else require_manager
    other(command)
    if command.actor.sub == session.recorded_by:
        raise NotAllowed("own-session", "nobody confirms their own session, nor agrees their own revision")
    _recorder_still_a_party(session, command.parties)
    require_none_pending(state)
    in_force = state.in_force_number
    if session.based_on != in_force:
        raise Conflict(
            "session-outdated",
            f"the session was recorded on revision {session.based_on}, and revision {in_force} was agreed "
            "since: its changes were decided against a plan no longer in force; record the session again",
            based_on=session.based_on,
            in_force=in_force,
        )
    content = session_base(state)
    for change in session.changes:
        content = apply_change(content, state, change)
    _one_item_per_id(state.draft, content, session)
    if content == state.agreed:  # an identical revision would read as a change of plan
        return [e.PlanningSessionConfirmedUnchanged(session_id=session.session_id, by=by)]
    return [
        e.PlanningSessionConfirmed(
            session_id=session.session_id, revision=len(state.revisions) + 1, content=content, by=by
        )
    ]


def session_base(state: Plan, based_on: int | None = None) -> PlanContent:
    """What a session's changes apply to: the plan in force (or revision `based_on`, the one a session was recorded
    on), or, for a successor before its first agreement, its origin (its predecessor's plan in force), which is what
    the parties sit down with; never a draft, which no one agreed, also not the predecessor's draft a successor of a
    plan never agreed started from."""
    if based_on is None:
        return state.baseline
    content = state.content_of(based_on)
    return content if content is not None else state.origin


def _one_item_per_id(draft: PlanContent, agreed: PlanContent, session: Session) -> None:
    """The draft takes each item the session touched as agreed: an id it puts under one type must not stay on an
    item of another type the manager drafted meanwhile, which the session did not touch."""
    touched = {(ItemType(x.item_type), x.item_id) for x in session.changes}
    for item_type, item_id in touched:
        found = draft.find(item_id)
        if (
            item_id in agreed.items(item_type)
            and found
            and found[0] is not item_type
            and (found[0], item_id) not in touched
        ):
            ensure_id_free(draft, item_type, item_id)


def recorder_still_a_party(session: Session, parties: c.Parties) -> bool:
    """The session is one side's word: after a hand-over, the side that recorded it may be no party any more (a
    hand-back makes it one again)."""
    if session.recorded_role == "manager":
        return session.recorded_by == parties.owner
    return session.recorded_team is None or session.recorded_team == parties.team


def _recorder_still_a_party(session: Session, parties: c.Parties) -> None:
    if not recorder_still_a_party(session, parties):
        raise Conflict(
            "session-recorder-not-a-party",
            f"the session was recorded by {session.recorded_by}, who is no party to this plan since the account "
            "changed hands: record the session again",
        )
