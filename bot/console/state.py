"""What the console's request handlers share: its config, database, Rasa client, sessions and templates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from jinja2 import Environment
from sqlalchemy.orm import Session

from bot.console.config import ConsoleConfig
from bot.console.permissions import Capability, can
from bot.console.rasa_api import RasaClient
from bot.console.sessions import ConsoleSession, SessionStore, SignInThrottle
from bot.housing.enums import StaffRole


@dataclass(frozen=True)
class Staff:
    """The signed-in member of staff making a request, as the housing database has them now."""

    username: str
    display_name: str
    role: StaffRole
    session: ConsoleSession
    token: str

    @property
    def actor(self) -> str:
        """Return the audit log's name for them ("staff:amira")."""
        return f"staff:{self.username}"

    def can(self, capability: Capability) -> bool:
        """Return whether their role has `capability`."""
        return can(self.role, capability)


@dataclass
class ConsoleState:
    """The app's shared parts; one per app, kept on `app.ctx.console`."""

    config: ConsoleConfig
    session_factory: Callable[[], Session]
    rasa: RasaClient
    sessions: SessionStore
    throttle: SignInThrottle
    templates: Environment
