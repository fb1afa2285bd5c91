"""Typed dependency aliases shared by every router."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from service.api.auth import current_actor, require
from service.domain.actors import Actor, Role
from service.events import EventStore
from service.logs import request_id_var
from service.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_store(request: Request) -> EventStore:
    return get_runtime(request).store


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
StoreDep = Annotated[EventStore, Depends(get_store)]
ActorDep = Annotated[Actor, Depends(current_actor)]
AdminDep = Annotated[Actor, Depends(require(Role.ADMIN))]


def event_metadata(request: Request, actor: Actor) -> dict[str, Any]:
    """What every event records about its cause: the actor, the request, the correlation."""
    request_id = request_id_var.get()
    return {
        "actor": actor.sub,
        "actor_role": actor.role.value,
        "actor_team": actor.team,
        "request_id": request_id,
        "correlation_id": request.headers.get("x-correlation-id") or request_id,
        "source": "api",
    }
