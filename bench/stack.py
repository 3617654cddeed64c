"""Start the processes a load phase measures, on free ports, each with its own log, and stop them afterwards.

- `tenantline_stack`: the action server and `rasa run` with the SMS channel (bench.sms_channel) against a private
  copy of the seeded demo housing database, Twilio pointed at the bench's fake, and the tracker store asked for.
- `bare_stack`: `rasa run` with Rasa's REST channel and an in-memory tracker store, nothing else: what a landlord
  gets from `rasa init` plus their data, with Rasa's process settings as they come.

TenantLine's servers get the same process settings `tenantline run` gives them (`bot.settings.server_environment`)
unless the run leaves them out to measure what they buy.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench import procstat
from bench.sms_channel import WITHOUT_ENV
from bot.scale.lock_store import EMBEDDED_LOCK_STORE
from bot.scale.tracker_store import SQLITE_TRACKER_STORE
from bot.settings import PROJECT_ROOT, server_environment

START_TIMEOUT_S = 1200.0
PUBLIC_URL = "https://tenantline.bench.invalid"
"""TENANTLINE_PUBLIC_URL of the bench's server: what the webhook signatures are computed over."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Running:
    """A started process and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def sample(self) -> procstat.ProcessSample:
        """Return its CPU seconds and memory now."""
        return procstat.sample(self.process.pid)


@dataclass
class Stack:
    """The processes of one system under test and the URL of its Rasa server."""

    rasa_url: str
    processes: list[Running] = field(default_factory=list)

    def samples(self) -> dict[str, procstat.ProcessSample]:
        """Return every process's CPU seconds and memory now, by process name."""
        return {p.name: p.sample() for p in self.processes}


def _wait_until_up(url: str, running: Running, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            tail = running.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{running.name} exited with {running.process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{running.name} did not answer at {url} within {timeout:.0f} s; see {running.log}")


def _start(name: str, command: list[str], env: dict[str, str], workdir: Path) -> Running:
    log = workdir / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    return Running(name, process, log)


def _stop(processes: list[Running]) -> None:
    for running in reversed(processes):
        if running.process.poll() is None:
            running.process.terminate()
    for running in processes:
        try:
            running.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait(timeout=5)


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "TELEGRAM_"))}
    env.update({"TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def changes_environment(base: dict[str, str], without: set[str]) -> dict[str, str]:
    """Return `base` with TenantLine's changes from Rasa's defaults set up, less those named in `without`.

    The process settings go straight into the environment; the NLU patch is left out by the bench's SMS channel,
    which reads the names in TENANTLINE_BENCH_WITHOUT.
    """
    env = dict(base)
    if "process-settings" in without:
        for key in server_environment({}):
            env.pop(key, None)  # Rasa's own behaviour, even if the bench itself was started with them
    else:
        env.update(server_environment(env))
    env[WITHOUT_ENV] = ",".join(sorted(without))
    return env


def tracker_store_config(kind: str, workdir: Path) -> dict[str, Any] | None:
    """Return the endpoints.yml `tracker_store` section for `kind` ("sqlite", "memory" or a PostgreSQL URL).

    Raises:
        ValueError: For any other kind.
    """
    if kind == "sqlite":
        return {"type": SQLITE_TRACKER_STORE, "dialect": "sqlite", "db": str(workdir / "tracker.db")}
    if kind == "memory":
        return None
    if kind.startswith("postgresql://"):
        from urllib.parse import urlsplit

        url = urlsplit(kind)
        return {
            "type": "SQL",
            "dialect": "postgresql",
            "url": url.hostname or "127.0.0.1",
            "port": url.port or 5432,
            "username": url.username or "postgres",
            "password": url.password or "",
            "db": url.path.lstrip("/") or "postgres",
        }
    raise ValueError(f"unknown tracker store {kind!r}: use sqlite, memory or a postgresql:// URL")


@contextmanager
def tenantline_stack(
    model: Path,
    workdir: Path,
    database: Path,
    twilio_base_url: str,
    *,
    account_sid: str,
    auth_token: str,
    sms_from: str,
    tracker_store: str = "sqlite",
    sms_per_second: str = "0",
    without: list[str] | None = None,
) -> Iterator[Stack]:
    """Run TenantLine's action server and Rasa server with the SMS channel until the block ends.

    Args:
        model: The trained TenantLine model.
        workdir: A folder for logs, the tracker store, the inbox journal and photos.
        database: The seeded housing database (a private copy: the run writes to it).
        twilio_base_url: The fake Twilio's base URL.
        account_sid: The fake Twilio's account SID.
        auth_token: The auth token webhooks are signed with.
        sms_from: TenantLine's SMS number.
        tracker_store: "sqlite" (the embedded default), "memory" or a postgresql:// URL.
        sms_per_second: The outbox's SMS pacing ("0": unpaced; "" keeps the channel's 10 a second).
        without: Changes from Rasa's defaults to leave out (`bench.changes.SWITCHABLE`), to measure them.

    Yields:
        The running stack.
    """
    action_port, rasa_port = free_port(), free_port()
    endpoints: dict[str, Any] = {
        "action_endpoint": {"url": f"http://127.0.0.1:{action_port}/webhook"},
        "lock_store": dict(EMBEDDED_LOCK_STORE),
    }
    store = tracker_store_config(tracker_store, workdir)
    if store is not None:
        endpoints["tracker_store"] = store
    (workdir / "endpoints.yml").write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    (workdir / "credentials.yml").write_text(yaml.safe_dump({"bench.sms_channel.BenchSmsInput": None}))
    left_out = set(without or [])
    env = changes_environment(_base_env(), left_out)
    env.update(
        {
            "TENANTLINE_DATABASE_URL": f"sqlite:///{database}",
            "TENANTLINE_PUBLIC_URL": PUBLIC_URL,
            "TWILIO_ACCOUNT_SID": account_sid,
            "TWILIO_AUTH_TOKEN": auth_token,
            "TWILIO_SMS_FROM": sms_from,
            "TWILIO_API_BASE_URL": twilio_base_url,
            "TENANTLINE_BENCH_WORKDIR": str(workdir),
            "TENANTLINE_BENCH_SMS_PER_SECOND": sms_per_second,
        }
    )
    python = sys.executable
    processes: list[Running] = []
    try:
        actions = _start(
            "action server",
            [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
            env,
            workdir,
        )
        processes.append(actions)
        rasa = _start(
            "rasa server",
            [
                python, "-m", "rasa", "run", "--enable-api", "--model", str(model), "--port", str(rasa_port),
                "--endpoints", str(workdir / "endpoints.yml"), "--credentials", str(workdir / "credentials.yml"),
            ],
            env,
            workdir,
        )  # fmt: skip
        processes.append(rasa)
        _wait_until_up(f"http://127.0.0.1:{action_port}/health", actions)
        _wait_until_up(f"http://127.0.0.1:{rasa_port}/status", rasa)
        yield Stack(f"http://127.0.0.1:{rasa_port}", processes)
    finally:
        _stop(processes)


@contextmanager
def bare_stack(model: Path, workdir: Path) -> Iterator[Stack]:
    """Run `rasa run` with Rasa's REST channel, the default (in-memory) tracker store and no action server.

    Args:
        model: A model trained with Rasa's default configuration.
        workdir: A folder for the log and the credentials file.

    Yields:
        The running stack.
    """
    port = free_port()
    (workdir / "credentials.yml").write_text(yaml.safe_dump({"rest": None}), encoding="utf-8")
    # Named explicitly: otherwise `rasa run` reads the project's endpoints.yml (its tracker store and actions).
    (workdir / "endpoints.yml").write_text("{}\n", encoding="utf-8")
    command = [
        sys.executable, "-m", "rasa", "run", "--enable-api", "--model", str(model), "--port", str(port),
        "--credentials", str(workdir / "credentials.yml"), "--endpoints", str(workdir / "endpoints.yml"),
    ]  # fmt: skip
    processes: list[Running] = []
    try:
        rasa = _start("rasa server", command, _base_env(), workdir)
        processes.append(rasa)
        _wait_until_up(f"http://127.0.0.1:{port}/status", rasa)
        yield Stack(f"http://127.0.0.1:{port}", processes)
    finally:
        _stop(processes)
