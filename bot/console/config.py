"""The console's settings: the shared TenantLine settings plus the few only the console reads.

`ConsoleSettings` extends `bot.settings.Settings`, so one object (and one `.env`) serves both. `ConsoleConfig`
is the plain value the app is built from; tests construct it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import Field

from bot.settings import PROJECT_ROOT, Settings

DEFAULT_PORT = 8000
INBOX_COLLECT_SECONDS = 60.0
"""A running console looks for new uncertain messages this often; a trainer can also collect at once."""


class ConsoleSettings(Settings):
    """Settings read by the console process, from the environment (and `.env`)."""

    console_host: str = Field(default="127.0.0.1", env="TENANTLINE_CONSOLE_HOST")
    console_port: int = Field(default=DEFAULT_PORT, env="TENANTLINE_CONSOLE_PORT")
    console_secure_cookies: bool = Field(
        default=False,
        env="TENANTLINE_CONSOLE_SECURE_COOKIES",
        description="Always mark the session cookie Secure (set it when TLS ends at a proxy in front).",
    )
    console_proxies: int = Field(
        default=0,
        env="TENANTLINE_CONSOLE_PROXIES",
        description="How many reverse proxies in front of the console to trust for X-Forwarded-Proto and -For.",
    )
    console_idle_minutes: int = Field(default=30, env="TENANTLINE_CONSOLE_IDLE_MINUTES")
    console_session_hours: int = Field(default=10, env="TENANTLINE_CONSOLE_SESSION_HOURS")
    console_whatsapp_template: str | None = Field(
        default=None,
        env="TENANTLINE_CONSOLE_WHATSAPP_TEMPLATE",
        description="Content SID of the approved WhatsApp template whose {{1}} carries the message, offered once "
        "the 24-hour window has closed (the same template as credentials.yml's WhatsApp `session_template`).",
    )
    media_dir: Path = Field(default=PROJECT_ROOT / "var" / "media", env="TENANTLINE_MEDIA_DIR")


@lru_cache(maxsize=1)
def get_console_settings() -> ConsoleSettings:
    """Return the console's settings, read from the environment on first use."""
    return ConsoleSettings()


@dataclass(frozen=True)
class ConsoleConfig:
    """Everything the console app is built from.

    Attributes:
        database_url: SQLAlchemy URL of the housing database.
        rasa_url: Base URL of the Rasa server's HTTP API.
        rasa_token: The Rasa API token, or None when Rasa runs without one.
        secure_cookies: Mark cookies Secure even when the request arrived over plain HTTP (TLS at a proxy).
        proxies_count: Reverse proxies to trust for the forwarded scheme and client address.
        idle_minutes: Sign staff out after this long without a request.
        session_hours: Sign staff out this long after they signed in, whatever they were doing.
        whatsapp_template: Approved WhatsApp template to send when the 24-hour window has closed, if any.
        media_dir: Where the channels store tenants' photos; only files under it are served.
        landlord_name: Shown in the page header.
        poll_seconds: How often open pages look for new queue entries and messages.
        project_root: The project whose models the trainer pages train, list and activate (`var/models`,
            `var/training`); tests point it at a temporary copy.
        training_data_dir: The training data folder the trainer pages edit (tests point it at a copy).
        domain_dir: The Rasa domain folder, read for entity names.
        tracker_store_url: Rasa's SQL tracker store, read for the NLU inbox; None turns collection off.
        inbox_threshold: Messages whose best intent scored below this land in the NLU inbox.
        inbox_collect_seconds: How often the console collects new inbox messages; 0 only on request.
    """

    database_url: str
    rasa_url: str
    rasa_token: str | None = field(default=None, repr=False)
    secure_cookies: bool = False
    proxies_count: int = 0
    idle_minutes: int = 30
    session_hours: int = 10
    whatsapp_template: str | None = None
    media_dir: Path = PROJECT_ROOT / "var" / "media"
    landlord_name: str = "TenantLine"
    poll_seconds: float = 3.0
    project_root: Path = PROJECT_ROOT
    training_data_dir: Path = PROJECT_ROOT / "data"
    domain_dir: Path = PROJECT_ROOT / "domain"
    tracker_store_url: str | None = None
    inbox_threshold: float = 0.75
    inbox_collect_seconds: float = 0.0

    @classmethod
    def from_settings(cls, settings: ConsoleSettings) -> ConsoleConfig:
        """Build the config from the process settings (and the landlord's name from landlord.yml)."""
        from bot.landlord import get_landlord

        token = settings.rasa_token.get_secret_value() if settings.rasa_token is not None else None
        return cls(
            database_url=settings.database_url,
            rasa_url=settings.rasa_url,
            rasa_token=token or None,
            secure_cookies=settings.console_secure_cookies,
            proxies_count=settings.console_proxies,
            idle_minutes=settings.console_idle_minutes,
            session_hours=settings.console_session_hours,
            whatsapp_template=settings.console_whatsapp_template or None,
            media_dir=settings.media_dir,
            landlord_name=get_landlord().name,
            training_data_dir=settings.training_data_dir,
            tracker_store_url=settings.tracker_store_url,
            inbox_threshold=settings.inbox_threshold,
            inbox_collect_seconds=INBOX_COLLECT_SECONDS,
        )
