"""Registering channels with Rasa: a channel without its settings is left out, and start-up says so once.

Rasa builds one input channel per key of credentials.yml by calling `<class>.from_credentials(...)`, and an
exception there stops the whole server. TenantLine wants a server with Telegram configured but not Twilio (or
none at all) to start and serve the channels it can. So each channel has two constructors:

- `from_settings(settings, options)` builds the channel and raises `ChannelNotConfigured` naming the missing
  environment variables (the strict constructor, used by tests and anything that needs the channel);
- `from_credentials(credentials)` (what Rasa calls) is `build_or_disable(cls, credentials)`: it calls
  `from_settings` and, if settings are missing, logs one warning naming them and returns a `DisabledChannel`.
  A disabled channel registers no routes (its webhook answers 404) and provides no output channel, so Rasa's
  proactive sends to it fall back to collecting, exactly as if the channel were not in credentials.yml.

This keeps Rasa's own machinery in charge (one credentials key per channel, the channel's name as its URL prefix,
`output_channel=latest` matching by name) with no loader class or patching. Secrets never appear in
credentials.yml: they come from the environment through `bot.settings`; credentials.yml carries only options.

`install_runtime(blueprint, pipeline)` adds the server listeners every channel needs: start the process's outbox
dispatcher, take up unfinished messages (this replica's from before a restart, or a dead replica's) and keep
sweeping for them, and stop all of it on shutdown. It also moves Rasa's NLU inference off the event loop
(`bot.rasa_patches`), so the channel's webhooks are acknowledged while messages are being parsed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, Sanic

from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)


class ChannelNotConfigured(RasaException):
    """Raised when a channel's required settings are missing; `missing` names their environment variables."""

    def __init__(self, channel: str, missing: list[str]) -> None:
        super().__init__(f"the {channel} channel needs {', '.join(missing)}")
        self.channel = channel
        self.missing = list(missing)


def missing_settings(settings: Settings, *names: str) -> list[str]:
    """Return the environment variable names of the `Settings` fields in `names` that are unset or blank."""
    missing = []
    for name in names:
        value = getattr(settings, name)
        secret = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        if secret in (None, ""):
            field = Settings.__fields__[name]
            missing.append(str(field.field_info.extra.get("env", name.upper())))
    return missing


class DisabledChannel(InputChannel):
    """Stands in for a channel whose settings are missing: no routes, no output channel."""

    channel_name = "disabled"
    missing: tuple[str, ...] = ()

    @classmethod
    def name(cls) -> str:
        """Return the name of the channel this stands in for."""
        return cls.channel_name

    def blueprint(self, on_new_message: Callable[[UserMessage], Any]) -> Blueprint:
        """Return a blueprint with no routes, so the channel's webhook answers 404."""
        return Blueprint(f"{self.name()}_disabled")

    def get_output_channel(self) -> OutputChannel | None:
        """Return None: nothing can be sent on a channel that is not configured."""
        return None


class _FromSettings(Protocol):
    @classmethod
    def name(cls) -> str: ...

    @classmethod
    def from_settings(cls, settings: Settings, options: Mapping[str, Any]) -> InputChannel: ...


C = TypeVar("C", bound=_FromSettings)


def build_or_disable(cls: type[C], credentials: Mapping[str, Any] | None) -> InputChannel:
    """Build channel `cls` from the environment, or a `DisabledChannel` (logged once) if settings are missing.

    Args:
        cls: The channel class; it must provide `name()` and `from_settings(settings, options)`.
        credentials: The channel's options from credentials.yml (may be None).

    Returns:
        The channel, or its disabled stand-in.
    """
    try:
        return cls.from_settings(get_settings(), dict(credentials or {}))
    except ChannelNotConfigured as error:
        logger.warning("%s channel not registered: set %s to enable it", cls.name(), ", ".join(error.missing))
        stand_in = type(
            f"Disabled_{cls.name()}",
            (DisabledChannel,),
            {"channel_name": cls.name(), "missing": tuple(error.missing)},
        )
        return stand_in()


class _Runtime(Protocol):
    async def replay(self, app: Sanic) -> int: ...

    async def shutdown(self) -> None: ...


def install_runtime(
    blueprint: Blueprint,
    pipeline: _Runtime,
    on_start: Callable[[], None] | None = None,
    on_stop: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Add the listeners a channel needs to `blueprint`: outbox dispatcher and inbox sweep up, then down.

    Args:
        blueprint: The channel's blueprint.
        pipeline: The channel's `InboundPipeline`.
        on_start: Called first at start-up (e.g. to register the channel's outbox sender).
        on_stop: Awaited last at shutdown (e.g. to close the channel's HTTP client).
    """
    from bot import heap, rasa_hot_path, rasa_lean_load, rasa_patches
    from channels import outbox  # imported here: the dispatcher imports the core
    from channels.core import turns

    # Rasa parses messages on the event loop; without this a webhook waits for every parse in progress.
    rasa_patches.install()
    # Rasa re-checks a constant JSON schema on every action call and searches every event class per event.
    rasa_hot_path.install()
    # Rasa builds each TensorFlow model's training graph to load it; a server only predicts (half the memory).
    # The channel is built before `rasa run` loads the model, so this is in place in time.
    rasa_lean_load.install()
    # Turns run on their own thread (channels/core/turns.py); the webhooks' loop must get the GIL back quickly.
    turns.share_the_gil_often()

    async def started(app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        if on_start is not None:
            on_start()
        # Rasa has loaded the model by now: freeze its objects so full collections stop skipping a beat.
        heap.settle(getattr(app.ctx, "agent", None))
        outbox.start_dispatcher()
        await pipeline.replay(app)

    async def stopping(_app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        await pipeline.shutdown()
        await outbox.stop_dispatcher()
        if on_stop is not None:
            await on_stop()

    blueprint.listener("after_server_start")(started)
    blueprint.listener("before_server_stop")(stopping)
