"""The process settings TenantLine's servers run with, the same under `tenantline run`, production and the bench."""

from __future__ import annotations

from pathlib import Path

from bot.runner import rasa_services
from bot.settings import SERVER_ENVIRONMENT, server_environment


def test_server_environment_caps_glibcs_malloc_arenas():
    assert server_environment({})["MALLOC_ARENA_MAX"] == "2"


def test_server_environment_keeps_a_value_the_operator_already_set():
    found = server_environment({"MALLOC_ARENA_MAX": "8", "PATH": "/usr/bin"})
    assert found["MALLOC_ARENA_MAX"] == "8"
    assert "PATH" not in found  # only its own settings, never a copy of the whole environment


def test_tenantline_run_gives_both_servers_the_settings_and_the_console_none(tmp_path: Path):
    services = {s.name: s for s in rasa_services(tmp_path, tmp_path / "model.tar.gz")}
    for name in ("action server", "rasa server"):
        assert SERVER_ENVIRONMENT.items() <= services[name].env.items(), name
    assert "MALLOC_ARENA_MAX" not in services["staff console"].env
