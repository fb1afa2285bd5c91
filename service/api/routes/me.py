"""Who am I: the actor the bearer token stands for."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from service.api.deps import ActorDep
from service.domain.actors import Role

router = APIRouter(tags=["identity"])


class Me(BaseModel):
    sub: str
    role: Role
    team: str | None


@router.get("/me", operation_id="getMe", summary="The caller's identity from the token", response_model=Me)
async def get_me(actor: ActorDep) -> Me:
    return Me(sub=actor.sub, role=actor.role, team=actor.team)
