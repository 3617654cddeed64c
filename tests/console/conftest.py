"""Fixtures for the console tests: a seeded housing database, a fake Rasa, the console served live, sign-ins."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sanic import Sanic
from sqlalchemy.orm import Session

from bot.console.app import create_app
from bot.console.config import ConsoleConfig
from bot.housing import handoffs, identities, staff
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.migrate import upgrade
from bot.housing.seed import DEMO_LOGINS, DEMO_TENANT, seed_demo
from tests.console.support import RASA_TOKEN, FakeRasa, LiveServer, sign_in
from tests.support.browser import Watch, chromium_browser

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

PASSWORDS = {login.username: login.password for login in DEMO_LOGINS}
PASSWORDS["admin"] = "tenantline-admin-test"
PASSWORDS["dave"] = "tenantline-dave-agent"
ROLE_USERS = {"agent": "agent", "supervisor": "supervisor", "trainer": "trainer", "admin": "admin"}

DEMO_SENDER = f"sms:{DEMO_TENANT.phone}"

_app_names = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    # Each test serves its own app; outside test mode Sanic 21.12 rewrites its HTTP class for the first app and
    # fails to start a second one in the same process.
    Sanic.test_mode = True


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash with tiny argon2 parameters (still argon2id) so sign-ins in tests are fast."""
    monkeypatch.setattr(staff, "_hasher", lambda: CHEAP_HASHER)


@pytest.fixture(scope="session")
def console_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate and seed the demo landlord once, plus an admin and a second agent; tests get copies."""
    path = tmp_path_factory.mktemp("console-template") / "housing.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = create_engine_for(url)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(staff, "_hasher", lambda: CHEAP_HASHER)
            factory = make_session_factory(engine)
            seed_demo(factory)
            with session_scope(factory) as session:
                staff.create(
                    session=session,
                    username="admin",
                    display_name="Ada Admin",
                    role="admin",
                    password=PASSWORDS["admin"],
                )
                staff.create(
                    session=session,
                    username="dave",
                    display_name="Dave Second",
                    role="agent",
                    password=PASSWORDS["dave"],
                )
    finally:
        engine.dispose()
    return path


@pytest.fixture
def housing(console_template: Path, tmp_path: Path) -> Iterator[Callable[[], Session]]:
    """Yield a session factory on a private copy of the seeded database."""
    path = tmp_path / "housing.db"
    shutil.copyfile(console_template, path)
    engine = create_engine_for(f"sqlite:///{path}")
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    server = FakeRasa().start()
    yield server
    server.stop()


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "media"
    directory.mkdir()
    return directory


@pytest.fixture
def training_data_dir(tmp_path: Path) -> Path:
    """Return a private copy of the NLU training data: console tests never edit the project's data/."""
    target = tmp_path / "training-data"
    shutil.copytree(PROJECT_ROOT / "data" / "nlu", target / "nlu")
    return target


@pytest.fixture
def console_config(fake_rasa: FakeRasa, media_dir: Path, training_data_dir: Path) -> ConsoleConfig:
    return ConsoleConfig(
        database_url="sqlite://",  # unused: the tests hand the app their session factory
        rasa_url=fake_rasa.url,
        rasa_token=RASA_TOKEN,
        media_dir=media_dir,
        landlord_name="Riverside Vale Homes",
        poll_seconds=1.0,
        whatsapp_template="HX0000000000000000000000000000000a",
        training_data_dir=training_data_dir,
        domain_dir=PROJECT_ROOT / "domain",
    )


@pytest.fixture
def console_app(console_config: ConsoleConfig, housing: Callable[[], Session]) -> Sanic:
    return create_app(console_config, session_factory=housing, name=f"console_test_{next(_app_names)}")


@pytest.fixture
def live_console(console_app: Sanic) -> Iterator[LiveServer]:
    server = LiveServer(console_app).start()
    yield server
    server.stop()


@pytest.fixture
def client_as(live_console: LiveServer) -> Iterator[Callable[[str], httpx.Client]]:
    """Return a function signing in as a username (agent, supervisor, trainer, admin, dave)."""
    clients: list[httpx.Client] = []

    def make(username: str) -> httpx.Client:
        client = sign_in(live_console.url, username, PASSWORDS[username])
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def anonymous(live_console: LiveServer) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=live_console.url, follow_redirects=False, timeout=20)
    yield client
    client.close()


@pytest.fixture
def make_handoff(housing: Callable[[], Session]) -> Callable[..., str]:
    """Return a function queueing a conversation for a person; it returns the HND reference."""

    def make(
        sender_id: str = DEMO_SENDER,
        *,
        channel: str = "sms",
        reason: str = "request_human",
        summary: str | None = "The tenant asked for a person.",
        tenancy_reference: str | None = None,
        last_inbound: datetime | None = None,
    ) -> str:
        with session_scope(housing) as session:
            address = sender_id.partition(":")[2]
            identities.record_inbound(session=session, channel=channel, address=address, now=last_inbound)
            handoff = handoffs.create(
                session=session,
                sender_id=sender_id,
                channel=channel,
                reason=reason,
                summary=summary,
                tenancy_reference=tenancy_reference,
            )
            return str(handoff.reference)

    return make


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, launched once per test module (browser tests only)."""
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def page(request: pytest.FixtureRequest, chromium: Any, live_console: LiveServer) -> Iterator[Any]:
    """A fresh laptop-sized browser tab on the live console, watched for dialogs and script errors.

    A test module can set PAGE_TIMEOUT_MS for pages that wait on slow work (training, evaluation).
    """
    context = chromium.new_context(base_url=live_console.url, viewport={"width": 1366, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(getattr(request.module, "PAGE_TIMEOUT_MS", 10_000))
    opened.watch = Watch(opened)
    yield opened
    context.close()
