"""The production profile as the container deployment runs it (deploy/compose.yml), and the files it reads.

deploy/endpoints.yml and deploy/nginx.conf are rendered from `compose_profile()` by the same code that renders
them for `tenantline run` and the scale tests, so the deployment and the tested stack cannot drift apart: the
tests compare the committed files with a fresh rendering. After changing the profile or the nginx template,
regenerate them with `python -m bot.scale.compose`.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.scale import nginx
from bot.scale.profile import ATOMIC_LOCK_STORE, ProductionProfile
from bot.settings import PROJECT_ROOT

DEPLOY_DIR = PROJECT_ROOT / "deploy"
CONTAINER_ROOT = Path("/app")
"""Where the image keeps the project (the Dockerfile's WORKDIR)."""
NGINX_RUN_DIR = Path("/var/lib/tenantline/nginx")
"""nginx's prefix in the image: writable by the image's non-root user."""
REPLICAS = 2
RASA_PORT = 5005
ACTION_PORT = 5055


def compose_profile() -> ProductionProfile:
    """Return the profile of deploy/compose.yml: one container per replica, reached by service name."""
    return ProductionProfile(
        # Passwords are placeholders here: the rendered files refer to ${...} variables compose passes on.
        database_url="postgresql+psycopg2://tenantline:password@postgres:5432/housing",
        tracker_store_url="postgresql+psycopg2://tenantline:password@postgres:5432/tracker",
        redis_url="redis://redis:6379/0",
        rasa_ports=(RASA_PORT,) * REPLICAS,
        action_ports=(ACTION_PORT,) * REPLICAS,
        rasa_hosts=tuple(f"rasa-{i}" for i in range(1, REPLICAS + 1)),
        action_hosts=tuple(f"actions-{i}" for i in range(1, REPLICAS + 1)),
        public_port=8080,
        actions_port=5054,
        console_port=8000,
        proxy_host="nginx",
        listen_host="0.0.0.0",  # inside the container network; compose publishes only nginx and the console
        upstream_host="console",
    )


def nginx_command() -> list[str]:
    """Return the nginx service's command in compose.yml (foreground, logs to the container's output)."""
    command = nginx.command(CONTAINER_ROOT / "deploy" / "nginx.conf", NGINX_RUN_DIR, Path("nginx"))
    command[command.index("-e") + 1] = "/dev/stderr"
    return command


def rendered_files() -> dict[str, str]:
    """Return deploy/endpoints.yml and deploy/nginx.conf as they must read, by file name."""
    profile = compose_profile()
    endpoints = (
        "# Rendered by `python -m bot.scale.compose` from bot/scale/compose.py; do not edit by hand.\n"
        "# Passwords are read from the environment compose passes to each Rasa replica.\n"
        + yaml.safe_dump(profile.endpoints(lock_store_type=ATOMIC_LOCK_STORE), sort_keys=False)
    )
    return {
        "endpoints.yml": endpoints,
        "nginx.conf": nginx.render(profile, NGINX_RUN_DIR, stdio_logs=True),
    }


def main() -> None:
    """Write the rendered files into deploy/."""
    for name, text in rendered_files().items():
        (DEPLOY_DIR / name).write_text(text, encoding="utf-8")
        print(f"wrote deploy/{name}")


if __name__ == "__main__":
    main()
