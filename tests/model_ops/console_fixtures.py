"""Fixtures for console tests of the Models pages: a private project root, a fake Rasa model API, a live model.

Import them into a test module under tests/console/ (which provides the console's own fixtures).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console.config import ConsoleConfig
from bot.model_ops.registry import Registry
from tests.console.support import RASA_TOKEN
from tests.model_ops.support import GOOD_PAIRS, FakeModelApi, add_model


@pytest.fixture
def model_api() -> Iterator[FakeModelApi]:
    server = FakeModelApi(RASA_TOKEN, model_file="live.tar.gz").start()
    yield server
    server.stop()


@pytest.fixture
def model_root(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for folder in ("data", "domain"):
        (root / folder).mkdir(parents=True)
    (root / "config.yml").write_text("recipe: default.v1\nlanguage: en\n", encoding="utf-8")
    return root


@pytest.fixture
def console_config(model_api: FakeModelApi, media_dir: Path, model_root: Path) -> ConsoleConfig:
    return ConsoleConfig(
        database_url="sqlite://",
        rasa_url=model_api.url,
        rasa_token=RASA_TOKEN,
        media_dir=media_dir,
        landlord_name="Riverside Vale Homes",
        poll_seconds=1.0,
        project_root=model_root,
        training_data_dir=model_root / "data",
    )


@pytest.fixture
def live(model_root: Path) -> str:
    add_model(model_root, "live", pairs=GOOD_PAIRS, created="2026-11-20T09:00:00+00:00")
    Registry(model_root).set_live("live", by="cli")
    return "live"
