"""The assistant as `make run` starts it: the Rasa server and the action server as real processes.

Both run on free ports on 127.0.0.1 against a private copy of the seeded demo housing database and a private
tracker store, with the trained model (tests here are marked `model` and skip with a message when it is missing;
`make test` trains it first).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from sqlalchemy.orm import Session

from bot.housing.db import create_engine_for, make_session_factory
from bot.scale.lock_store import EMBEDDED_LOCK_STORE
from bot.scale.tracker_store import SQLITE_TRACKER_STORE
from bot.training import model_path
from tests.support.housing import seeded_database

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 600  # a ceiling for a loaded machine; a quiet one loads the model in under a minute


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


@dataclass
class Assistant:
    """The running assistant: send a tenant's message over REST, read the housing database."""

    url: str
    housing: Callable[[], Session]

    def say(self, sender: str, text: str, phone: str | None = None) -> list[dict[str, Any]]:
        """Send `text` as `sender` (texting from `phone` when given) and return the replies."""
        metadata = {"channel": "sms", "address": phone} if phone else {}
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text, "metadata": metadata},
            timeout=60,
        )
        response.raise_for_status()
        return list(response.json())

    def texts(self, sender: str, text: str, phone: str | None = None) -> str:
        """Send a message and return the replies' text joined, lower-cased, for assertions."""
        return "\n".join(str(r.get("text", "")) for r in self.say(sender, text, phone)).lower()

    def tracker(self, sender: str) -> dict[str, Any]:
        """Return the conversation's tracker from the Rasa HTTP API."""
        response = requests.get(f"{self.url}/conversations/{sender}/tracker", timeout=30)
        response.raise_for_status()
        return dict(response.json())


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """Start the action server and the Rasa server once for the whole session."""
    model = model_path()
    if not model.exists():
        pytest.skip(f"no trained model at {model.relative_to(PROJECT_ROOT)}: run `make train` first")
    workdir = tmp_path_factory.mktemp("e2e")
    database = seeded_database(workdir / "housing.db")
    env = {**os.environ, "TENANTLINE_DATABASE_URL": f"sqlite:///{database}", "TF_CPP_MIN_LOG_LEVEL": "3"}
    for key in [k for k in env if k.startswith(("TWILIO_", "TELEGRAM_"))]:
        env.pop(key)  # the REST channel only: no outside channel is configured here
    commands, rasa_port = assistant_commands(workdir, model)
    with running(commands, env, workdir):
        engine = create_engine_for(f"sqlite:///{database}")
        yield Assistant(url=f"http://127.0.0.1:{rasa_port}", housing=make_session_factory(engine))
        engine.dispose()


def assistant_commands(
    workdir: Path, model: Path, *, rasa_args: tuple[str, ...] = ()
) -> tuple[dict[str, tuple[list[str], str]], int]:
    """Return the action server and Rasa server as `make run` starts them, on free ports, for `running`.

    A private endpoints.yml in `workdir` points Rasa at that action server and an SQLite tracker store beside it.

    Args:
        workdir: The test's folder.
        model: The model archive to serve.
        rasa_args: More `rasa run` arguments, e.g. ("--auth-token", token).

    Returns:
        The commands with their ready URLs, in start order, and the Rasa server's port.
    """
    action_port, rasa_port = _free_port(), _free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump(
            {
                "action_endpoint": {"url": f"http://127.0.0.1:{action_port}/webhook"},
                "tracker_store": {"type": SQLITE_TRACKER_STORE, "dialect": "sqlite", "db": str(workdir / "tracker.db")},
                "lock_store": dict(EMBEDDED_LOCK_STORE),
            }
        )
    )
    commands = {
        "actions": (
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
            f"http://127.0.0.1:{action_port}/health",
        ),
        "rasa": (
            [
                sys.executable, "-m", "rasa", "run", "--enable-api", "--model", str(model), "--port", str(rasa_port),
                "--endpoints", str(endpoints), "--credentials", str(PROJECT_ROOT / "credentials.yml"), *rasa_args,
            ],
            f"http://127.0.0.1:{rasa_port}/",  # answers without the token, when the API has one
        ),
    }  # fmt: skip
    return commands, rasa_port


@contextmanager
def running(commands: dict[str, tuple[list[str], str]], env: dict[str, str], workdir: Path) -> Iterator[None]:
    """Start each (command, ready URL) in order from the project root, wait until it answers, stop all on exit.

    Each process logs to `<workdir>/<name>.log`; a process that dies or never answers fails with its log's tail.
    """
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, (command, ready_url) in commands.items():
            log = workdir / f"{name}.log"
            with log.open("wb") as output:
                processes[name] = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=output)
            _wait_for(ready_url, processes[name], log)
        yield
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def sender() -> str:
    """A fresh conversation id for each test."""
    return f"e2e-{uuid.uuid4().hex[:10]}"
