"""Several replicas sharing one journal: a dead replica's message is finished elsewhere, in order, exactly once;
and a message that arrives while the action server is down is kept and handled once it is back."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest_asyncio
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.orm import Session

from bot.housing.seed import DEMO_TENANT
from channels import outbox
from channels.twilio_sms import TwilioSmsInput
from tests.channels.conftest import ChannelServer, FakeAgent, twilio_config
from tests.support.fake_twilio import SMS_NUMBER, FakeTwilio, sms_form

WEBHOOK = "/webhooks/twilio_sms/webhook"
TENANT = DEMO_TENANT.phone
LEASE = 2.0


def _channel(housing: Callable[[], Session], fake_twilio: FakeTwilio, tmp_path: Path, replica: str) -> TwilioSmsInput:
    channel = TwilioSmsInput(
        twilio_config(fake_twilio, SMS_NUMBER),
        session_factory=housing,
        media_dir=tmp_path / "media",
        replica=replica,
    )
    channel.pipeline.inbox.lease_seconds = LEASE
    channel.pipeline.sweep_interval = 0.3
    channel.pipeline.sweep_grace = 0.5
    return channel


class Replicas:
    """Two SMS replicas on one housing database and one tracker store (as Rasa replicas share them)."""

    def __init__(self, housing: Callable[[], Session], fake_twilio: FakeTwilio, tmp_path: Path) -> None:
        self.agent_a, self.agent_b = FakeAgent(), FakeAgent()
        self.agent_b.tracker_store = self.agent_a.tracker_store
        self.a = ChannelServer([_channel(housing, fake_twilio, tmp_path, "replica-a")], self.agent_a)
        self.b = ChannelServer([_channel(housing, fake_twilio, tmp_path, "replica-b")], self.agent_b)

    async def kill_a(self) -> None:
        """Stop replica A as SIGKILL would: its work stops and it gives nothing back."""
        pipeline = self.a.channels[0].pipeline  # type: ignore[attr-defined]
        pipeline.inbox.give_back_now = lambda claim: None
        pipeline.shutdown_grace = 0.0
        await pipeline.shutdown()


@pytest_asyncio.fixture
async def replicas(housing: Callable[[], Session], fake_twilio: FakeTwilio, tmp_path: Path) -> AsyncIterator[Replicas]:
    pair = Replicas(housing, fake_twilio, tmp_path)
    await pair.a.start()
    await pair.b.start()
    try:
        yield pair
    finally:
        await pair.a.stop()
        await pair.b.stop()
        outbox.unregister_sender("sms")


async def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_killed_replicas_message_and_the_next_one_are_finished_by_the_other_in_order_once(
    replicas: Replicas, fake_twilio: FakeTwilio
) -> None:
    replicas.agent_a.delay = 60.0  # replica A dies while the assistant is still on the message
    await replicas.a.post(WEBHOOK, sms_form(TENANT, "my boiler is broken"))
    await _wait_until(lambda: replicas.agent_a.texts() == ["my boiler is broken"])
    await replicas.kill_a()
    killed_at = time.monotonic()

    await replicas.b.post(WEBHOOK, sms_form(TENANT, "no hot water either"))
    replies = await fake_twilio.wait_for_messages(2, to=TENANT, timeout=15)
    recovered_after = time.monotonic() - killed_at

    assert replies == ["You said: my boiler is broken", "You said: no hot water either"]
    assert replicas.agent_b.texts() == ["my boiler is broken", "no hot water either"]
    assert LEASE - 0.5 < recovered_after < LEASE + 8
    await asyncio.sleep(0.5)
    assert fake_twilio.bodies(to=TENANT) == replies  # nothing twice
    assert replicas.b.channels[0].pipeline.inbox.pending() == []  # type: ignore[attr-defined]


async def test_killed_replicas_last_message_is_swept_up_by_the_other_replica(
    replicas: Replicas, fake_twilio: FakeTwilio
) -> None:
    replicas.agent_a.delay = 60.0
    await replicas.a.post(WEBHOOK, sms_form(TENANT, "the lift is stuck"))
    await _wait_until(lambda: replicas.agent_a.texts() == ["the lift is stuck"])
    await replicas.kill_a()

    assert await fake_twilio.wait_for_messages(1, to=TENANT, timeout=15) == ["You said: the lift is stuck"]
    assert replicas.agent_b.texts() == ["the lift is stuck"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _serve_health(port: int) -> web.AppRunner:
    app = web.Application()
    app.router.add_get("/health", lambda _request: web.json_response({"status": "ok"}))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def test_action_server_down_tenant_is_told_once_and_messages_complete_in_order_when_it_is_back(
    housing: Callable[[], Session], fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    port = _free_port()  # the action server: nothing listens here yet
    agent = FakeAgent()
    agent.action_endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")  # type: ignore[attr-defined]
    channel = _channel(housing, fake_twilio, tmp_path, "replica-a")
    channel.pipeline.retry_after = 0.5
    server = ChannelServer([channel], agent)
    await server.start()
    health: web.AppRunner | None = None
    try:
        await server.post(WEBHOOK, sms_form(TENANT, "my boiler is broken"))
        [notice] = await fake_twilio.wait_for_messages(1, to=TENANT)
        await server.post(WEBHOOK, sms_form(TENANT, "and the kitchen tap"))
        await asyncio.sleep(1.5)  # several retries while the action server is still down

        assert notice.startswith("Sorry, we're having trouble")
        assert agent.messages == []
        assert [entry["text"] for _, entry in channel.pipeline.inbox.pending()] == [
            "my boiler is broken",
            "and the kitchen tap",
        ]

        health = await _serve_health(port)
        replies = await fake_twilio.wait_for_messages(3, to=TENANT, timeout=15)
    finally:
        if health is not None:
            await health.cleanup()
        await server.stop()
        outbox.unregister_sender("sms")

    assert replies == [notice, "You said: my boiler is broken", "You said: and the kitchen tap"]
    assert agent.texts() == ["my boiler is broken", "and the kitchen tap"]
    assert channel.pipeline.inbox.pending() == []
