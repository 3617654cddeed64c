"""Typed settings for TenantLine, read once from the environment (and an optional `.env` file).

Every setting is an environment variable with the `TENANTLINE_` prefix unless it belongs to an outside service
(Twilio, Telegram), whose conventional names are kept. Secrets are `SecretStr` so they never appear in a `repr`
or a log line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    rasa_url: str = Field(default="http://127.0.0.1:5005", env="TENANTLINE_RASA_URL")
    rasa_token: SecretStr | None = Field(
        default=None,
        env="TENANTLINE_RASA_TOKEN",
        description="Token guarding the Rasa HTTP API (`rasa run --auth-token`); `tenantline run` makes one if unset.",
    )
    action_server_url: str = Field(default="http://127.0.0.1:5055/webhook", env="TENANTLINE_ACTION_SERVER_URL")
    public_url: str | None = Field(default=None, env="TENANTLINE_PUBLIC_URL")
    timezone: str = Field(default="Europe/London", env="TENANTLINE_TIMEZONE")

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
