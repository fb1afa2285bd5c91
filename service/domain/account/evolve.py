"""How a key account's state follows from its events."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from service.domain.account.events import (
    AccountClassified,
    AccountDetailsChanged,
    AccountEvent,
    AccountHandedOver,
    AccountMarkedKey,
    AccountOpened,
    AccountTeamAssigned,
    AccountUnmarkedKey,
    LifecycleChanged,
)
from service.domain.account.state import Account, HandOver, Lifecycle


def evolve(state: Account, event: AccountEvent, at: datetime | None = None) -> Account:
    match event:
        case AccountOpened():
            return replace(
                state,
                exists=True,
                account_id=event.account_id,
                name=event.name,
                industry=event.industry,
                region=event.region,
                segment=event.segment,
                owner=event.owner,
                team=event.team,
                opened_at=at,
            )
        case AccountDetailsChanged():
            return replace(state, name=event.name, industry=event.industry, region=event.region, segment=event.segment)
        case AccountTeamAssigned(team=team):
            return replace(state, team=team)
        case AccountHandedOver():
            hand_over = HandOver(
                from_owner=event.from_owner,
                to_owner=event.to_owner,
                trigger=event.trigger,
                note=event.note,
                at=at or datetime.min,
            )
            return replace(state, owner=event.to_owner, hand_overs=(*state.hand_overs, hand_over))
        case AccountClassified():
            return replace(
                state,
                criteria=event.criteria,
                can_influence=event.can_influence,
                influence_reason=event.influence_reason,
            )
        case AccountMarkedKey(reason=reason):
            return replace(state, is_key=True, key_reason=reason)
        case AccountUnmarkedKey(reason=reason):
            return replace(state, is_key=False, key_reason=reason)
        case LifecycleChanged(to_stage=to_stage, reason=reason):
            supplied = state.supplied or to_stage is Lifecycle.SERIAL_SUPPLY
            # a client from serial supply (or its reactivation) on, until it is lost or a prospect again; its next
            # project, or a sleep, leaves it one
            client = to_stage in CLIENT_FROM or (state.client and to_stage not in CLIENT_UNTIL)
            day = event.on or (at.date() if at else None)
            client_since = (state.client_since or day) if state.client and client else day if client else None
            return replace(
                state,
                lifecycle=to_stage,
                lifecycle_reason=reason,
                supplied=supplied,
                client=client,
                lifecycle_since=day,
                client_since=client_since,
            )
    return state


CLIENT_FROM = frozenset({Lifecycle.SERIAL_SUPPLY, Lifecycle.REACTIVATED})
CLIENT_UNTIL = frozenset({Lifecycle.PROSPECT, Lifecycle.LOST})


def initial_state() -> Account:
    return Account()
