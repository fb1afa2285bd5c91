"""Bearer JWTs: HS256 with a shared secret by default, RS256 with a public key in production."""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from service.config import MIN_SECRET_BYTES, Settings, is_pem
from service.domain.actors import Actor, Role

log = logging.getLogger(__name__)

SECRET_FILE = "jwt-secret"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # in a name: never meant, and NUL is unstorable


class InvalidToken(Exception):
    """The token is missing a claim, expired, badly signed or names an unknown role."""


def _pem(value: str) -> str:
    return value if is_pem(value) else Path(value).read_text()


def dev_secret(data_dir: Path) -> str:
    """A random secret kept in the data directory, so `kamplan token` and `kamplan serve` agree."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        log.warning("generated a development JWT secret in %s; set KAMPLAN_JWT_SECRET in production", path)
    return path.read_text().strip()


@dataclass(frozen=True)
class TokenKeys:
    algorithm: str
    verify_key: Any
    sign_key: Any | None
    issuer: str | None = None
    audience: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenKeys:
        if settings.jwt_algorithm == "RS256":
            if not settings.jwt_public_key:
                raise ValueError("KAMPLAN_JWT_ALGORITHM=RS256 needs KAMPLAN_JWT_PUBLIC_KEY")
            private = _pem(settings.jwt_private_key) if settings.jwt_private_key else None
            return cls("RS256", _pem(settings.jwt_public_key), private, settings.jwt_issuer, settings.jwt_audience)
        secret = settings.jwt_secret or dev_secret(settings.data_dir)
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"KAMPLAN_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes (RFC 7518 3.2)")
        return cls("HS256", secret, secret, settings.jwt_issuer, settings.jwt_audience)

    def mint(self, sub: str, role: Role, team: str | None = None, ttl: timedelta = timedelta(hours=12)) -> str:
        if self.sign_key is None:
            raise ValueError("no signing key: set KAMPLAN_JWT_PRIVATE_KEY to mint RS256 tokens")
        now = datetime.now(UTC)
        claims: dict[str, Any] = {"sub": sub, "role": role.value, "iat": now, "exp": now + ttl}
        if team:
            claims["team"] = team
        if self.issuer:
            claims["iss"] = self.issuer
        if self.audience:
            claims["aud"] = self.audience
        return jwt.encode(claims, self.sign_key, algorithm=self.algorithm)

    def actor(self, token: str) -> Actor:
        try:
            claims = jwt.decode(
                token,
                self.verify_key,
                algorithms=[self.algorithm],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["sub", "role", "exp"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        try:
            role = Role(claims["role"])
        except ValueError as error:
            raise InvalidToken(f"unknown role {claims['role']!r}") from error
        team = claims.get("team")
        if not isinstance(claims["sub"], str) or not claims["sub"] or not (team is None or isinstance(team, str)):
            raise InvalidToken("sub must be a non-empty string and team a string")
        if _CONTROL.search(claims["sub"] + (team or "")):  # NUL failed list queries with a 500; ESC was stored
            raise InvalidToken("sub and team must not contain control characters")
        return Actor(sub=claims["sub"], role=role, team=team)
