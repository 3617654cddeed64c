"""The production stack's processes: N action servers, N Rasa replicas, nginx and the staff console.

`production_services` renders the files the processes read (endpoints.yml, nginx.conf) into a run folder and
returns the processes as `bot.runner.Service`s, so `tenantline run` supervises them like the embedded ones and
the scale tests start, kill and restart them one by one. Action servers and Rasa replicas start together (none
needs another to start); nginx and the console follow once they answer.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.runner import Service, supervise
from bot.scale import nginx
from bot.scale.profile import REPLICA_ENV, ProductionProfile, ProfileError
from bot.settings import Settings, server_environment


@dataclass(frozen=True)
class RunFiles:
    """The files rendered for one run of the production stack."""

    endpoints: Path
    nginx_conf: Path
    run_dir: Path


def write_run_files(profile: ProductionProfile, run_dir: Path, *, lock_store_type: str | None = None) -> RunFiles:
    """Render endpoints.yml and nginx.conf for `profile` into `run_dir`."""
    run_dir.mkdir(parents=True, exist_ok=True)
    endpoints = run_dir / "endpoints.yml"
    header = "# Rendered from the production profile (bot/scale/profile.py) for this run; passwords come from ${...}.\n"
    endpoints.write_text(
        header + yaml.safe_dump(profile.endpoints(lock_store_type=lock_store_type), sort_keys=False), encoding="utf-8"
    )
    return RunFiles(endpoints=endpoints, nginx_conf=nginx.write_config(profile, run_dir / "nginx"), run_dir=run_dir)


def production_services(
    profile: ProductionProfile,
    *,
    model: Path,
    root: Path,
    run_dir: Path,
    rasa_token: str,
    credentials: Path | None = None,
    lock_store_type: str | None = None,
    log_dir: Path | None = None,
    python: str = sys.executable,
) -> list[Service]:
    """Return the production stack's services in start order, after rendering their files into `run_dir`.

    Args:
        profile: The checked production profile.
        model: The trained model every Rasa replica serves (one archive, shared).
        root: The project root (working directory of every process).
        run_dir: Folder for the rendered files and nginx's prefix.
        rasa_token: Token guarding Rasa's HTTP API; the console gets it too.
        credentials: The channels' credentials.yml (default: the project's).
        lock_store_type: Lock store override (default: the atomic lock store when installed).
        log_dir: When given, each process writes its output to `<log_dir>/<name>.log`.
        python: The Python interpreter that runs Rasa, the actions and the console.

    Raises:
        nginx.NginxMissing: If nginx is not installed.
    """
    files = write_run_files(profile, run_dir, lock_store_type=lock_store_type)
    nginx_binary = nginx.find_nginx()

    def log(name: str) -> Path | None:
        return log_dir / f"{name}.log" if log_dir else None

    shared_env = {
        "TENANTLINE_DATABASE_URL": profile.database_url,
        "TENANTLINE_TRACKER_STORE_URL": profile.tracker_store_url,
        "TENANTLINE_REDIS_URL": profile.redis_url,
        "TENANTLINE_RASA_TOKEN": rasa_token,
        # No usage data or crash reports (which may quote a tenant's message) leave for Rasa's servers.
        "RASA_TELEMETRY_ENABLED": "false",
        **profile.secrets_environment(),
    }
    # The servers run with the process settings the bench measures (`make bench`); an operator's own values win.
    server_env = {**shared_env, **server_environment(os.environ)}
    services: list[Service] = []
    for index, port in enumerate(profile.action_ports, start=1):
        services.append(
            Service(
                name=f"actions-{index}",
                command=[python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
                ready_url=f"http://{profile.upstream_host}:{port}/health",
                env=server_env,
                log=log(f"actions-{index}"),
                with_previous=index > 1,
            )
        )
    for index, port in enumerate(profile.rasa_ports, start=1):
        services.append(
            Service(
                name=f"rasa-{index}",
                command=[
                    python,
                    "-m",
                    "rasa",
                    "run",
                    "--enable-api",
                    "--model",
                    str(model),
                    "--interface",
                    profile.upstream_host,
                    "--port",
                    str(port),
                    "--endpoints",
                    str(files.endpoints),
                    "--credentials",
                    str(credentials or root / "credentials.yml"),
                    "--auth-token",
                    rasa_token,
                ],  # fmt: skip
                ready_url=f"http://{profile.upstream_host}:{port}/",
                env={**server_env, REPLICA_ENV: f"rasa-{index}"},
                log=log(f"rasa-{index}"),
                with_previous=True,
            )
        )
    services.append(
        Service(
            name="nginx",
            command=nginx.command(files.nginx_conf, files.nginx_conf.parent, nginx_binary),
            ready_url=f"{profile.public_url}/",
            log=log("nginx"),
        )
    )
    services.append(
        Service(
            name="console",
            command=[python, "-m", "bot.console", "--port", str(profile.console_port)],
            ready_url=f"http://{profile.upstream_host}:{profile.console_port}/healthz",
            env={**shared_env, "TENANTLINE_RASA_URL": profile.public_url},
            log=log("console"),
        )
    )
    return services


def service_named(services: list[Service], name: str) -> Service:
    """Return the service called `name`.

    Raises:
        KeyError: If there is none.
    """
    for service in services:
        if service.name == name:
            return service
    raise KeyError(f"no service called {name!r}; there are {', '.join(s.name for s in services)}")


def run_production(settings: Settings, *, root: Path, console_port: int, echo: Callable[[str], None] = print) -> int:
    """Run the production stack in the foreground until Ctrl-C or a process exits (`tenantline run`).

    Checks the settings first and starts nothing when they are wrong; then upgrades the housing database, makes
    sure the model exists (training it if needed) and supervises every process.

    Args:
        settings: The settings (TENANTLINE_PROFILE=production and the URLs it needs).
        root: The project root.
        console_port: Port of the staff console.
        echo: Where the error and the addresses are printed.

    Returns:
        The exit code for the command line: 1 with a message naming the problem when the settings are wrong.
    """
    from bot.housing.migrate import upgrade
    from bot.model_ops.registry import serving_model
    from bot.training import ensure_model

    try:
        profile = ProductionProfile.from_settings(settings, console_port=console_port)
        nginx.find_nginx()
    except (ProfileError, nginx.NginxMissing) as error:
        echo(f"error: {error}")
        return 1
    upgrade(profile.database_url)
    try:
        model = serving_model(root) or ensure_model(root)  # the model a trainer activated, else the current one
    except RuntimeError as error:
        echo(f"error: {error}")
        return 1
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else secrets.token_urlsafe(32)
    services = production_services(
        profile, model=model, root=root, run_dir=root / "var" / "production", rasa_token=token
    )
    banner = [
        f"webhooks and Rasa's API through nginx: {profile.public_url}/webhooks/<channel>/webhook",
        f"Rasa replicas on {', '.join(profile.rasa_servers())}; action servers on "
        f"{', '.join(profile.action_servers())} behind nginx on {profile.actions_port}",
        f"staff console: http://{profile.upstream_host}:{profile.console_port}/",
    ]
    return supervise(services, root, banner=banner)
