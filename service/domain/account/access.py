"""Who sees and who changes an account: a manager their own, a supervisor the team's, an admin all."""

from __future__ import annotations

from service.domain.account.state import Account
from service.domain.actors import Actor, Role
from service.domain.errors import NotAllowed, NotFound


def can_see(account: Account, actor: Actor) -> bool:
    match actor.role:
        case Role.ADMIN:
            return True
        case Role.MANAGER:
            return account.owner == actor.sub
        case Role.SUPERVISOR:
            return actor.team is not None and account.team == actor.team
    return False  # bi reads projections; integration uses its own endpoints


def ensure_visible(account: Account, actor: Actor) -> None:
    """Unknown and invisible look the same: an account's existence is not leaked."""
    if not account.exists or not can_see(account, actor):
        raise NotFound("account-not-found", "no such account, or not one you may see")


def ensure_changeable(account: Account, actor: Actor) -> None:
    ensure_visible(account, actor)  # who may see an account may change it; bi and integration see none


def ensure_may_open(actor: Actor, owner: str, team: str | None) -> None:
    match actor.role:
        case Role.ADMIN:
            return
        case Role.MANAGER if owner == actor.sub and team == actor.team:
            return
        case Role.SUPERVISOR if actor.team is not None and team == actor.team:
            return
    raise NotAllowed(
        "not-your-account", "a manager opens accounts for themselves, a supervisor for the team, an admin for anyone"
    )


def list_scope(
    actor: Actor, manager: str | None = None, team: str | None = None
) -> tuple[str | None, str | None] | None:
    """(owner, team) a list across accounts is confined to, within the filters asked for: a manager's own,
    a supervisor's team's, any for admin and bi. None: nothing at all (integration, a supervisor without a team)."""
    match actor.role:
        case Role.MANAGER:
            return actor.sub, None
        case Role.SUPERVISOR if actor.team is not None:
            return manager, actor.team
        case Role.ADMIN | Role.BI:
            return manager, team
    return None
