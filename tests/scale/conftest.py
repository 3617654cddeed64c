"""The production profile, started once per test session for the scale tests (fault and load).

What runs, all on 127.0.0.1 and free ports: a private PostgreSQL server (housing database and tracker store),
the Redis named by TENANTLINE_TEST_REDIS_URL with a key prefix of this run, a fake Twilio, a fake Telegram Bot API
(the replicas run the Telegram channel against it, with a webhook secret of this run), and the processes of
`bot.scale.stack.production_services`: two action servers, two Rasa replicas serving the one trained model,
nginx in the foreground with a generated configuration, and the staff console.

The tests record their figures (tests/scale/figures.py); `pytest_terminal_summary` (tests/conftest.py, which the
pytest-xdist controller loads too) prints them at the end of the run as "production-profile figures", so CI's log
shows them even with `pytest -q`.

Tests using `scale_stack` skip, saying why, when TENANTLINE_TEST_POSTGRES_URL or TENANTLINE_TEST_REDIS_URL is unset
(a laptop without the services; CI sets both), when nginx is not installed, or when the model is not trained.
The PostgreSQL variable is the switch that says "this machine runs PostgreSQL tests"; the stack uses its own
server so that a test may restart it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.housing.db import create_engine_for, make_session_factory
from bot.housing.migrate import upgrade
from bot.housing.seed import seed_demo
from bot.runner import start_groups, wait_ready
from bot.scale import nginx
from bot.scale.profile import ProductionProfile
from bot.scale.stack import production_services
from bot.training import model_path
from tests.scale.chaos_telegram import ChaosTelegram
from tests.scale.postgres import PostgresUnavailable, PrivatePostgres
from tests.scale.stack import READY_TIMEOUT_S, ScaleStack, scale_environment
from tests.support.fake_twilio import ThreadedFakeTwilio

PROJECT_ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ENV = "TENANTLINE_TEST_POSTGRES_URL"
REDIS_ENV = "TENANTLINE_TEST_REDIS_URL"


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            sockets.append(probe)
        return [int(probe.getsockname()[1]) for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def _require_services() -> str:
    """Skip unless PostgreSQL tests are switched on, Redis is named and reachable, nginx and the model exist."""
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"the scale tests need {POSTGRES_ENV} (and a PostgreSQL installation to make a private server)")
    redis_url = os.environ.get(REDIS_ENV)
    if not redis_url:
        pytest.skip(f"the scale tests need {REDIS_ENV}, e.g. redis://127.0.0.1:6379/0")
    try:
        nginx.find_nginx()
    except nginx.NginxMissing as missing:
        pytest.skip(str(missing))
    model = model_path()
    if not model.exists():
        pytest.skip(f"no trained model at {model.relative_to(PROJECT_ROOT)}: run `make train` first")
    return redis_url


def _seeded_database(postgres: PrivatePostgres) -> str:
    url = postgres.create_database("housing")
    upgrade(url)
    engine = create_engine_for(url)
    try:
        seed_demo(make_session_factory(engine))
    finally:
        engine.dispose()
    return url


def _delete_redis_keys(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="session")
def scale_stack() -> Iterator[ScaleStack]:
    """Start the production profile once for the session; stop it and remove its data afterwards."""
    redis_url = _require_services()
    try:
        postgres = PrivatePostgres().start()
    except (PostgresUnavailable, subprocess.SubprocessError, OSError) as error:
        pytest.fail(f"could not start a private PostgreSQL server for the scale tests: {error}")
    workdir = Path(tempfile.mkdtemp(prefix="tl-scale-"))
    twilio_thread = ThreadedFakeTwilio()
    twilio = twilio_thread.start()
    telegram = ChaosTelegram().start()
    telegram_secret = secrets.token_hex(16)
    rasa_ports, action_ports, (public, actions, console) = _free_ports(2), _free_ports(2), _free_ports(3)
    profile = ProductionProfile(
        database_url=_seeded_database(postgres),
        tracker_store_url=postgres.create_database("tracker"),
        redis_url=redis_url,
        rasa_ports=tuple(rasa_ports),
        action_ports=tuple(action_ports),
        public_port=public,
        actions_port=actions,
        console_port=console,
        lock_key_prefix=f"tltest{secrets.token_hex(6)}",
    )
    token = secrets.token_urlsafe(24)
    services = production_services(
        profile, model=model_path(), root=PROJECT_ROOT, run_dir=workdir / "run", rasa_token=token, log_dir=workdir
    )
    env = scale_environment(
        dict(os.environ), profile, twilio, token=token, telegram=telegram, telegram_secret=telegram_secret
    )
    engine = create_engine_for(profile.database_url)
    stack = ScaleStack(
        profile=profile,
        services=services,
        root=PROJECT_ROOT,
        env=env,
        postgres=postgres,
        twilio=twilio,
        housing=make_session_factory(engine),
        rasa_token=token,
        logs=workdir,
        telegram=telegram,
        telegram_secret=telegram_secret,
    )
    try:
        for group in start_groups(services):
            for service in group:
                service.start(PROJECT_ROOT, env)
            problem = wait_ready(group, timeout=READY_TIMEOUT_S)
            if problem is not None:
                tails = "\n".join(f"--- {s.name}\n{stack.log_tail(s.name)}" for s in group)
                pytest.fail(f"the production stack did not start: {problem}\n{tails}")
        yield stack
    finally:
        stack.stop()
        engine.dispose()
        twilio_thread.stop()
        telegram.stop()
        postgres.remove()
        _delete_redis_keys(redis_url, profile.lock_key_prefix)
        if os.environ.get("TENANTLINE_KEEP_SCALE_LOGS"):
            print(f"scale stack logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
