"""The production profile: checked settings, rendered endpoints and nginx configuration, start order."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from bot.runner import Service, start_groups
from bot.scale import nginx
from bot.scale.profile import (
    ATOMIC_LOCK_STORE,
    TRACKER_PASSWORD_ENV,
    TRACKER_STORE,
    ProductionProfile,
    ProfileError,
)
from bot.scale.stack import production_services, run_production, write_run_files
from bot.settings import SERVER_ENVIRONMENT, Settings

PG = "postgresql+psycopg2://tenantline:s3cret@db.internal:5432/housing"
TRACKER = "postgresql+psycopg2://rasa:tr4cker@db.internal:5433/tracker"
REDIS = "redis://:r3dis@cache.internal:6380/2"


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": PG,
        "tracker_store_url": TRACKER,
        "redis_url": REDIS,
        "replicas": 2,
        "public_port": 8080,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def test_profile_from_settings_gives_each_replica_its_own_port() -> None:
    profile = ProductionProfile.from_settings(settings(replicas=3))

    assert profile.rasa_ports == (5005, 5006, 5007)
    assert profile.action_ports == (5055, 5056, 5057)
    assert profile.action_endpoint_url == "http://127.0.0.1:5054/webhook"


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("redis_url", None, "TENANTLINE_REDIS_URL"),
        ("redis_url", "http://cache:6379/0", "TENANTLINE_REDIS_URL"),
        ("redis_url", "redis://cache:port/0", "TENANTLINE_REDIS_URL"),
        ("redis_url", "redis://cache:6379/first", "TENANTLINE_REDIS_URL"),
        ("database_url", "sqlite:///var/housing.db", "TENANTLINE_DATABASE_URL"),
        ("database_url", "::not a url::", "TENANTLINE_DATABASE_URL"),
        ("tracker_store_url", "postgresql+psycopg2://rasa@db:5432", "TENANTLINE_TRACKER_STORE_URL"),
        ("tracker_store_url", "mysql://rasa@db/tracker", "TENANTLINE_TRACKER_STORE_URL"),
    ],
)
def test_profile_from_settings_rejects_a_bad_url_naming_the_setting(field: str, value: object, named: str) -> None:
    with pytest.raises(ProfileError, match=named):
        ProductionProfile.from_settings(settings(**{field: value}))


def test_profile_rejects_two_parts_on_one_port() -> None:
    with pytest.raises(ProfileError, match="5055 is used twice"):
        ProductionProfile.from_settings(settings(public_port=5055))


def test_replicas_setting_refuses_zero() -> None:
    with pytest.raises(ValueError, match="replicas"):
        settings(replicas=0)


def test_endpoints_keep_passwords_out_of_the_rendered_file() -> None:
    profile = ProductionProfile.from_settings(settings())

    endpoints = profile.endpoints()
    rendered = yaml.safe_dump(endpoints)

    assert "s3cret" not in rendered and "tr4cker" not in rendered and "r3dis" not in rendered
    assert endpoints["tracker_store"] == {
        "type": TRACKER_STORE,
        "dialect": "postgresql",
        "url": "db.internal",
        "port": 5433,
        "db": "tracker",
        "username": "rasa",
        "password": "${" + TRACKER_PASSWORD_ENV + "}",
    }
    assert profile.secrets_environment() == {
        TRACKER_PASSWORD_ENV: "tr4cker",
        "TENANTLINE_REDIS_PASSWORD": "r3dis",
    }


def test_endpoints_use_the_atomic_lock_store_with_the_redis_of_the_settings() -> None:
    lock = ProductionProfile.from_settings(settings()).endpoints()["lock_store"]

    assert lock["type"] == ATOMIC_LOCK_STORE
    assert (lock["url"], lock["port"], lock["db"], lock["key_prefix"]) == ("cache.internal", 6380, 2, "tenantline")


def test_endpoints_pass_a_search_path_on_to_the_tracker_store() -> None:
    url = "postgresql+psycopg2://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dtl_x"
    tracker = ProductionProfile.from_settings(settings(tracker_store_url=url)).endpoints()["tracker_store"]

    assert tracker["query"] == {"options": "-csearch_path=tl_x"}


def test_nginx_config_names_every_replica_and_never_retries_a_sent_post(tmp_path: Path) -> None:
    profile = ProductionProfile.from_settings(settings(replicas=3))

    text = nginx.render(profile, tmp_path)

    for port in (*profile.rasa_ports, *profile.action_ports):
        assert f"server 127.0.0.1:{port} " in text
    assert "proxy_next_upstream error timeout;" in text
    assert "non_idempotent" not in text.replace('without "non_idempotent"', "")
    assert f"listen 127.0.0.1:{profile.public_port};" in text
    assert f"listen 127.0.0.1:{profile.actions_port};" in text


def test_nginx_accepts_the_rendered_config(tmp_path: Path) -> None:
    try:
        binary = nginx.find_nginx()
    except nginx.NginxMissing as missing:
        pytest.skip(str(missing))
    profile = ProductionProfile.from_settings(settings())
    files = write_run_files(profile, tmp_path)

    result = subprocess.run(
        nginx.check_command(files.nginx_conf, files.nginx_conf.parent, binary), capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr


def test_production_services_start_actions_and_replicas_together_then_nginx_then_console(tmp_path: Path) -> None:
    try:
        nginx.find_nginx()
    except nginx.NginxMissing as missing:
        pytest.skip(str(missing))
    profile = ProductionProfile.from_settings(settings())

    services = production_services(
        profile, model=tmp_path / "model.tar.gz", root=tmp_path, run_dir=tmp_path / "run", rasa_token="t0ken"
    )

    groups = [[service.name for service in group] for group in start_groups(services)]
    assert groups == [["actions-1", "actions-2", "rasa-1", "rasa-2"], ["nginx"], ["console"]]
    rasa = services[2]
    assert rasa.env["TENANTLINE_REPLICA_ID"] == "rasa-1"
    assert rasa.command[rasa.command.index("--endpoints") + 1] == str(tmp_path / "run" / "endpoints.yml")
    assert services[-1].env["TENANTLINE_RASA_URL"] == profile.public_url
    # The replicas and action servers run with the process settings `make bench` measures.
    for service in services[:4]:
        assert SERVER_ENVIRONMENT.items() <= service.env.items(), service.name


def test_start_groups_keeps_services_without_with_previous_apart() -> None:
    services = [
        Service("a", ["true"], "http://x"),
        Service("b", ["true"], "http://x", with_previous=True),
        Service("c", ["true"], "http://x"),
    ]

    assert [[s.name for s in group] for group in start_groups(services)] == [["a", "b"], ["c"]]


def test_run_production_with_sqlite_settings_starts_nothing_and_names_the_setting(tmp_path: Path) -> None:
    printed: list[str] = []

    code = run_production(
        settings(database_url=f"sqlite:///{tmp_path / 'housing.db'}"),
        root=tmp_path,
        console_port=8000,
        echo=printed.append,
    )

    assert code == 1
    assert printed == ["error: TENANTLINE_DATABASE_URL must name a PostgreSQL database in production, not sqlite"]
    assert not (tmp_path / "housing.db").exists() and not (tmp_path / "var").exists()


def test_run_production_without_redis_names_the_missing_setting(tmp_path: Path) -> None:
    printed: list[str] = []

    code = run_production(settings(redis_url=None), root=tmp_path, console_port=8000, echo=printed.append)

    assert code == 1
    assert "TENANTLINE_REDIS_URL" in printed[0]
