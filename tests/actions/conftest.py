"""Fixtures for action tests: a seeded demo housing database per test, trackers and the real domain."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.common import use_session_factory
from bot.housing.db import create_engine_for, make_session_factory
from bot.housing.migrate import upgrade
from bot.housing.seed import DEMO_TENANT, seed_demo

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate and seed the demo landlord once per test run; tests get copies."""
    path = tmp_path_factory.mktemp("housing-template") / "housing.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = create_engine_for(url)
    try:
        seed_demo(make_session_factory(engine))
    finally:
        engine.dispose()
    return path


@pytest.fixture
def housing(seeded_template: Path, tmp_path: Path) -> Iterator[Callable[[], Session]]:
    """Point the actions at a private copy of the seeded demo database; yield its session factory."""
    path = tmp_path / "housing.db"
    shutil.copyfile(seeded_template, path)
    engine = create_engine_for(f"sqlite:///{path}")
    factory = make_session_factory(engine)
    use_session_factory(factory)
    yield factory
    use_session_factory(None)
    engine.dispose()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The assistant's real domain, as the action server receives it."""
    return Domain.load(str(PROJECT_ROOT / "domain")).as_dict()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """A dispatcher that collects what an action sends."""
    return CollectingDispatcher()


@pytest.fixture
def demo_tenant() -> Any:
    """The documented demo tenant (known number, tenancy, postcode, date of birth)."""
    return DEMO_TENANT
