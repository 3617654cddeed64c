"""Start and supervise TenantLine's processes for `tenantline run`.

Each service is a child process; if one exits, the others are stopped so the operator never faces a half-running
system that looks healthy. Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import server_environment


@dataclass
class Service:
    """A child process that TenantLine runs, and the URL that answers once it is ready."""

    name: str
    command: list[str]
    ready_url: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    env: dict[str, str] = field(default_factory=dict)
    """Variables added to (or overriding) the parent's environment for this process only."""
    log: Path | None = None
    """File that receives the process's output (appended); None: the parent's terminal."""
    with_previous: bool = False
    """Start together with the service before it, without waiting for that one to answer first."""

    def start(self, root: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start the process in `root` with `env` (default: this process's environment) plus `self.env`."""
        environment = {**(os.environ if env is None else env), **self.env}
        if self.log is None:
            self.process = subprocess.Popen(self.command, cwd=root, env=environment)
        else:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with self.log.open("ab") as output:
                self.process = subprocess.Popen(
                    self.command, cwd=root, env=environment, stdout=output, stderr=subprocess.STDOUT
                )
        return self.process

    def running(self) -> bool:
        """Return whether the process was started and has not exited."""
        return self.process is not None and self.process.poll() is None


def start_groups(services: list[Service]) -> list[list[Service]]:
    """Split `services` into the groups that start together (see `Service.with_previous`), in order."""
    groups: list[list[Service]] = []
    for service in services:
        if service.with_previous and groups:
            groups[-1].append(service)
        else:
            groups.append([service])
    return groups


def wait_ready(
    services: list[Service], *, timeout: float, should_stop: Callable[[], bool] = lambda: False
) -> str | None:
    """Wait until every started service in `services` answers at its ready URL.

    Args:
        services: Services already started.
        timeout: Seconds to wait for all of them together.
        should_stop: Polled while waiting; returning True gives up quietly (Ctrl-C).

    Returns:
        None when all answer (or `should_stop` said so), otherwise a sentence saying which one failed and how.
    """
    deadline = time.monotonic() + timeout
    waiting = list(services)
    while waiting:
        if should_stop():
            return None
        for service in list(waiting):
            assert service.process is not None, f"{service.name} was never started"
            if service.process.poll() is not None:
                return f"{service.name} exited with code {service.process.returncode} before it was ready"
            if _is_ready(service.ready_url):
                print(f"{service.name} ready at {service.ready_url}", flush=True)
                waiting.remove(service)
        if waiting and time.monotonic() > deadline:
            names = ", ".join(f"{s.name} ({s.ready_url})" for s in waiting)
            return f"{names} did not answer within {timeout:.0f} s"
        if waiting:
            time.sleep(0.5)
    return None


def stop_services(services: list[Service], *, timeout: float = 15.0) -> None:
    """Terminate the running services in reverse order, killing any that outlive `timeout` seconds."""
    for service in reversed(services):
        if service.running():
            assert service.process is not None
            service.process.terminate()
    deadline = time.monotonic() + timeout
    for service in services:
        if service.process is not None:
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()


def _is_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(200 <= response.status < 500)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def rasa_services(
    root: Path,
    model: Path,
    *,
    rasa_port: int = 5005,
    action_port: int = 5055,
    console_port: int = 8000,
    rasa_token: str | None = None,
) -> list[Service]:
    """Return the action server, Rasa server and staff console commands for a model.

    Args:
        root: The project root (working directory of every server).
        model: The trained model archive to serve.
        rasa_port: Port of the Rasa HTTP server.
        action_port: Port of the action server.
        console_port: Port of the staff console.
        rasa_token: Token that guards Rasa's HTTP API (the console uses it to pause and resume conversations).

    Returns:
        The services in start order; the two servers get `bot.settings.server_environment`.
    """
    python = sys.executable
    rasa_auth = ["--auth-token", rasa_token] if rasa_token else []
    # The process settings the bench measures (`make bench`); an operator's own values win.
    tuned = server_environment(os.environ)
    return [
        Service(
            name="action server",
            command=[python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
            ready_url=f"http://127.0.0.1:{action_port}/health",
            env=tuned,
        ),
        Service(
            name="rasa server",
            command=[
                python,
                "-m",
                "rasa",
                "run",
                "--enable-api",
                "--model",
                str(model),
                "--port",
                str(rasa_port),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
                *rasa_auth,
            ],
            ready_url=f"http://127.0.0.1:{rasa_port}/",
            env=tuned,
        ),
        Service(
            name="staff console",
            command=[python, "-m", "bot.console", "--port", str(console_port)],
            ready_url=f"http://127.0.0.1:{console_port}/healthz",
        ),
    ]


def supervise(
    services: list[Service], root: Path, *, ready_timeout: float = 300.0, banner: list[str] | None = None
) -> int:
    """Start `services` in order, wait until each answers, then wait until one exits or Ctrl-C.

    Services marked `with_previous` start together with the one before them and are waited for together.

    Args:
        services: The services to run.
        root: Working directory for every process.
        ready_timeout: Seconds to wait for each group of services to answer before giving up.
        banner: Lines to print once everything is ready (where to reach it).

    Returns:
        The process exit code to use: 0 after Ctrl-C, otherwise the failing child's code (or 1).
    """
    env = dict(os.environ)
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        for group in start_groups(services):
            for service in group:
                print(f"starting {service.name} ...", flush=True)
                service.start(root, env)
            problem = wait_ready(group, timeout=ready_timeout, should_stop=lambda: stopping)
            if stopping:
                return 0
            if problem is not None:
                print(problem, flush=True)
                failed = next((s for s in group if s.process is not None and s.process.poll() is not None), None)
                return (failed.process.returncode if failed and failed.process else 1) or 1
        for line in banner or []:
            print(line, flush=True)
        print("TenantLine is running. Press Ctrl-C to stop.", flush=True)
        while not stopping:
            for service in services:
                assert service.process is not None
                if service.process.poll() is not None:
                    print(f"{service.name} exited with code {service.process.returncode}; stopping the others")
                    return service.process.returncode or 1
            time.sleep(0.5)
        return 0
    finally:
        stop_services(services)
