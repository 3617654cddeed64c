"""Render nginx's configuration for the production profile and build the command that runs it in the foreground.

The template (`nginx.conf.j2`, next to this module) explains which requests nginx retries on another replica.
nginx runs as a child process (`daemon off`), with its prefix, temporary files and logs in a folder of ours, so
it needs no system configuration and never touches /etc/nginx.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.scale.profile import ProductionProfile

TEMPLATE = "nginx.conf.j2"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


class NginxMissing(RuntimeError):
    """Raised when no nginx binary is installed (Debian: `apt-get install nginx-light` or `nginx`)."""


@dataclass(frozen=True)
class NginxTuning:
    """Time-outs and limits of the rendered configuration (defaults suit the production profile)."""

    connect_timeout: str = "2s"
    fail_timeout: str = "5s"
    rasa_read_timeout: str = "120s"
    actions_read_timeout: str = "60s"
    next_upstream_timeout: str = "10s"
    worker_processes: int = 1
    worker_connections: int = 2048


def render(
    profile: ProductionProfile,
    run_dir: Path,
    *,
    tuning: NginxTuning | None = None,
    pid_file: Path | None = None,
    user: str | None = None,
    stdio_logs: bool = False,
) -> str:
    """Return nginx.conf for `profile`, with logs and temporary files under `run_dir`.

    Args:
        profile: The production profile (ports of the replicas, action servers and nginx).
        run_dir: Folder for nginx's logs and temporary files.
        tuning: Time-outs and limits.
        pid_file: Where nginx writes its pid; None leaves it to the command line (`-g 'pid ...;'`).
        user: The `user` directive (only meaningful when nginx starts as root); None omits it.
        stdio_logs: Log to standard error and output (containers) instead of files in `run_dir`.
    """
    settings = tuning or NginxTuning()
    environment = Environment(
        loader=FileSystemLoader(str(Path(__file__).parent)),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # nginx syntax, not HTML
    )
    return environment.get_template(TEMPLATE).render(
        user=user,
        pid=str(pid_file) if pid_file else None,
        error_log="/dev/stderr" if stdio_logs else str(run_dir / "error.log"),
        access_log="/dev/stdout" if stdio_logs else str(run_dir / "access.log"),
        temp_dir=str(run_dir / "temp"),
        rasa_servers=profile.rasa_servers(),
        action_servers=profile.action_servers(),
        listen_host=profile.listen_host,
        public_port=profile.public_port,
        actions_port=profile.actions_port,
        next_upstream_tries=max(len(profile.rasa_ports), len(profile.action_ports)),
        **vars(settings),
    )


def find_nginx() -> Path:
    """Return the nginx binary.

    Raises:
        NginxMissing: If none is installed.
    """
    found = shutil.which("nginx")
    candidates = [found] if found else []
    candidates.extend(NGINX_CANDIDATES)
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise NginxMissing("nginx is not installed (Debian: apt-get install nginx-light); the production profile needs it")


def write_config(profile: ProductionProfile, run_dir: Path, *, tuning: NginxTuning | None = None) -> Path:
    """Render nginx.conf into `run_dir` (creating its temporary folders) and return its path.

    When this process is root, nginx's workers would switch to `nobody` and could not write our temporary
    folders; they run as root's own user instead, which is what a container's single user amounts to anyway.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "temp").mkdir(exist_ok=True)
    user = "root" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    path = run_dir / "nginx.conf"
    path.write_text(render(profile, run_dir, tuning=tuning, user=user), encoding="utf-8")
    return path


def command(config: Path, run_dir: Path, binary: Path | None = None) -> list[str]:
    """Return the command that runs nginx in the foreground with `config`, its prefix and pid in `run_dir`."""
    return [
        str(binary or find_nginx()),
        "-c",
        str(config),
        "-p",
        str(run_dir),
        "-e",
        str(run_dir / "error.log"),
        "-g",
        f"daemon off; pid {run_dir / 'nginx.pid'};",
    ]


def check_command(config: Path, run_dir: Path, binary: Path | None = None) -> list[str]:
    """Return the command that checks `config` (`nginx -t`) without starting anything."""
    return [*command(config, run_dir, binary), "-t", "-q"]
