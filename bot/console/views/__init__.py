"""The console's routes, one module per concept; `register` adds them all to an app."""

from __future__ import annotations

from sanic import Sanic

from bot.console.views import audit, auth, conversation, corrections, models, queue, records, training_data


def register(app: Sanic) -> None:
    """Add every console route to `app`."""
    for module in (auth, queue, conversation, records, audit, models, training_data, corrections):
        module.register(app)
