"""Token keys: HS256 needs a real secret; RS256 verifies with the public key only."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from service.config import Settings
from service.domain.actors import Role
from service.tokens import InvalidToken, TokenKeys


def _pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def test_rs256_tokens_verify_with_the_public_key_from_a_file(tmp_path: Path) -> None:
    private, public = _pem_pair()
    (tmp_path / "public.pem").write_text(public)
    issuer = TokenKeys.from_settings(Settings(jwt_algorithm="RS256", jwt_public_key=public, jwt_private_key=private))
    verifier = TokenKeys.from_settings(
        Settings(jwt_algorithm="RS256", jwt_public_key=str(tmp_path / "public.pem"), data_dir=tmp_path)
    )
    actor = verifier.actor(issuer.mint("kam-7", Role.MANAGER, "volga"))
    assert (actor.sub, actor.role, actor.team) == ("kam-7", Role.MANAGER, "volga")
    with pytest.raises(ValueError, match="no signing key"):
        verifier.mint("x", Role.ADMIN)


def test_an_rs256_service_refuses_a_token_signed_with_another_key() -> None:
    _, public = _pem_pair()
    other_private, _ = _pem_pair()
    forger = TokenKeys.from_settings(
        Settings(jwt_algorithm="RS256", jwt_public_key=public, jwt_private_key=other_private)
    )
    verifier = TokenKeys.from_settings(Settings(jwt_algorithm="RS256", jwt_public_key=public))
    with pytest.raises(InvalidToken, match="Signature"):
        verifier.actor(forger.mint("mallory", Role.ADMIN))


def test_issuer_and_audience_are_enforced_when_configured() -> None:
    secret = "s" * 40
    right = TokenKeys.from_settings(Settings(jwt_secret=secret, jwt_issuer="idp", jwt_audience="kamplan"))
    wrong = TokenKeys.from_settings(Settings(jwt_secret=secret, jwt_issuer="other", jwt_audience="kamplan"))
    assert right.actor(right.mint("a", Role.BI)).role is Role.BI
    with pytest.raises(InvalidToken, match="issuer"):
        right.actor(wrong.mint("a", Role.BI))
    elsewhere = TokenKeys.from_settings(Settings(jwt_secret=secret, jwt_issuer="idp", jwt_audience="elsewhere"))
    with pytest.raises(InvalidToken, match=r"(?i)audience"):
        right.actor(elsewhere.mint("a", Role.BI))
    issuer_only = TokenKeys.from_settings(Settings(jwt_secret=secret, jwt_issuer="idp"))  # the same key
    with pytest.raises(InvalidToken, match='"aud"'):
        right.actor(issuer_only.mint("a", Role.BI))
    audience_only = TokenKeys.from_settings(Settings(jwt_secret=secret, jwt_audience="kamplan"))
    with pytest.raises(InvalidToken, match='"iss"'):
        right.actor(audience_only.mint("a", Role.BI))
    unset = TokenKeys.from_settings(Settings(jwt_secret=secret))
    with pytest.raises(InvalidToken, match=r"(?i)audience"):  # an audience nobody configured is refused too
        unset.actor(right.mint("a", Role.BI))


def test_a_short_hs256_secret_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        TokenKeys.from_settings(Settings(jwt_secret="short"))


@pytest.mark.parametrize("claims", [{"sub": "kam\x00x"}, {"team": "oem\x00north"}, {"sub": "kam\x1b[31m"}])
def test_a_name_holding_a_control_character_is_an_invalid_token(claims: dict[str, str]) -> None:
    """A signed token with NUL in `sub` or `team` made every list across accounts a 500; ESC was stored."""
    keys = TokenKeys.from_settings(Settings(jwt_secret="s" * 40))
    now = int(time.time())
    token = jwt.encode(
        {"sub": "kam", "role": "supervisor", "team": "north", "exp": now + 60, **claims}, "s" * 40, algorithm="HS256"
    )
    with pytest.raises(InvalidToken, match="control characters"):
        keys.actor(token)
