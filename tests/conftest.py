"""Database fixtures any test folder can use: a migrated housing database on each backend.

Every test that asks for `database_url`, `engine` or `session_factory` runs twice: on SQLite in a temporary
directory, and on PostgreSQL when TENANTLINE_TEST_POSTGRES_URL names a server (each test module gets its own
schema, dropped afterwards). The PostgreSQL runs carry the `postgres` marker and skip, saying why, when the
variable is unset. The schema is migrated once per module and emptied before each test, so every test starts
from a freshly migrated, empty database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from bot.housing.db import create_engine_for, make_session_factory
from bot.housing.migrate import upgrade
from bot.housing.models import metadata
from tests.scale import figures

POSTGRES_ENV = "TENANTLINE_TEST_POSTGRES_URL"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}, e.g. postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    return url


def _with_search_path(base_url: str, schema: str) -> str:
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


class _PostgresSchema:
    """A throwaway schema on the test server, reached through `url` (its search path)."""

    def __init__(self, base_url: str) -> None:
        self.name = f"tl_test_{uuid.uuid4().hex[:12]}"
        self.admin = sa.create_engine(base_url, future=True)
        with self.admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{self.name}"'))
        self.url = _with_search_path(base_url, self.name)

    def drop(self) -> None:
        with self.admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self.admin.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Name the database backend under test: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a database with no tables at all (for testing migrations themselves)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    schema = _PostgresSchema(_postgres_base_url())
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture(scope="module")
def migrated_database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Yield the URL of a database migrated to head, shared by the tests of one module."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('housing') / 'housing.db'}"
        upgrade(url)
        yield url
        return
    schema = _PostgresSchema(_postgres_base_url())
    try:
        upgrade(schema.url)
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture(scope="module")
def _module_engine(migrated_database_url: str) -> Iterator[Engine]:
    """Yield one engine per module database, so tests do not pay for new connections each time."""
    created = create_engine_for(migrated_database_url)
    try:
        yield created
    finally:
        created.dispose()


def _empty_all_tables(engine: Engine) -> None:
    tables = [table.name for table in reversed(metadata.sorted_tables)]
    # DELETE rather than TRUNCATE: on tables this small it is much faster. Ids restart at 1 as in a fresh
    # database (SQLite reuses the rowids of an empty table by itself; PostgreSQL sequences are reset).
    statements = [f"DELETE FROM {name}" for name in tables]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            statements += [
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)"
                for table in metadata.sorted_tables
                if "id" in table.columns and table.columns["id"].autoincrement in (True, "auto")
            ]
            # One round trip: psycopg2 runs several statements in one execute.
            connection.exec_driver_sql("; ".join(statements))
        else:
            for statement in statements:
                connection.exec_driver_sql(statement)


@pytest.fixture
def database_url(migrated_database_url: str, _module_engine: Engine) -> str:
    """Return the URL of a migrated database with every table empty."""
    _empty_all_tables(_module_engine)
    return migrated_database_url


@pytest.fixture
def engine(database_url: str, _module_engine: Engine) -> Engine:
    """Return an engine on the fresh database (shared by the tests of a module; do not dispose it)."""
    return _module_engine


@pytest.fixture
def session_factory(engine: Engine) -> Callable[[], Session]:
    """Return a session factory on the fresh database."""
    return make_session_factory(engine)


PRODUCTION_PROFILE_GROUP = "production-profile"
"""The pytest-xdist group of every test that uses the production profile (`scale_stack`): one stack, one worker."""


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the model tests' shared servers to one worker each when `make conversation-tests` runs two workers.

    With `--dist loadgroup` a test with an `xdist_group` mark runs on the worker its group went to. Each module of
    model tests becomes a group, so a module's servers (module- and session-scoped fixtures) start once; the tests
    on the production profile form one group, so its stack starts once. Groups start in the order of their first
    test, longest first, so neither worker is left with a long group at the end: the production profile (the
    longest) is collected first, then the tests declaring the longest timeouts (the trainings), then the rest.
    """
    for item in items:
        if item.get_closest_marker("model") is None:
            continue
        if "scale_stack" in getattr(item, "fixturenames", ()):
            group = PRODUCTION_PROFILE_GROUP
        else:
            group = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: (_group_of(item) != PRODUCTION_PROFILE_GROUP, -_declared_timeout(item)))
    # The other tests have no group (and no declared timeout that counts), so they keep their order.


def _declared_timeout(item: pytest.Item) -> float:
    """Return the timeout a model test declares (the trainings declare the longest), or 0 for the others."""
    marker = item.get_closest_marker("timeout") if item.get_closest_marker("model") is not None else None
    try:
        return float(marker.args[0]) if marker is not None and marker.args else 0.0
    except (TypeError, ValueError):
        return 0.0


def _group_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("xdist_group")
    return str(marker.args[0]) if marker is not None and marker.args else None


_SESSION_STARTED = datetime.now(timezone.utc)
"""When this pytest process started: under pytest-xdist the workers record the figures, the controller prints them."""


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the figures the production-profile tests of this run recorded (tests/scale/figures.py), if any ran."""
    lines = figures.summary_lines(figures.recorded_here() or figures.recorded_since(_SESSION_STARTED))
    if not lines:
        return
    terminalreporter.write_sep("=", "production-profile figures")
    for line in lines:
        terminalreporter.write_line(line)
