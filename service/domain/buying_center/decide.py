"""The rules of a buying center."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import assert_never

from service.domain.buying_center.commands import (
    AddMember,
    AssessMember,
    AssignContactOwner,
    BuyingCenterCommand,
    ChangeMemberDetails,
    LinkMembers,
    MarkMemberLeft,
    MarkMemberReturned,
    RecordContact,
    RecordCriteria,
    RecordProblems,
    SetNextAction,
    UnlinkMembers,
    WithdrawContact,
)
from service.domain.buying_center.events import (
    BuyingCenterEvent,
    ContactOwnerAssigned,
    ContactRecorded,
    ContactWithdrawn,
    MemberAdded,
    MemberAssessed,
    MemberCriteriaRecorded,
    MemberDetailsChanged,
    MemberLeft,
    MemberProblemsRecorded,
    MemberReturned,
    MembersLinked,
    MembersUnlinked,
    NextActionSet,
)
from service.domain.buying_center.links import refuse_cycles, refuse_duplicates_and_contradictions
from service.domain.buying_center.roles import given_roles
from service.domain.buying_center.state import BuyingCenter, Citation, Member, NextAction, RelationKind, contact_key
from service.domain.errors import Conflict, NotFound, clean_text, decision_criteria, require, require_each_once

# Free text with this aggregate's defaults (a call may override them).
_text = partial(clean_text, required=False, limit=200)


def _cited(citation: Citation | None) -> Citation | None:
    """A citation as kept: its note trimmed, as every note of the map is, so an all-blank note is no note."""
    return replace(citation, note=_text(citation.note, "citation.note", limit=1000)) if citation else None


def _scale(value: int, field: str, low: int, high: int) -> int:
    require(low <= value <= high, "out-of-range", f"{field} must be between {low} and {high}", field=field)
    return value


def _member(state: BuyingCenter, member_id: str) -> Member:
    member = state.people.get(member_id)
    if member is None:
        raise NotFound("member-not-in-buying-center", f"no member {member_id} in this buying center", member=member_id)
    return member


def _active(state: BuyingCenter, member_id: str) -> Member:
    member = _member(state, member_id)
    if not member.active:
        raise Conflict("member-has-left", f"member {member_id} has left the client", member=member_id)
    return member


def decide(state: BuyingCenter, command: BuyingCenterCommand) -> list[BuyingCenterEvent]:
    match command:
        case AddMember():
            if command.member_id in state.people:
                raise Conflict("member-exists", "a member with this id exists already", member=command.member_id)
            return [
                MemberAdded(
                    account_id=command.account_id,
                    member_id=command.member_id,
                    name=_text(command.name, "name", required=True),
                    position=_text(command.position, "position"),
                    department=_text(command.department, "department"),
                    organisation=_text(command.organisation, "organisation"),
                    contacts=_text(command.contacts, "contacts", limit=1000),
                    notes=_text(command.notes, "notes", limit=5000),
                    roles=given_roles(command.roles, command.known_roles, command.retired_roles),
                    influence=_scale(command.influence, "influence", 1, 5),
                    attitude=_scale(command.attitude, "attitude", -2, 2),
                    attitude_to_competitor=_scale(command.attitude_to_competitor, "attitude_to_competitor", -2, 2),
                    citation=_cited(command.citation),
                )
            ]
        case ChangeMemberDetails():
            m = _member(state, command.member_id)
            event = MemberDetailsChanged(
                member_id=m.member_id,
                name=_text(command.name, "name", required=True) if command.name is not None else m.name,
                position=_text(command.position, "position") if command.position is not None else m.position,
                department=_text(command.department, "department") if command.department is not None else m.department,
                organisation=_text(command.organisation, "organisation")
                if command.organisation is not None
                else m.organisation,
                contacts=_text(command.contacts, "contacts", limit=1000)
                if command.contacts is not None
                else m.contacts,
                notes=_text(command.notes, "notes", limit=5000) if command.notes is not None else m.notes,
            )
            same = (event.name, event.position, event.department, event.organisation, event.contacts, event.notes) == (
                m.name,
                m.position,
                m.department,
                m.organisation,
                m.contacts,
                m.notes,
            )
            return [] if same else [event]
        case AssessMember():
            m = _active(state, command.member_id)
            assessed = MemberAssessed(
                member_id=m.member_id,
                roles=given_roles(command.roles, command.known_roles, command.retired_roles, m.roles)
                if command.roles is not None
                else m.roles,
                influence=_scale(command.influence, "influence", 1, 5)
                if command.influence is not None
                else m.influence,
                attitude=_scale(command.attitude, "attitude", -2, 2) if command.attitude is not None else m.attitude,
                attitude_to_competitor=_scale(command.attitude_to_competitor, "attitude_to_competitor", -2, 2)
                if command.attitude_to_competitor is not None
                else m.attitude_to_competitor,
                citation=_cited(command.citation),
            )
            unchanged = (assessed.roles, assessed.influence, assessed.attitude, assessed.attitude_to_competitor) == (
                m.roles,
                m.influence,
                m.attitude,
                m.attitude_to_competitor,
            )
            return [] if unchanged else [assessed]
        case RecordCriteria():
            m = _active(state, command.member_id)
            stated, observed = (
                decision_criteria(command.stated, "stated", most=30),
                decision_criteria(command.observed, "observed", most=30),
            )
            if (stated, observed) == (m.stated_criteria, m.observed_criteria):
                return []  # nothing new, as for an assessment that changes nothing
            return [
                MemberCriteriaRecorded(
                    member_id=m.member_id, stated=stated, observed=observed, citation=_cited(command.citation)
                )
            ]
        case RecordProblems():
            m = _active(state, command.member_id)
            require(len(command.problems) <= 30, "too-many-items", "more than 30 problems", field="problems")
            problems = tuple(
                replace(
                    p,
                    problem=_text(p.problem, "problem", required=True, limit=1000),
                    consequence=_text(p.consequence, "consequence", limit=1000),
                )
                for p in command.problems
            )
            # the same problem with another consequence is another entry: it costs them something else
            require_each_once(problems, "duplicate-problem", "problems", "the problem", shown=lambda p: p.problem)
            if problems == m.problems:
                return []
            return [MemberProblemsRecorded(member_id=m.member_id, problems=problems, citation=_cited(command.citation))]
        case AssignContactOwner():
            owner = _text(command.owner, "owner") or None if command.owner is not None else None
            plan = _text(command.contact_plan, "contact_plan", limit=2000)
            clearing = (owner, plan) == (None, "")  # no new fact about the person: also once they have left
            m = _member(state, command.member_id) if clearing else _active(state, command.member_id)
            if (owner, plan) == (m.owner, m.contact_plan):
                return []
            return [ContactOwnerAssigned(member_id=m.member_id, owner=owner, contact_plan=plan)]
        case SetNextAction():
            what = _text(command.what, "what", limit=1000)
            # clearing is no new fact about the person: a next action with someone who has left can still be dropped
            m = _active(state, command.member_id) if what else _member(state, command.member_id)
            require(
                not what or command.due is not None, "due-date-required", "a next action needs a due date", field="due"
            )
            # as an interaction's next step: a date for no action is a mistake, not a way to clear the one set
            require(bool(what) or command.due is None, "missing-value", "a due date for no next action", field="what")
            if (NextAction(what=what, due=command.due) if what and command.due else None) == m.next_action:
                return []
            return [NextActionSet(member_id=m.member_id, what=what, due=command.due if what else None)]
        case RecordContact():
            m = _member(state, command.member_id)
            require(
                command.on <= command.today,
                "date-in-future",
                "a contact cannot be recorded in the future",
                field="on",
            )
            # gone by that day, as for a project's meetings: refused by hand; an interaction's is kept for the fold to
            # judge (`last_contact` skips it while an absence covers its day, and counts it once a return dated back
            # before that day is recorded), as the interaction itself is logged
            if not command.interaction_id and not m.at_the_client(command.on):
                raise Conflict(
                    "member-has-left",
                    f"member {m.member_id} left the client on {m.left_on}: no contact with them since",
                    member=m.member_id,
                )
            key = contact_key(command.interaction_id, command.on)
            if (m.touchpoints or {}).get(key) == command.on:
                return []
            return [ContactRecorded(member_id=m.member_id, on=command.on, interaction_id=command.interaction_id)]
        case WithdrawContact():
            m = _member(state, command.member_id)
            key = contact_key(command.interaction_id, command.on)
            if key not in (m.touchpoints or {}):
                if command.interaction_id:
                    return []
                raise NotFound(
                    "contact-not-found",
                    "no contact recorded by hand with this person on that day (one an interaction recorded goes "
                    "with a correction or retraction of the interaction)",
                )
            return [ContactWithdrawn(member_id=m.member_id, interaction_id=key)]
        case MarkMemberReturned():
            m = _member(state, command.member_id)
            if m.active:
                raise Conflict("member-active", "the person has not left the client", member=m.member_id)
            if command.on is not None:
                require(
                    command.today is None or command.on <= command.today,
                    "date-in-future",
                    "a member came back in the past",
                    field="on",
                )
                require(
                    m.left_on is None or command.on >= m.left_on,
                    "date-before-leaving",
                    f"member {m.member_id} left the client on {m.left_on}: they came back on or after that day",
                    field="on",
                )
            reason = _text(command.reason, "reason", limit=1000)
            return [MemberReturned(member_id=m.member_id, reason=reason, on=command.on)]
        case MarkMemberLeft():
            m = _active(state, command.member_id)
            require(
                command.today is None or command.on <= command.today,
                "date-in-future",
                "a member left in the past",
                field="on",
            )
            back = max((p.returned_on for p in m.away), default=None)  # absences do not overlap
            require(
                back is None or command.on >= back,
                "date-before-return",
                f"member {m.member_id} came back to the client on {back}: they left again on or after that day",
                field="on",
                returned_on=back,
            )
            return [
                MemberLeft(member_id=m.member_id, on=command.on, reason=_text(command.reason, "reason", limit=1000))
            ]
        case LinkMembers():
            if command.relationship_id in state.links:
                raise Conflict("relationship-exists", "a relationship with this id exists already")
            _active(state, command.source)
            _active(state, command.target)
            require(
                command.source != command.target,
                "self-relationship",
                "a member cannot be linked to themselves",
                field="target",
            )
            refuse_duplicates_and_contradictions(state, command)
            if command.kind is RelationKind.REPORTS_TO:
                refuse_cycles(state, command.source, command.target)
            return [
                MembersLinked(
                    relationship_id=command.relationship_id,
                    source=command.source,
                    target=command.target,
                    kind=command.kind,
                    strength=_scale(command.strength, "strength", 1, 3),
                    note=_text(command.note, "note", limit=1000),
                )
            ]
        case UnlinkMembers():
            if command.relationship_id not in state.links:
                raise NotFound("relationship-not-found", "no such relationship in this buying center")
            return [MembersUnlinked(relationship_id=command.relationship_id)]
        case _:
            assert_never(command)
