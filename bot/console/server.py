"""Run the console: `python -m bot.console` (or `tenantline console`), on port 8000 by default."""

from __future__ import annotations

import argparse
import logging

from bot.console.app import create_app
from bot.console.config import ConsoleConfig, get_console_settings


def serve(*, host: str | None = None, port: int | None = None) -> None:
    """Serve the console until stopped, with settings from the environment.

    Args:
        host: Address to listen on; TENANTLINE_CONSOLE_HOST (127.0.0.1) when None.
        port: Port to listen on; TENANTLINE_CONSOLE_PORT (8000) when None.
    """
    settings = get_console_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.rasa_token is None:
        logging.getLogger(__name__).warning(
            "TENANTLINE_RASA_TOKEN is not set: the console calls Rasa's HTTP API without a token"
        )
    app = create_app(ConsoleConfig.from_settings(settings))
    # One process: sessions live in its memory (see bot.console.sessions).
    app.run(
        host=host or settings.console_host,
        port=port or settings.console_port,
        workers=1,
        access_log=False,
        motd=False,
    )


def main(argv: list[str] | None = None) -> None:
    """Parse `--host` and `--port` and serve the console."""
    parser = argparse.ArgumentParser(prog="python -m bot.console", description="Run the TenantLine staff console.")
    parser.add_argument("--host", default=None, help="address to listen on (default TENANTLINE_CONSOLE_HOST)")
    parser.add_argument("--port", type=int, default=None, help="port to listen on (default 8000)")
    arguments = parser.parse_args(argv)
    serve(host=arguments.host, port=arguments.port)
