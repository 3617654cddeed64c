"""Typed settings for TenantLine, read once from the environment (and an optional `.env` file).

Every setting is an environment variable with the `TENANTLINE_` prefix unless it belongs to an outside service
(Twilio, Telegram), whose conventional names are kept. Secrets are `SecretStr` so they never appear in a `repr`
or a log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseSettings, Field, SecretStr

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Settings for every TenantLine process; values come from the environment."""

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'housing.db'}",
        env="TENANTLINE_DATABASE_URL",
        description="SQLAlchemy URL of the housing system of record.",
    )
    tracker_store_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}",
        env="TENANTLINE_TRACKER_STORE_URL",
        description="SQLAlchemy URL of Rasa's tracker store.",
    )
    landlord_file: Path = Field(
        default=PROJECT_ROOT / "landlord.yml",
        env="TENANTLINE_LANDLORD_FILE",
        description="YAML file with the landlord's name, numbers, hours and FAQ answers.",
    )
    training_data_dir: Path = Field(
        default=PROJECT_ROOT / "data",
        env="TENANTLINE_TRAINING_DATA_DIR",
        description="The Rasa training data folder (nlu/*.yml) that trainers edit from the console and CLI.",
    )
    inbox_threshold: float = Field(
        default=0.75,
        ge=0.0,
        le=1.0,
        env="TENANTLINE_INBOX_THRESHOLD",
        description="Tenant messages whose best intent scored below this land in the trainers' NLU inbox.",
    )
    rasa_url: str = Field(default="http://127.0.0.1:5005", env="TENANTLINE_RASA_URL")
    rasa_token: SecretStr | None = Field(
        default=None,
        env="TENANTLINE_RASA_TOKEN",
        description="Token guarding the Rasa HTTP API (`rasa run --auth-token`); `tenantline run` makes one if unset.",
    )
    action_server_url: str = Field(default="http://127.0.0.1:5055/webhook", env="TENANTLINE_ACTION_SERVER_URL")
    public_url: str | None = Field(default=None, env="TENANTLINE_PUBLIC_URL")
    timezone: str = Field(default="Europe/London", env="TENANTLINE_TIMEZONE")

    profile: Literal["embedded", "production"] = Field(
        default="embedded",
        env="TENANTLINE_PROFILE",
        description="embedded: one of each process on SQLite; production: PostgreSQL, Redis, replicas behind nginx.",
    )
    redis_url: str | None = Field(
        default=None,
        env="TENANTLINE_REDIS_URL",
        description="Redis holding the conversation locks shared by the Rasa replicas (production profile).",
    )
    replicas: int = Field(
        default=2,
        ge=1,
        le=16,
        env="TENANTLINE_REPLICAS",
        description="How many Rasa servers and how many action servers the production profile runs.",
    )
    public_port: int = Field(
        default=8080,
        ge=1,
        le=65535,
        env="TENANTLINE_PUBLIC_PORT",
        description="Port where nginx takes the channels' webhooks for the Rasa replicas (production profile).",
    )
    replica_id: str | None = Field(
        default=None,
        max_length=64,
        env="TENANTLINE_REPLICA_ID",
        description="This Rasa replica's name in the inbound journal; stable across restarts (default host:pid).",
    )
    inbound_lease_seconds: float = Field(
        default=30.0,
        ge=2.0,
        le=3600.0,
        env="TENANTLINE_INBOUND_LEASE_SECONDS",
        description="How long a replica's claim on an inbound message lasts unless renewed; another replica takes "
        "the message over once it runs out.",
    )

    twilio_account_sid: str | None = Field(default=None, env="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr | None = Field(default=None, env="TWILIO_AUTH_TOKEN")
    twilio_sms_from: str | None = Field(default=None, env="TWILIO_SMS_FROM")
    twilio_whatsapp_from: str | None = Field(default=None, env="TWILIO_WHATSAPP_FROM")
    twilio_api_base_url: str | None = Field(default=None, env="TWILIO_API_BASE_URL")
    telegram_bot_token: SecretStr | None = Field(default=None, env="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: SecretStr | None = Field(default=None, env="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_base_url: str | None = Field(default=None, env="TELEGRAM_API_BASE_URL")

    class Config:
        env_file = PROJECT_ROOT / ".env"
        env_file_encoding = "utf-8"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first use."""
    return Settings()


def require(settings: Settings, *names: str) -> None:
    """Fail start-up naming every setting in `names` that is missing.

    Args:
        settings: The settings to check.
        names: Attribute names on `Settings` that the caller cannot run without.

    Raises:
        RuntimeError: If one or more settings are unset; the message names their environment variables.
    """
    missing = []
    for name in names:
        if getattr(settings, name) in (None, ""):
            field = Settings.__fields__[name]
            missing.append(str(field.field_info.extra.get("env", name.upper())))
    if missing:
        raise RuntimeError(f"missing required setting(s): {', '.join(missing)}")


SERVER_ENVIRONMENT: dict[str, str] = {
    # glibc gives threads that allocate their own malloc arenas, up to 8 per core, and memory freed in one is not
    # reused by another: the Rasa server (NLU thread, asyncio's thread pool, TensorFlow) held 18-44 MB less with 2.
    "MALLOC_ARENA_MAX": "2",
}
"""Environment variables the Rasa and action servers get unless already set (measured in docs/bench.md). TensorFlow
and OpenMP thread counts sized to 2 cores were measured too and left out: no measurable change in parse rate or
memory."""


def server_environment(env: Mapping[str, str]) -> dict[str, str]:
    """Return the process settings TenantLine gives its Rasa and action servers, keeping any `env` already sets.

    Args:
        env: The environment the servers would otherwise start with; a setting it names is left as it is, so an
            operator can override each one.

    Returns:
        The variables to add to the servers' environment.
    """
    return {key: env.get(key, value) for key, value in SERVER_ENVIRONMENT.items()}
