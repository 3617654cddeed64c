"""An action server that dies while Rasa waits on its reply: the tenant is told, the message kept and answered later.

Rasa 3.6 swallows a failed action call and ends the turn as if the action had said nothing. `TurnAgent` below
does what Rasa's processor does with one custom action per message (record the message, call the action over
HTTP, carry on after an error, save the tracker), so the pipeline's handling is tested end to end over a real
socket without the trained model; tests/scale/test_faults.py does the same with Rasa itself behind nginx.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from sqlalchemy.orm import Session

from bot.housing.seed import DEMO_TENANT
from channels import outbox
from channels.core.action_watch import WatchedActionEndpoint, turn_failed, watch_action_endpoint, watch_turn
from channels.core.messages import channel_text
from channels.core.pipeline import handled_message_ids
from channels.twilio_sms import TwilioSmsInput
from tests.channels.conftest import ChannelServer, FakeAgent, twilio_config
from tests.support.fake_twilio import SMS_NUMBER, FakeTwilio, sms_form

WEBHOOK = "/webhooks/twilio_sms/webhook"
TENANT = DEMO_TENANT.phone
ANSWER = "Yes, you can keep a cat with our written permission."


class ActionServer:
    """A stand-in action server whose calls follow a script: "ok", "die" (drop the connection unanswered),
    "502" (what nginx answers when its upstream died mid-call) or "500" (an action's own bug)."""

    def __init__(self, script: list[str]) -> None:
        self.script = list(script)
        self.calls: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_post("/webhook", self._webhook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        step = self.script.pop(0) if self.script else "ok"
        self.calls.append(f"{body.get('next_action')}:{step}")
        if step == "die":
            assert request.transport is not None
            request.transport.close()  # the process is gone: no answer at all
            return web.Response()
        if step in ("502", "500"):
            return web.json_response({"error": step}, status=int(step))
        return web.json_response({"events": [], "responses": [{"text": ANSWER}]})


class TurnAgent(FakeAgent):
    """Handles a message as Rasa's processor does with one custom action, including swallowing its errors."""

    def __init__(self, action_url: str) -> None:
        super().__init__()
        self.store = InMemoryTrackerStore(self.domain)
        self.tracker_store = self.store  # what the pipeline reads, as on Rasa's agent
        self.lock_store = InMemoryLockStore()
        self.action_endpoint = EndpointConfig(url=action_url)
        self.processor = SimpleNamespace(action_endpoint=self.action_endpoint)

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        sender, output = str(message.sender_id), message.output_channel
        async with self.lock_store.lock(sender):
            tracker = await self.store.get_or_create_tracker(sender)
            tracker.update(UserUttered(message.text, message_id=message.message_id))
            await output.send_text_message(sender, "Let me check that for you.")
            try:
                answer = await self.processor.action_endpoint.request(
                    json={"next_action": "action_answer_faq", "sender_id": sender}, method="post"
                )
                await output.send_text_message(sender, answer["responses"][0]["text"])
            except Exception:  # as rasa.core.processor.MessageProcessor._run_action: logged, events lost
                pass
            tracker.update(ActionExecuted("action_answer_faq"))
            await output.send_text_message(sender, "Is there anything else?")  # Rasa carries on regardless
            tracker.update(ActionExecuted("action_listen"))
            await self.store.save(tracker)

    async def events(self, sender: str) -> list[dict[str, Any]]:
        tracker = await self.store.retrieve(sender)
        assert tracker is not None
        return [event.as_dict() for event in tracker.events]


@pytest_asyncio.fixture
async def action_server() -> AsyncIterator[ActionServer]:
    server = ActionServer([])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _serve(
    housing: Callable[[], Session], fake_twilio: FakeTwilio, tmp_path: Path, agent: FakeAgent
) -> tuple[ChannelServer, TwilioSmsInput]:
    channel = TwilioSmsInput(
        twilio_config(fake_twilio, SMS_NUMBER), session_factory=housing, media_dir=tmp_path / "media"
    )
    channel.pipeline.retry_after = 0.5
    channel.pipeline.sweep_interval = 0.3
    server = ChannelServer([channel], agent)
    await server.start()
    return server, channel


# -- the pipeline ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("death", ["die", "502"])
async def test_action_server_dying_mid_call_tenant_is_told_and_the_message_is_answered_on_the_retry(
    death: str,
    housing: Callable[[], Session],
    fake_twilio: FakeTwilio,
    tmp_path: Path,
    action_server: ActionServer,
) -> None:
    action_server.script = [death]
    agent = TurnAgent(action_server.url)
    server, channel = await _serve(housing, fake_twilio, tmp_path, agent)
    try:
        await server.post(WEBHOOK, sms_form(TENANT, "can i have a cat", sid="SMcat0001"))
        replies = await fake_twilio.wait_for_messages(4, to=TENANT, timeout=15)
        await server.settle()
        await asyncio.sleep(0.5)  # anything sent twice would arrive by now
        final = fake_twilio.bodies(to=TENANT)
        events = await agent.events(f"sms:{TENANT}")
    finally:
        await server.stop()
        outbox.unregister_sender("sms")

    assert replies == [
        "Let me check that for you.",
        channel_text("assistant_trouble"),
        ANSWER,
        "Is there anything else?",
    ]
    assert final == replies
    assert action_server.calls == [f"action_answer_faq:{death}", "action_answer_faq:ok"]
    assert agent.texts() == ["can i have a cat", "can i have a cat"]
    assert handled_message_ids(events) == ["SMcat0001"]
    assert [event["event"] for event in events].count("rewind") == 1
    assert channel.pipeline.inbox.pending() == []


async def test_action_server_down_for_several_retries_tells_the_tenant_only_once(
    housing: Callable[[], Session], fake_twilio: FakeTwilio, tmp_path: Path, action_server: ActionServer
) -> None:
    action_server.script = ["die", "502", "502"]
    agent = TurnAgent(action_server.url)
    server, channel = await _serve(housing, fake_twilio, tmp_path, agent)
    try:
        await server.post(WEBHOOK, sms_form(TENANT, "can i have a cat", sid="SMcat0002"))
        await fake_twilio.wait_for_messages(3, to=TENANT, timeout=20)
        await server.settle()
        await asyncio.sleep(0.5)
        replies = fake_twilio.bodies(to=TENANT)
        events = await agent.events(f"sms:{TENANT}")
    finally:
        await server.stop()
        outbox.unregister_sender("sms")

    assert replies.count(channel_text("assistant_trouble")) == 1
    assert replies[-2:] == [ANSWER, "Is there anything else?"]
    assert len(action_server.calls) == 4
    assert handled_message_ids(events) == ["SMcat0002"]
    assert channel.pipeline.inbox.pending() == []


async def test_action_bug_answered_500_is_not_retried_and_the_turn_goes_on_as_rasa_would(
    housing: Callable[[], Session], fake_twilio: FakeTwilio, tmp_path: Path, action_server: ActionServer
) -> None:
    action_server.script = ["500"]
    agent = TurnAgent(action_server.url)
    server, channel = await _serve(housing, fake_twilio, tmp_path, agent)
    try:
        await server.post(WEBHOOK, sms_form(TENANT, "can i have a cat", sid="SMcat0003"))
        replies = await fake_twilio.wait_for_messages(2, to=TENANT, timeout=15)
        await server.settle()
        await asyncio.sleep(1.0)  # a retry would have come by now
    finally:
        await server.stop()
        outbox.unregister_sender("sms")

    assert replies == ["Let me check that for you.", "Is there anything else?"]
    assert fake_twilio.bodies(to=TENANT) == replies
    assert action_server.calls == ["action_answer_faq:500"]
    assert channel.pipeline.inbox.pending() == []


# -- the watched endpoint --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "noted"),
    [("die", "ServerDisconnectedError"), ("502", "HTTP 502"), ("500", None), ("ok", None)],
)
async def test_watched_endpoint_notes_only_calls_the_action_server_could_not_answer(
    step: str, noted: str | None, action_server: ActionServer
) -> None:
    action_server.script = [step]
    endpoint = WatchedActionEndpoint.wrapping(EndpointConfig(url=action_server.url))

    with watch_turn() as turn:
        try:
            await endpoint.request(json={"next_action": "action_answer_faq"}, method="post")
        except aiohttp.ClientError:
            assert step != "ok"
        failed_inside = turn_failed()

    assert turn.failures == ([f"action_answer_faq: {noted}"] if noted else [])
    assert failed_inside is (noted is not None)
    assert turn_failed() is False  # the watch ends with its turn


async def test_watched_endpoint_still_raises_what_rasa_catches(action_server: ActionServer) -> None:
    action_server.script = ["502"]
    endpoint = WatchedActionEndpoint.wrapping(EndpointConfig(url=action_server.url))

    with pytest.raises(ClientResponseError) as raised:
        await endpoint.request(json={"next_action": "action_answer_faq"}, method="post")

    assert raised.value.status == 502


async def test_watched_endpoint_outside_a_turn_notes_nothing_anywhere() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])  # nothing listens here
    endpoint = WatchedActionEndpoint.wrapping(EndpointConfig(url=f"http://127.0.0.1:{port}/webhook"))

    with pytest.raises(aiohttp.ClientConnectionError):
        await endpoint.request(json={"next_action": "action_answer_faq"}, method="post")

    assert turn_failed() is False


async def test_turns_of_two_conversations_at_once_see_only_their_own_failures(action_server: ActionServer) -> None:
    action_server.script = ["ok", "502"]
    endpoint = WatchedActionEndpoint.wrapping(EndpointConfig(url=action_server.url))

    async def turn(action: str) -> list[str]:
        with watch_turn() as watch:
            with contextlib.suppress(aiohttp.ClientError):
                await endpoint.request(json={"next_action": action}, method="post")
            return watch.failures

    first, second = await asyncio.gather(turn("action_first"), turn("action_second"))

    assert sorted([*first, *second]) == [f"{action_server.calls[1].split(':')[0]}: HTTP 502"]
    assert (first == []) != (second == [])


def test_watch_action_endpoint_keeps_url_token_and_headers_and_is_idempotent() -> None:
    original = EndpointConfig(url="http://actions:5055/webhook", token="s3cret", headers={"X-Trace": "1"})
    agent = SimpleNamespace(action_endpoint=original, processor=SimpleNamespace(action_endpoint=original))

    assert watch_action_endpoint(agent) is True
    watched = agent.processor.action_endpoint
    assert watch_action_endpoint(agent) is True

    assert isinstance(watched, WatchedActionEndpoint)
    assert agent.processor.action_endpoint is watched and agent.action_endpoint is watched
    assert (watched.url, watched.token, watched.headers) == ("http://actions:5055/webhook", "s3cret", {"X-Trace": "1"})


def test_watch_action_endpoint_leaves_an_agent_without_an_action_server_alone() -> None:
    agent = SimpleNamespace(processor=SimpleNamespace(action_endpoint=None))

    assert watch_action_endpoint(agent) is False
    assert agent.processor.action_endpoint is None
    assert watch_action_endpoint(FakeAgent()) is False


# -- reading the tracker ---------------------------------------------------------------------------------------


def test_handled_message_ids_leave_out_messages_undone_by_a_rewind() -> None:
    events = [
        {"event": "user", "message_id": "m1"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "message_id": "m2"},
        {"event": "rewind"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "message_id": "m2"},
        {"event": "user", "message_id": "m3"},
    ]

    assert handled_message_ids(events) == ["m1", "m2", "m3"]


def test_handled_message_ids_keep_messages_from_before_a_restart_and_ignore_garbage() -> None:
    events: list[dict[str, Any]] = [
        {"event": "user", "message_id": "m1"},
        {"event": "restart"},
        {"event": "rewind"},  # nothing after the restart to undo
        {"event": "user"},
        {"event": "user", "message_id": None},
        {"event": "rewind"},
        {"nonsense": True},
        {"event": "user", "message_id": 42},
    ]

    assert handled_message_ids(events) == ["m1", "42"]
