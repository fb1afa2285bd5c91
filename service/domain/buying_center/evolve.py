"""How a buying center's state follows from its events; each member keeps how and why our view of them changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

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
from service.domain.buying_center.state import (
    Away,
    BuyingCenter,
    Change,
    Member,
    NextAction,
    Relationship,
    contact_key,
)

_STANDING = ("active", "left_on", "left_reason", "returned_reason")  # whether they are the client's, and why


def _diff(before: Member, after: Member, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: [getattr(before, f), getattr(after, f)] for f in fields if getattr(before, f) != getattr(after, f)}


def _update(
    state: BuyingCenter, event: Any, at: datetime | None, fields: tuple[str, ...], **values: Any
) -> BuyingCenter:
    before = state.people.get(event.member_id)
    if before is None:
        return state
    after = replace(before, **values)
    change = Change(
        at=at,
        event=type(event).__name__,
        changes=_diff(before, after, fields),
        citation=getattr(event, "citation", None),
    )
    after = replace(after, history=(*before.history, change))
    return replace(state, members={**state.people, before.member_id: after})


def _away(member: Member | None, on: date | None, at: datetime | None) -> tuple[Away, ...]:
    """The member's periods away with the one a return ends: back `on` that day, or for a return stored without it
    (version 1), on the UTC day it was recorded. A return on the day they left (a leaving by mistake) ends none."""
    if member is None or member.left_on is None:
        return member.away if member else ()
    back = on or (at.astimezone(UTC).date() if at else member.left_on)
    return (*member.away, Away(left_on=member.left_on, returned_on=back)) if back > member.left_on else member.away


def _reckoned(state: BuyingCenter, member_id: str) -> BuyingCenter:
    """The member's last contact: the latest of their contacts on a day they were the client's, by their absences as
    known (`Member.at_the_client`). Derived again at each contact and at each leaving or return, so one recorded late
    and dated back over a contact's day takes it out, or puts it back; the contact itself stays in `touchpoints`."""
    member = state.people.get(member_id)
    if member is None:
        return state
    days = (day for day in (member.touchpoints or {}).values() if member.at_the_client(day))
    return replace(state, members={**state.people, member_id: replace(member, last_contact=max(days, default=None))})


def evolve(state: BuyingCenter, event: BuyingCenterEvent, at: datetime | None = None) -> BuyingCenter:
    match event:
        case MemberAdded():
            member = Member(
                member_id=event.member_id,
                name=event.name,
                position=event.position,
                department=event.department,
                organisation=event.organisation,
                contacts=event.contacts,
                notes=event.notes,
                roles=event.roles,
                influence=event.influence,
                attitude=event.attitude,
                attitude_to_competitor=event.attitude_to_competitor,
                added_at=at,
                history=(
                    Change(
                        at=at,
                        event="MemberAdded",
                        changes={
                            "roles": [None, event.roles],
                            "influence": [None, event.influence],
                            "attitude": [None, event.attitude],
                            "attitude_to_competitor": [None, event.attitude_to_competitor],
                        },
                        citation=event.citation,
                    ),
                ),
            )
            return replace(state, account_id=event.account_id, members={**state.people, member.member_id: member})
        case MemberDetailsChanged():
            return _update(
                state,
                event,
                at,
                ("position", "department", "organisation"),  # names and notes stay out of the history
                name=event.name,
                position=event.position,
                department=event.department,
                organisation=event.organisation,
                contacts=event.contacts,
                notes=event.notes,
            )
        case MemberAssessed():
            fields = ("roles", "influence", "attitude", "attitude_to_competitor")
            return _update(state, event, at, fields, **{f: getattr(event, f) for f in fields})
        case MemberCriteriaRecorded():
            return _update(
                state,
                event,
                at,
                ("stated_criteria", "observed_criteria"),
                stated_criteria=event.stated or (),  # None: forgotten with the person
                observed_criteria=event.observed or (),
            )
        case MemberProblemsRecorded():
            return _update(state, event, at, ("problems",), problems=event.problems or ())
        case ContactOwnerAssigned():
            return _update(
                state, event, at, ("owner", "contact_plan"), owner=event.owner, contact_plan=event.contact_plan or ""
            )
        case NextActionSet():
            action = NextAction(what=event.what, due=event.due) if event.what and event.due else None
            return _update(state, event, at, ("next_action",), next_action=action)
        case ContactRecorded() | ContactWithdrawn():
            member = state.people.get(event.member_id)
            if member is None:
                return state
            touchpoints = dict(member.touchpoints or {})
            if isinstance(event, ContactRecorded):
                touchpoints[contact_key(event.interaction_id, event.on)] = event.on
            else:
                touchpoints.pop(event.interaction_id, None)
            changed = replace(member, touchpoints=touchpoints)
            return _reckoned(replace(state, members={**state.people, member.member_id: changed}), member.member_id)
        case MemberLeft():
            left = _update(
                state,
                event,
                at,
                _STANDING,
                active=False,
                left_on=event.on,
                left_reason=event.reason or "",  # None: forgotten with the person
                returned_reason="",
            )
            return _reckoned(left, event.member_id)
        case MemberReturned():  # its reason is shown as the leaving's is, on the member and in the history
            back = _update(
                state,
                event,
                at,
                _STANDING,
                active=True,
                away=_away(state.people.get(event.member_id), event.on, at),
                left_on=None,
                left_reason="",
                returned_reason=event.reason or "",  # None: forgotten with the person
            )
            return _reckoned(back, event.member_id)
        case MembersLinked():
            link = Relationship(
                relationship_id=event.relationship_id,
                source=event.source,
                target=event.target,
                kind=event.kind,
                strength=event.strength,
                note=event.note or "",  # None: forgotten with either person it links
            )
            return replace(state, relationships={**state.links, link.relationship_id: link})
        case MembersUnlinked():
            return replace(state, relationships={k: v for k, v in state.links.items() if k != event.relationship_id})
    return state


def initial_state() -> BuyingCenter:
    return BuyingCenter()
