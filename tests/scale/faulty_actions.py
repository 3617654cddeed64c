"""An action server that dies while Rasa is waiting on its reply, for the scale tests only.

`python -m tests.scale.faulty_actions --actions actions --port 5055 --die-during action_answer_faq` serves the
project's actions with rasa_sdk's own app, exactly as `python -m rasa_sdk` does, except that the first call of
the named action kills this process with SIGKILL once the call has been read and before it is answered: Rasa
(through nginx) is then waiting on a reply that never comes, as when an action server's machine dies mid-call.
Other calls, and health checks, are served normally until then.

The test stack starts it in place of one action server (same port) and restarts the real one afterwards; the
production profile never runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import Any

from rasa_sdk.endpoint import create_app
from sanic.request import Request

logger = logging.getLogger("tests.scale.faulty_actions")

DYING_LINE = "faulty action server: dying during"
"""What the server prints (flushed) just before it kills itself, so a test can tell from the log it happened."""
WORKING_SECONDS = 0.3
"""How long the doomed call "works" before the process dies, so Rasa is surely waiting on it."""


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line (rasa_sdk's `--actions` and `--port`, plus the action to die during)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", default="actions", help="the actions package (as rasa_sdk's --actions)")
    parser.add_argument("--port", type=int, required=True, help="the port to listen on")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--die-during", required=True, help="the action whose first call kills this server")
    arguments = parser.parse_args(argv)
    if not 0 < arguments.port < 65536:
        parser.error(f"--port must be 1-65535, not {arguments.port}")
    if not arguments.die_during.strip():
        parser.error("--die-during needs an action name")
    return arguments


def called_action(request: Request) -> str | None:
    """Return the action a webhook call asks for, or None for anything else (health checks, garbage)."""
    if request.method != "POST" or request.path != "/webhook":
        return None
    try:
        body: Any = request.json
    except Exception:  # an unreadable body is rasa_sdk's to refuse, not ours to die on
        return None
    name = body.get("next_action") if isinstance(body, dict) else None
    return str(name) if name else None


def main(argv: list[str] | None = None) -> None:
    """Serve the actions until the doomed call arrives, then die without answering it."""
    arguments = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(arguments.actions)
    doomed = arguments.die_during

    @app.middleware("request")
    async def die_during_the_doomed_call(request: Request) -> None:
        if called_action(request) != doomed:
            return
        print(f"{DYING_LINE} {doomed} (pid {os.getpid()})", flush=True)
        await asyncio.sleep(WORKING_SECONDS)
        os.kill(os.getpid(), signal.SIGKILL)

    logger.info(
        "serving %s on %s:%d; the first call of %s kills it", arguments.actions, arguments.host, arguments.port, doomed
    )
    app.run(arguments.host, arguments.port, workers=1, access_log=False)


if __name__ == "__main__":
    main(sys.argv[1:])
