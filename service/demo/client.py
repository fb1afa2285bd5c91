"""The demo's people and its HTTP client: each step is sent as its author, with an Idempotency-Key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from service.domain.actors import Role
from service.tokens import TokenKeys

MANAGER, SUPERVISOR, TEAM = "kam.ivanova", "sup.petrov", "oem-north"


class DemoStepFailed(Exception):
    """The API refused a step of the demo: the problem document it answered with, kamplan's own text."""


@dataclass
class Demo:
    client: httpx.AsyncClient
    tokens: TokenKeys
    printed: list[str] = field(default_factory=list)

    def headers(self, sub: str, role: Role, key: str | None = None) -> dict[str, str]:
        token = self.tokens.mint(sub, role, TEAM if role is not Role.ADMIN else None, timedelta(minutes=30))
        return {"Authorization": f"Bearer {token}", **({"Idempotency-Key": f"demo:{key}"} if key else {})}

    async def send(self, method: str, path: str, body: dict[str, Any], key: str, sub: str = MANAGER) -> dict[str, Any]:
        role = {"admin": Role.ADMIN, SUPERVISOR: Role.SUPERVISOR}.get(sub, Role.MANAGER)
        response = await self.client.request(method, path, json=body, headers=self.headers(sub, role, key))
        if response.status_code >= 400:
            raise DemoStepFailed(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    async def get(self, path: str, sub: str = MANAGER) -> Any:
        response = await self.client.get(path, headers=self.headers(sub, Role.MANAGER))
        response.raise_for_status()
        return response.json()
