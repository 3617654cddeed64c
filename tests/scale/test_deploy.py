"""The deployment files (deploy/) agree with the production profile the scale tests run.

They cannot be built here (no container engine), so these tests read them: the rendered endpoints and nginx
configuration are byte for byte what the profile renders, and the compose file, the Dockerfile and the Helm
values use the same ports, the same environment variables and the same stores.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.console.config import ConsoleSettings
from bot.scale import compose
from bot.scale.profile import ATOMIC_LOCK_STORE, REDIS_PASSWORD_ENV, REPLICA_ENV, TRACKER_PASSWORD_ENV

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENV_NAME = re.compile(r"\b((?:TENANTLINE|TWILIO|TELEGRAM)_[A-Z0-9_]+)\b")


def known_variables() -> set[str]:
    names = {str(field.field_info.extra.get("env")) for field in ConsoleSettings.__fields__.values()}
    return names | {TRACKER_PASSWORD_ENV, REDIS_PASSWORD_ENV, REPLICA_ENV}


def load(name: str) -> Any:
    return yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["endpoints.yml", "nginx.conf"])
def test_deploy_file_is_what_the_profile_renders(name: str) -> None:
    expected = compose.rendered_files()[name]

    assert (DEPLOY / name).read_text(encoding="utf-8") == expected, (
        f"deploy/{name} is out of date: run `python -m bot.scale.compose`"
    )


def test_compose_runs_every_part_of_the_profile() -> None:
    services = load("compose.yml")["services"]

    replicas = [f"rasa-{i}" for i in range(1, compose.REPLICAS + 1)]
    actions = [f"actions-{i}" for i in range(1, compose.REPLICAS + 1)]
    assert set(services) >= {"postgres", "redis", "migrate", "nginx", "console", *replicas, *actions}
    profile = compose.compose_profile()
    assert profile.rasa_servers() == tuple(f"{name}:{compose.RASA_PORT}" for name in replicas)
    assert profile.action_servers() == tuple(f"{name}:{compose.ACTION_PORT}" for name in actions)


def test_compose_rasa_replicas_read_the_rendered_endpoints_on_the_profile_port() -> None:
    services = load("compose.yml")["services"]

    for index in range(1, compose.REPLICAS + 1):
        service = services[f"rasa-{index}"]
        command = " ".join(service["command"])
        assert "--endpoints deploy/endpoints.yml" in command
        assert f"--port {compose.RASA_PORT}" in command
        assert "--enable-api" in command and "--auth-token" in command
        assert service["environment"][REPLICA_ENV] == f"rasa-{index}"
    for index in range(1, compose.REPLICAS + 1):
        assert services[f"actions-{index}"]["command"][-1] == str(compose.ACTION_PORT)


def test_compose_nginx_runs_the_rendered_config_in_the_foreground_on_the_public_port() -> None:
    nginx = load("compose.yml")["services"]["nginx"]

    assert nginx["command"] == compose.nginx_command()
    assert nginx["ports"] == [f"{compose.compose_profile().public_port}:{compose.compose_profile().public_port}"]


def test_compose_reaches_the_stores_the_endpoints_name() -> None:
    environment = load("compose.yml")["services"]["rasa-1"]["environment"]
    endpoints = load("endpoints.yml")

    assert "@postgres:5432/tracker" in environment["TENANTLINE_TRACKER_STORE_URL"]
    assert (endpoints["tracker_store"]["url"], endpoints["tracker_store"]["db"]) == ("postgres", "tracker")
    assert environment["TENANTLINE_REDIS_URL"] == "redis://redis:6379/0"
    assert (endpoints["lock_store"]["url"], endpoints["lock_store"]["port"]) == ("redis", 6379)
    assert endpoints["lock_store"]["type"] == ATOMIC_LOCK_STORE
    assert environment["TENANTLINE_RASA_URL"] == compose.compose_profile().public_url


@pytest.mark.parametrize("name", ["compose.yml", "helm/values.yml", "Dockerfile", "kubernetes.md"])
def test_deploy_file_uses_only_variables_the_settings_read(name: str) -> None:
    used = set(ENV_NAME.findall((DEPLOY / name).read_text(encoding="utf-8")))

    assert used - known_variables() == set()


def test_helm_values_match_the_profile() -> None:
    values = load("helm/values.yml")
    endpoints = values["applicationSettings"]["endpoints"]
    lock = endpoints["additionalEndpoints"]["lock_store"]

    assert values["replicaCount"] >= compose.REPLICAS
    assert values["applicationSettings"]["port"] == compose.RASA_PORT == values["service"]["port"]
    assert endpoints["lockStore"]["enabled"] is False
    assert (lock["type"], lock["key_prefix"]) == (ATOMIC_LOCK_STORE, compose.compose_profile().lock_key_prefix)
    tracker = load("endpoints.yml")["tracker_store"]
    assert (endpoints["trackerStore"]["type"], endpoints["trackerStore"]["db"]) == (tracker["type"], tracker["db"])
    assert endpoints["action"]["endpointURL"].endswith(f":{compose.ACTION_PORT}/webhook")
    assert values["securityContext"]["runAsNonRoot"] is True


def test_dockerfile_builds_from_the_lock_file_as_a_non_root_user_and_exposes_the_profile_ports() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    profile = compose.compose_profile()

    assert re.findall(r"^FROM (\S+)", text, re.MULTILINE) == ["python:3.10-slim"]
    assert "uv pip sync --no-cache requirements.lock" in text
    assert re.search(r"^USER tenantline$", text, re.MULTILINE)
    assert "tenantline build-spacy" in text and "nginx-light" in text
    exposed = {int(port) for port in re.search(r"^EXPOSE (.+)$", text, re.MULTILINE).group(1).split()}  # type: ignore[union-attr]
    assert exposed == {
        compose.RASA_PORT,
        compose.ACTION_PORT,
        profile.console_port,
        profile.public_port,
        profile.actions_port,
    }
    assert str(compose.NGINX_RUN_DIR / "temp") in text


def test_dockerfile_gives_the_servers_the_process_settings_tenantline_run_gives_them() -> None:
    from bot.settings import SERVER_ENVIRONMENT

    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    image_env = dict(re.findall(r"^ENV (\w+)=(\S+)$", text, re.MULTILINE))
    assert SERVER_ENVIRONMENT.items() <= image_env.items()
