"""The production SMS channel as the bench runs it: private journal and media folders, optional unpaced sending.

`rasa run` builds channels from credentials.yml; the bench's credentials name `bench.sms_channel.BenchSmsInput`,
which is `channels.twilio_sms.TwilioSmsInput` unchanged except for two things the bench must control:

- the inbox journal and photos go under TENANTLINE_BENCH_WORKDIR, so a bench run never replays (or leaves
  behind) messages in the project's own var/inbox;
- with TENANTLINE_BENCH_SMS_PER_SECOND set, the outbox paces SMS at that rate instead of the channel's 10 a
  second ("0" lifts the limit), because the throughput targets ask for more replies a second than one UK long
  code may send. The report says which pacing each run used.

With TENANTLINE_BENCH_WITHOUT naming "nlu-off-loop", the channel leaves Rasa's NLU on the event loop (it is moved
off the loop by every channel at start-up, `bot.rasa_patches`), so the bench can measure what that change buys;
with "hot-path", it restores the two Rasa methods `bot.rasa_hot_path` replaces; with "lean-load", Rasa's own
model loader (`bot.rasa_lean_load`); with "turn-thread", tenants' turns run on the server's event loop beside the
webhooks instead of on the channels' turn thread, with Python's own GIL switch interval (`channels.core.turns`);
with "heap-freeze", the loaded model's objects are not frozen (`bot.heap`).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint

from bot.settings import Settings
from channels.outbox import RateLimit
from channels.twilio import config_from_settings
from channels.twilio_sms import TwilioSmsInput

WORKDIR_ENV = "TENANTLINE_BENCH_WORKDIR"
RATE_ENV = "TENANTLINE_BENCH_SMS_PER_SECOND"
DEFAULT_SWITCH_INTERVAL = 0.005
"""Python's own `sys.getswitchinterval()`, restored when the turn thread is left out."""
WITHOUT_ENV = "TENANTLINE_BENCH_WITHOUT"
"""Comma-separated changes from Rasa's defaults the bench has switched off to measure them (`bench.changes`)."""


def rate_limit_from(value: str | None, default: RateLimit) -> RateLimit:
    """Return the pacing named by the environment value: unset keeps `default`, "0" is unpaced.

    Raises:
        ValueError: If the value is not a non-negative number.
    """
    if value is None or value.strip() == "":
        return default
    rate = float(value)
    if rate < 0 or rate != rate:  # NaN is not a rate
        raise ValueError(f"{RATE_ENV} must be a non-negative number, got {value!r}")
    return RateLimit(overall_per_second=rate or None)


class BenchSmsInput(TwilioSmsInput):
    """TenantLine's SMS channel with the bench's folders and pacing."""

    @classmethod
    def from_settings(cls, settings: Settings, options: Mapping[str, Any]) -> BenchSmsInput:
        """Build the channel like production does, with journal and media under the bench's work folder.

        Raises:
            ChannelNotConfigured: Naming every missing Twilio setting.
            RuntimeError: If TENANTLINE_BENCH_WORKDIR is unset.
        """
        workdir = os.environ.get(WORKDIR_ENV)
        if not workdir:
            raise RuntimeError(f"{WORKDIR_ENV} must name the bench's work folder")
        channel = cls(
            config_from_settings(settings, cls.name(), cls.from_setting),
            options=options,
            media_dir=Path(workdir) / "media",
        )
        channel.rate_limit = rate_limit_from(os.environ.get(RATE_ENV), cls.rate_limit)  # type: ignore[misc]
        return channel

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Build the production channel's routes; with "nlu-off-loop" switched off, leave Rasa's parsing as it was."""
        blueprint = super().blueprint(on_new_message)
        left_out = switched_off(os.environ.get(WITHOUT_ENV))
        if "nlu-off-loop" in left_out:
            from bot import rasa_patches

            rasa_patches.uninstall()
        if "hot-path" in left_out:
            from bot import rasa_hot_path

            rasa_hot_path.uninstall()
        if "lean-load" in left_out:
            from bot import rasa_lean_load

            rasa_lean_load.uninstall()
        if "turn-thread" in left_out:
            import sys

            self.pipeline.workers.turns = None  # turns on the server's loop, beside the webhooks, as Rasa runs them
            sys.setswitchinterval(DEFAULT_SWITCH_INTERVAL)
        if "heap-freeze" in left_out:
            from bot import heap

            heap.disable()
        return blueprint


def switched_off(value: str | None) -> set[str]:
    """Return the change names in a TENANTLINE_BENCH_WITHOUT value (empty or unset: none)."""
    return {name.strip() for name in (value or "").split(",") if name.strip()}
