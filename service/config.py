"""Settings from the environment, built once at start-up and passed down, never read at import."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.webhooks.destinations import DEFAULT_BLOCKED, DEFAULT_NAT64, Destinations, nat64_prefixes, networks
from service.webhooks.signing import secret_bytes

MIN_SECRET_BYTES = 32  # an HS256 secret's least length (RFC 7518, 3.2)


def is_pem(value: str) -> bool:
    """A key given as PEM text, not as the path of a file holding it."""
    return value.lstrip().startswith("-----BEGIN")


def _module_missing(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):  # a parent package that does not exist, or an empty name part
        return True


class Settings(BaseSettings):
    """Every knob of the service; the README's configuration table mirrors this class."""

    # a refused value is not echoed: a typo in one of several ERP secrets would print the others at start-up
    model_config = SettingsConfigDict(env_prefix="KAMPLAN_", extra="ignore", hide_input_in_errors=True)

    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="PostgreSQL 15+ to use; unset starts the embedded PostgreSQL 18 in the data directory.",
    )
    data_dir: Path = Field(default=Path("var"), description="Where the embedded database and dev secret live.")
    pg_data: Path | None = Field(default=None, description="Embedded PostgreSQL data directory (<data_dir>/pg).")
    db_role: str = Field(
        default="kamplan_app",
        description="Role the service switches to after connecting (INSERT/SELECT on events only); '' to stay.",
    )
    pool_min: int = Field(default=2, ge=1)
    pool_max: int = Field(
        default=20,
        ge=1,
        description="Connections for requests and short work; those held by projections and webhooks come on top.",
    )
    idle_in_transaction_timeout_ms: int = Field(
        default=30_000,
        ge=0,
        le=2**31 - 1,  # PostgreSQL's range for the setting: past it, every connection would be refused
        description="Sessions of the service that idle inside a transaction are cut.",
    )

    projections: Literal["inprocess", "off"] = Field(
        default="inprocess", description="Apply projections inside `serve`; 'off' when `kamplan worker`s do it."
    )
    projection_modules: str = Field(default="", description="Extra modules with projections(), comma-separated.")
    projection_batch_size: int = Field(default=1000, ge=1, description="Events per transaction when live.")
    projection_build_batch_size: int = Field(default=5000, ge=1, description="Events per transaction in a rebuild.")
    read_wait_seconds: float = Field(
        default=5.0, ge=0, description="How long a read given min_position waits for projections before 503."
    )

    webhooks: Literal["inprocess", "off"] = Field(
        default="inprocess", description="Deliver webhooks inside `serve`; 'off' when `kamplan worker`s do it."
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="How long one delivery attempt may take.")
    webhook_retry_base_seconds: float = Field(
        default=2.0, gt=0, description="Wait before the first retry of a failed delivery; each next one doubles."
    )
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0, description="The longest wait between retries.")
    webhook_disable_after: int = Field(
        default=30, ge=1, le=10_000, description="Failed attempts in a row after which a subscription is disabled."
    )
    webhook_attempts_keep_days: int = Field(
        default=30, ge=1, description="How long the log of delivery attempts keeps a row."
    )
    webhook_blocked_networks: str = Field(
        default=DEFAULT_BLOCKED,
        description="Networks webhooks are never delivered to, separated by spaces (server-side request forgery); "
        "the default: loopback, link-local (cloud metadata), multicast, reserved. Empty: none.",
    )
    webhook_allowed_networks: str = Field(
        default="", description="Exceptions within the blocked networks, separated by spaces (e.g. 127.0.0.1/32)."
    )
    webhook_nat64_prefixes: str = Field(
        default=DEFAULT_NAT64,
        description="NAT64 prefixes (RFC 6052: /32 to /96) whose addresses carry an IPv4 address, which is checked "
        "against the blocked networks too; add your translator's own prefix.",
    )

    @field_validator("webhook_blocked_networks", "webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        networks(value)  # a clear error at start-up, not a refused delivery
        return value

    @field_validator("webhook_nat64_prefixes")
    @classmethod
    def _nat64(cls, value: str) -> str:
        nat64_prefixes(value)
        return value

    @property
    def webhook_destinations(self) -> Destinations:
        # parsed per call, not cached: model_copy(update=...) would carry a cached value over to the copy
        return Destinations.parse(
            self.webhook_blocked_networks, self.webhook_allowed_networks, self.webhook_nat64_prefixes
        )

    erp_webhook_secret: str | None = Field(
        default=None,
        description="whsec_ secret the ERP signs its webhooks with (Standard Webhooks); unset: they are refused (503). "
        "Several, separated by spaces, while the ERP's secret is rotated: a delivery signed with any is taken.",
    )
    erp_webhook_tolerance_seconds: int = Field(
        default=300,
        ge=1,
        description="How far a webhook's timestamp may be from now (replayed deliveries are refused).",
    )
    erp_redelivery_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        le=60,
        description="How long a redelivery waits for the answer of its first attempt, still being decided, before "
        "it is answered 409 delivery-in-progress (the ERP delivers it again later).",
    )
    erp_deliveries_keep_days: int = Field(
        default=30,
        ge=1,
        description="How long an ERP delivery id is kept with its body's hash and answer: a redelivery within it "
        "answers as the first time.",
    )

    @field_validator("erp_webhook_secret")
    @classmethod
    def _erp_secret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for secret in value.split():
            secret_bytes(secret)  # a clear error at start-up, not a 401 for every delivery
        return value.strip() or None

    @property
    def erp_webhook_secrets(self) -> list[str]:
        return (self.erp_webhook_secret or "").split()

    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="The largest request body taken; a larger one is a 413."
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    shutdown_grace_seconds: float = Field(
        default=25.0,
        gt=0,
        description="After SIGTERM, how long `serve` waits for running requests before it cuts them.",
    )
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in logging.getLevelNamesMapping():
            raise ValueError("not a log level: DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    @staticmethod
    def variable(field: str) -> str:
        """The environment variable a field is read from: what an operator has to fix when it is refused."""
        info = Settings.model_fields.get(field)
        if info is not None and isinstance(info.validation_alias, str):
            return info.validation_alias
        return f"KAMPLAN_{field.upper()}" if info is not None else field

    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_secret: str | None = Field(default=None, description="HS256 secret; unset: a generated one in data_dir.")
    jwt_public_key: str | None = Field(
        default=None, validate_default=True, description="RS256 public key, PEM text or a file path."
    )
    jwt_private_key: str | None = Field(default=None, description="RS256 private key: `kamplan token` and `demo` only.")
    jwt_issuer: str | None = None
    jwt_audience: str | None = None

    # Checked here, so that a command refuses them in one line (exit 2) before it starts anything, where the service
    # used to fail in its start-up with a traceback.
    @field_validator("jwt_secret")
    @classmethod
    def _jwt_secret(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes (RFC 7518, 3.2)")
        return value

    @field_validator("jwt_public_key", "jwt_private_key")
    @classmethod
    def _jwt_key(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if info.field_name == "jwt_public_key" and info.data.get("jwt_algorithm") == "RS256":
                raise ValueError("required when KAMPLAN_JWT_ALGORITHM asks for RSA keys")
            return None
        if not is_pem(value) and not Path(value).is_file():
            raise ValueError("neither PEM text nor the path of a file")
        return value

    @field_validator("projection_modules")
    @classmethod
    def _projection_modules(cls, value: str) -> str:
        for name in (m.strip() for m in value.split(",")):
            if name and _module_missing(name):
                raise ValueError("names a module that cannot be imported")
        return value

    @property
    def extra_projection_modules(self) -> list[str]:
        return [m.strip() for m in self.projection_modules.split(",") if m.strip()]

    @property
    def pg_data_dir(self) -> Path:
        return (self.pg_data or self.data_dir / "pg").resolve()
