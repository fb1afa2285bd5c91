"""Who may act on a plan, and when: the owner manager, the team's supervisor (or an admin), one revision in review."""

from __future__ import annotations

from typing import Any

from service.domain.actors import Actor, Role
from service.domain.errors import Conflict, NotAllowed
from service.domain.plan import commands as c
from service.domain.plan.state import Plan


def is_manager(actor: Actor, parties: c.Parties) -> bool:
    return actor.role is Role.MANAGER and actor.sub == parties.owner


def is_supervisor(actor: Actor, parties: c.Parties) -> bool:
    return actor.role is Role.ADMIN or (
        actor.role is Role.SUPERVISOR and actor.team is not None and actor.team == parties.team
    )


def require_manager(command: Any) -> None:
    if not is_manager(command.actor, command.parties):
        raise NotAllowed("owner-manager-only", "only the account's owner manager drafts and proposes the plan")


def require_party(command: Any, what: str) -> None:
    """The owner manager or the team's supervisor (or an admin) may do `what`."""
    if not (is_manager(command.actor, command.parties) or is_supervisor(command.actor, command.parties)):
        raise NotAllowed("not-a-party", f"{what} by the manager or the supervisor")


def require_supervisor(command: Any) -> None:
    if not is_supervisor(command.actor, command.parties):
        raise NotAllowed(
            "supervisor-only", "only the supervisor of the manager's team (or an admin) reviews and agrees"
        )


def require_none_pending(state: Plan) -> None:
    if state.pending is not None:
        raise Conflict("revision-pending", f"revision {state.pending.number} is waiting for review")
