"""Authentication (bearer JWT → Actor) and role checks, as FastAPI dependencies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.api.problems import Problem
from service.domain.actors import Actor, Role
from service.tokens import InvalidToken

bearer = HTTPBearer(
    auto_error=False,
    description="JWT with claims sub, role (manager, supervisor, admin, "
    "integration, bi), optional team; see `kamplan token`.",
)


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    if credentials is None:
        raise Problem(
            401,
            "/problems/unauthenticated",
            "Authentication required",
            "send an Authorization: Bearer <token> header",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return request.app.state.runtime.tokens.actor(credentials.credentials)
    except InvalidToken as error:
        raise Problem(
            401,
            "/problems/invalid-token",
            "Invalid token",
            str(error),
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from error


def require(*roles: Role) -> Callable[..., Awaitable[Actor]]:
    """A dependency admitting only `roles`; anyone else gets 403 naming the roles allowed."""
    allowed = ", ".join(r.value for r in roles)

    async def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if actor.role not in roles:
            raise Problem(
                403,
                "/problems/forbidden",
                "Forbidden",
                f"role {actor.role.value!r} may not do this; allowed: {allowed}",
                allowed_roles=list(roles),
            )
        return actor

    return check
