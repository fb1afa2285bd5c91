"""The rules of a key account."""

from __future__ import annotations

from functools import partial
from typing import assert_never

from service.domain.account.access import ensure_changeable, ensure_may_open
from service.domain.account.commands import (
    AccountCommand,
    AssignTeam,
    ChangeAccountDetails,
    ChangeLifecycle,
    ClassifyAccount,
    HandOverAccount,
    MarkKey,
    OpenAccount,
    UnmarkKey,
)
from service.domain.account.events import (
    AccountClassified,
    AccountDetailsChanged,
    AccountEvent,
    AccountHandedOver,
    AccountMarkedKey,
    AccountOpened,
    AccountTeamAssigned,
    AccountUnmarkedKey,
    KeyAccountCeilingExceeded,
    LifecycleChanged,
)
from service.domain.account.state import TRANSITIONS, Account, Lifecycle
from service.domain.actors import Actor, Role
from service.domain.errors import Conflict, NotAllowed, clean_text, require, require_not_before

# Free text with this aggregate's defaults (a call may override them).
_text = partial(clean_text, required=True, limit=200)


def named_owner(name: str, field: str) -> str:
    """A manager named as an account's owner: trimmed, not blank, at most 200 characters (the token's `sub` it
    must equal to see the account has no spaces around it)."""
    return _text(name, field)


def owner_of(owner: str | None, actor: Actor) -> str:
    """Whom an account is opened for: the manager named, or, when none is, the actor."""
    return actor.sub if owner is None else named_owner(owner, "owner")


def _team(team: str | None, default: str | None, field: str = "team") -> str | None:
    """A team named: trimmed, not blank, at most 200 characters; None takes the default."""
    return default if team is None else _text(team, field)


def _ceiling(owner: str, already: int, ceiling: int) -> list[AccountEvent]:
    """The warning when one more key account takes a place under the owner's ceiling (`already`: those taking one)."""
    return (
        [KeyAccountCeilingExceeded(owner=owner, key_accounts=already + 1, ceiling=ceiling)]
        if already + 1 > ceiling
        else []
    )


def decide(state: Account, command: AccountCommand) -> list[AccountEvent]:
    match command:
        case OpenAccount():
            if state.exists:
                raise Conflict("account-exists", "an account with this id exists already")
            owner = owner_of(command.owner, command.actor)
            team = _team(command.team, command.actor.team)
            ensure_may_open(command.actor, owner, team)
            opened: list[AccountEvent] = [
                AccountOpened(
                    account_id=command.account_id,
                    name=_text(command.name, "name"),
                    industry=_text(command.industry, "industry", required=False),
                    region=_text(command.region, "region", required=False),
                    segment=_text(command.segment, "segment", required=False),
                    owner=owner,
                    team=team,
                )
            ]
            if command.is_key:
                opened.append(AccountMarkedKey(reason=_text(command.key_reason, "key_reason", limit=1000)))
                opened += _ceiling(owner, command.owner_key_accounts, command.ceiling)
            return opened
    ensure_changeable(state, command.actor)
    match command:
        case ChangeAccountDetails():
            details = AccountDetailsChanged(
                name=_text(command.name if command.name is not None else state.name, "name"),
                industry=_text(
                    command.industry if command.industry is not None else state.industry, "industry", required=False
                ),
                region=_text(command.region if command.region is not None else state.region, "region", required=False),
                segment=_text(
                    command.segment if command.segment is not None else state.segment, "segment", required=False
                ),
            )
            same = (details.name, details.industry, details.region, details.segment) == (
                state.name,
                state.industry,
                state.region,
                state.segment,
            )
            return [] if same else [details]
        case AssignTeam():
            if command.actor.role is not Role.ADMIN:
                raise NotAllowed("admin-only", "only an admin moves an account to another team")
            team = _team(command.team, None)  # None: the account leaves every team
            return [] if team == state.team else [AccountTeamAssigned(team=team)]
        case HandOverAccount():
            to_owner = named_owner(command.to_owner, "to_owner")
            require(
                command.trigger in command.triggers,
                "unknown-hand-over-trigger",
                f"hand-over trigger {command.trigger!r} is not one of the company's",
                allowed=sorted(command.triggers),
            )
            to_team = _team(command.to_team, state.team, "to_team")
            if to_owner == state.owner:
                raise Conflict("already-owner", f"{to_owner} owns the account already")
            handed: list[AccountEvent] = [
                AccountHandedOver(
                    from_owner=state.owner,
                    to_owner=to_owner,
                    trigger=command.trigger,
                    note=_text(command.note, "note", required=False, limit=2000),
                )
            ]
            # the account follows its new owner into their team, whose supervisor oversees it from now on
            if to_team != state.team:
                handed.append(AccountTeamAssigned(team=to_team))
            if state.under_ceiling:  # a lost key account takes no place under the new owner's ceiling
                handed += _ceiling(to_owner, command.new_owner_key_accounts, command.ceiling)
            return handed
        case ClassifyAccount():
            reason = _text(command.influence_reason, "influence_reason", limit=2000)
            if state.is_key and not command.can_influence:
                raise Conflict(
                    "key-account-needs-influence",
                    "a key account is one whose purchases its manager can influence: unmark it before classifying it "
                    "as one they cannot influence",
                )
            return [
                AccountClassified(
                    criteria=command.criteria, can_influence=command.can_influence, influence_reason=reason
                )
            ]
        case MarkKey():
            if state.is_key:
                raise Conflict("already-key", "the account is a key account already")
            if state.can_influence is False:
                raise Conflict(
                    "key-account-needs-influence",
                    "its classification says its manager cannot influence what this client buys, so it is not key "
                    "for them (a large buyer with a fixed assortment matrix): classify it again first",
                )
            marked: list[AccountEvent] = [AccountMarkedKey(reason=_text(command.reason, "reason", limit=1000))]
            if state.lifecycle is not Lifecycle.LOST:  # a lost one takes its place only once won back
                marked += _ceiling(state.owner, command.owner_key_accounts, command.ceiling)
            return marked
        case UnmarkKey():
            if not state.is_key:
                raise Conflict("not-key", "the account is not a key account")
            return [AccountUnmarkedKey(reason=_text(command.reason, "reason", limit=1000))]
        case ChangeLifecycle(to_stage=to_stage):
            allowed = state.next_stages()
            never_supplied = to_stage in TRANSITIONS[state.lifecycle] and to_stage not in allowed
            why = ": it never was in serial supply, and only a former client is reactivated" if never_supplied else ""
            require(
                to_stage in allowed,
                "lifecycle-transition-not-allowed",
                f"an account cannot go from {state.lifecycle.value} to {to_stage.value}{why}",
                allowed=sorted(s.value for s in allowed),
            )
            if command.on is not None:
                require(command.today is None or command.on <= command.today, "date-in-future",
                        "the date is in the future", field="on")  # fmt: skip
                require_not_before(
                    command.on,
                    state.lifecycle_since,
                    "date-before-last-change",
                    "a lifecycle change cannot be dated before the account's previous one",
                    name="since",
                    field="on",
                )
            changed: list[AccountEvent] = [
                LifecycleChanged(
                    from_stage=state.lifecycle,
                    to_stage=to_stage,
                    reason=_text(command.reason, "reason", limit=1000),
                    on=command.on,
                )
            ]
            if state.is_key and not state.under_ceiling:  # a lost key account won back is worked again
                changed += _ceiling(state.owner, command.owner_key_accounts, command.ceiling)
            return changed
        case OpenAccount():
            raise AssertionError("handled above")
        case _:
            assert_never(command)
