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
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Service:
    """A child process that TenantLine runs, and the URL that answers once it is ready."""

    name: str
    command: list[str]
    ready_url: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)


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
        The services in start order.
    """
    python = sys.executable
    rasa_auth = ["--auth-token", rasa_token] if rasa_token else []
    return [
        Service(
            name="action server",
            command=[python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
            ready_url=f"http://127.0.0.1:{action_port}/health",
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

    Args:
        services: The services to run.
        root: Working directory for every process.
        ready_timeout: Seconds to wait for each service to answer before giving up.
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
        for service in services:
            print(f"starting {service.name} ...", flush=True)
            service.process = subprocess.Popen(service.command, cwd=root, env=env)
            deadline = time.monotonic() + ready_timeout
            while not _is_ready(service.ready_url):
                if stopping:
                    return 0
                if service.process.poll() is not None:
                    print(f"{service.name} exited with code {service.process.returncode} before it was ready")
                    return service.process.returncode or 1
                if time.monotonic() > deadline:
                    print(f"{service.name} did not answer at {service.ready_url} within {ready_timeout:.0f} s")
                    return 1
                time.sleep(0.5)
            print(f"{service.name} ready at {service.ready_url}", flush=True)
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
        for service in reversed(services):
            if service.process is not None and service.process.poll() is None:
                service.process.terminate()
        for service in services:
            if service.process is not None:
                try:
                    service.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    service.process.kill()
