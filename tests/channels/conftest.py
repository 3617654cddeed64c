"""Fixtures for channel tests: a seeded housing database, a fake Twilio, and the channels served by a real Sanic
server on 127.0.0.1 with Rasa's own channel registration.

Two kinds of "assistant" sit behind the channels:

- `FakeAgent` (every test without a model): records each `UserMessage` and answers through the message's output
  channel, like Rasa does, with a reply the test chooses; its tracker store hands out trackers built from real
  Rasa events, so tracker reads (buttons, case references) work as in production.
- the real trained model (`rasa_agent`, tests marked `model`): loaded in-process with Rasa's `Agent`, running
  actions over HTTP against an action server started as a subprocess on the same temporary database.
"""

from __future__ import annotations

import asyncio
import functools
import re
import shutil
import socket
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from multidict import MultiDict
from rasa.core.channels.channel import InputChannel, UserMessage, register
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from sanic import Sanic
from sqlalchemy.orm import Session

from bot.housing import repairs
from bot.housing.db import create_engine_for, make_session_factory
from bot.housing.migrate import upgrade
from bot.housing.seed import DEMO_TENANT, seed_demo
from channels import outbox
from channels.core import db as channel_db
from channels.twilio import TwilioConfig
from channels.twilio_sms import TwilioSmsInput
from channels.whatsapp import WhatsAppInput
from tests.support.fake_twilio import (
    AUTH_TOKEN,
    JPEG,
    SMS_NUMBER,
    WHATSAPP_NUMBER,
    FakeTwilio,
    twilio_signature,
)

# Several Sanic apps start in one process here; test mode lets Sanic re-apply its start-up optimisations to each.
Sanic.test_mode = True

PUBLIC_URL = "https://tenantline.example"
"""What TENANTLINE_PUBLIC_URL is in the tests: not the address the test server listens on, as behind a proxy."""


# -- housing database ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def channels_seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate and seed the demo landlord once per test run; tests get copies."""
    path = tmp_path_factory.mktemp("channels-housing-template") / "housing.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = create_engine_for(url)
    try:
        seed_demo(make_session_factory(engine))
    finally:
        engine.dispose()
    return path


@pytest.fixture
def housing(channels_seeded_template: Path, tmp_path: Path) -> Iterator[Callable[[], Session]]:
    """Point the channels at a private copy of the seeded demo database; yield its session factory."""
    path = tmp_path / "housing.db"
    shutil.copyfile(channels_seeded_template, path)
    engine = create_engine_for(f"sqlite:///{path}")
    factory = make_session_factory(engine)
    channel_db.use_session_factory(factory)
    yield factory
    channel_db.use_session_factory(None)
    engine.dispose()


# -- fake Twilio -----------------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    """Yield a running fake Twilio API."""
    fake = FakeTwilio()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def twilio_config(fake: FakeTwilio, from_address: str) -> TwilioConfig:
    """Return a channel's settings pointing at the fake Twilio."""
    return TwilioConfig(
        account_sid=fake.account_sid,
        auth_token=fake.auth_token,
        from_address=from_address,
        public_url=PUBLIC_URL,
        api_base_url=fake.base_url,
    )


# -- a stand-in for Rasa's agent -------------------------------------------------------------------------------


@dataclass
class FakeTracker:
    """The parts of a DialogueStateTracker the channels read."""

    events: list[Event] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    paused: bool = False

    def current_slot_values(self) -> dict[str, Any]:
        return dict(self.slots)

    def is_paused(self) -> bool:
        return self.paused


class FakeTrackerStore:
    """Trackers by sender id."""

    def __init__(self) -> None:
        self.trackers: dict[str, FakeTracker] = {}

    def tracker(self, sender_id: str) -> FakeTracker:
        return self.trackers.setdefault(sender_id, FakeTracker(events=[SessionStarted()]))

    async def retrieve(self, sender_id: str) -> FakeTracker | None:
        return self.trackers.get(sender_id)


Reply = Callable[[UserMessage, "FakeAgent"], Awaitable[None]]


@functools.lru_cache(maxsize=1)
def real_domain() -> Domain:
    """The assistant's domain (the channels read the safety messages from it)."""
    return Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))


async def echo(message: UserMessage, agent: FakeAgent) -> None:
    """Answer "You said: <text>" like a bot would, through the message's output channel."""
    await agent.say(message, f"You said: {message.text}")


class FakeAgent:
    """Records messages and answers them through the channel's output channel, as Rasa's agent does."""

    def __init__(self) -> None:
        self.messages: list[UserMessage] = []
        self.tracker_store = FakeTrackerStore()
        self.domain = real_domain()
        self.reply: Reply = echo
        self.delay = 0.0

    def is_ready(self) -> bool:
        return True

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        # Like Rasa, nothing reaches the tracker if the turn is interrupted before it is handled.
        tracker = self.tracker_store.tracker(str(message.sender_id))
        tracker.events.append(
            UserUttered(
                message.text,
                input_channel=message.input_channel,
                metadata=message.metadata,
                message_id=message.message_id,
            )
        )
        await self.reply(message, self)
        tracker.events.append(ActionExecuted("action_listen"))

    async def say(self, message: UserMessage, text: str, buttons: list[dict[str, Any]] | None = None) -> None:
        """Send a bot message in reply to `message` and record it in the tracker."""
        tracker = self.tracker_store.tracker(str(message.sender_id))
        tracker.events.append(BotUttered(text, data={"buttons": buttons} if buttons else {}))
        if buttons:
            await message.output_channel.send_text_with_buttons(message.sender_id, text, buttons)
        else:
            await message.output_channel.send_text_message(message.sender_id, text)

    def set_slot(self, sender_id: str, name: str, value: Any) -> None:
        """Set a slot as an action would (event and current value)."""
        tracker = self.tracker_store.tracker(sender_id)
        tracker.events.append(SlotSet(name, value))
        tracker.slots[name] = value

    def texts(self) -> list[str]:
        return [str(message.text) for message in self.messages]


# -- channels served over HTTP ---------------------------------------------------------------------------------


class ChannelServer:
    """Input channels registered on a Sanic app with Rasa's own `register`, served on 127.0.0.1."""

    def __init__(self, channels: list[InputChannel], agent: Any) -> None:
        self.channels = channels
        self.agent = agent
        self.app = Sanic(f"tenantline_channels_test_{uuid.uuid4().hex[:12]}")
        self.app.config.ACCESS_LOG = False
        self.app.ctx.agent = agent
        register(channels, self.app, route="/webhooks/")
        self._server: Any = None
        self.port = 0
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._server = await self.app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
        # create_server has already started listening; these run Sanic's start-up and the listeners.
        await self._server.startup()
        await self._server.before_start()
        await self._server.after_start()
        self.http = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self._server is not None:
            await self._server.before_stop()
            closing = self._server.close()
            if closing is not None:
                await closing
            await self._server.after_stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def post(
        self,
        path: str,
        form: MultiDict[str] | None = None,
        *,
        signed: bool = True,
        signature: str | None = None,
        body: bytes | None = None,
        content_type: str = "application/x-www-form-urlencoded",
        token: str = AUTH_TOKEN,
        headers: dict[str, str] | None = None,
    ) -> aiohttp.ClientResponse:
        """POST a form (signed like Twilio unless told otherwise) or raw bytes; return the response (read)."""
        assert self.http is not None
        headers = {"Content-Type": content_type, **(headers or {})}
        if form is not None and body is None:
            if signed:
                headers["X-Twilio-Signature"] = signature or twilio_signature(PUBLIC_URL + path, form, token)
            data: Any = list(form.items())
        else:
            data = body
            if signature is not None:
                headers["X-Twilio-Signature"] = signature
        async with self.http.post(self.url + path, data=data, headers=headers) as response:
            await response.read()
            return response

    def channel(self, name: str) -> Any:
        return next(channel for channel in self.channels if channel.name() == name)

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every accepted message is processed and every queued reply is sent."""
        for channel in self.channels:
            pipeline = getattr(channel, "pipeline", None)
            if pipeline is not None:
                await pipeline.drain(timeout)
        dispatcher = outbox.current_dispatcher()
        if dispatcher is not None:
            await dispatcher.idle(timeout)


@pytest.fixture
def fake_agent() -> FakeAgent:
    """Return a fake agent that echoes."""
    return FakeAgent()


@pytest_asyncio.fixture
async def sms_server(
    housing: Callable[[], Session], fake_twilio: FakeTwilio, fake_agent: FakeAgent, tmp_path: Path
) -> AsyncIterator[ChannelServer]:
    """Serve the SMS channel (against the fake Twilio and the fake agent)."""
    channel = TwilioSmsInput(
        twilio_config(fake_twilio, SMS_NUMBER),
        session_factory=housing,
        media_dir=tmp_path / "media",
    )
    server = ChannelServer([channel], fake_agent)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        outbox.unregister_sender("sms")


@pytest_asyncio.fixture
async def whatsapp_server(
    housing: Callable[[], Session], fake_twilio: FakeTwilio, fake_agent: FakeAgent, tmp_path: Path
) -> AsyncIterator[ChannelServer]:
    """Serve the WhatsApp channel, with SMS fallback from the SMS number."""
    channel = WhatsAppInput(
        twilio_config(fake_twilio, WHATSAPP_NUMBER),
        sms_from=SMS_NUMBER,
        session_factory=housing,
        media_dir=tmp_path / "media",
    )
    server = ChannelServer([channel], fake_agent)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        outbox.unregister_sender("whatsapp")


@pytest_asyncio.fixture
async def serve_channels(
    fake_agent: FakeAgent,
) -> AsyncIterator[Callable[[list[InputChannel]], Awaitable[ChannelServer]]]:
    """Return a function that serves any input channels (e.g. Telegram's) behind `fake_agent`; stopped after."""
    servers: list[ChannelServer] = []

    async def serve(channels: list[InputChannel]) -> ChannelServer:
        server = ChannelServer(channels, fake_agent)
        await server.start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        await server.stop()


# -- the trained assistant, for end-to-end tests (marked `model`) ----------------------------------------------

MODEL_ENV = "TENANTLINE_TEST_MODEL"
"""Optional: a model archive to use instead of `bot.training.model_path()` (e.g. one trained from older data)."""


@dataclass
class RasaStack:
    """The trained model loaded in-process, its action server, and the housing database they share."""

    agent: Any
    session_factory: Callable[[], Session]
    database_path: Path
    action_server_log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_until_up(url: str, process: Any, log: Path, timeout: float = 180.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as client:
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"the action server exited early; see {log}")
            try:
                async with client.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if loop.time() > deadline:
                raise RuntimeError(f"the action server did not answer at {url}; see {log}")
            await asyncio.sleep(0.5)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def rasa_stack(
    channels_seeded_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RasaStack]:
    """Start the action server on a copy of the demo database and load the trained model with Rasa's Agent."""
    import os
    import sys

    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    from bot.training import model_path

    project_root = Path(__file__).resolve().parents[2]
    model = Path(os.environ.get(MODEL_ENV) or model_path(project_root))
    if not model.exists():
        pytest.skip(f"no trained model at {model}: run `make train` (or set {MODEL_ENV} to a model archive)")
    directory = tmp_path_factory.mktemp("rasa-stack")
    database = directory / "housing.db"
    shutil.copyfile(channels_seeded_template, database)
    port = _free_port()
    log = directory / "action-server.log"
    env = {**os.environ, "TENANTLINE_DATABASE_URL": f"sqlite:///{database}", "TF_CPP_MIN_LOG_LEVEL": "2"}
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port),
            cwd=project_root, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    engine = create_engine_for(f"sqlite:///{database}")
    try:
        await _wait_until_up(f"http://127.0.0.1:{port}/health", process, log)
        endpoints = AvailableEndpoints(action=EndpointConfig(url=f"http://127.0.0.1:{port}/webhook"))
        agent = await load_agent(model_path=str(model), endpoints=endpoints)
        yield RasaStack(agent, make_session_factory(engine), database, log)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=15)
            except asyncio.TimeoutError:
                process.kill()
        engine.dispose()


@asynccontextmanager
async def serve_stack(stack: RasaStack, channel: InputChannel) -> AsyncIterator[ChannelServer]:
    """Serve one channel in front of the trained assistant, the channels using the stack's database."""
    channel_db.use_session_factory(stack.session_factory)
    server = ChannelServer([channel], stack.agent)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        for name in ("sms", "whatsapp", "telegram"):
            outbox.unregister_sender(name)
        channel_db.use_session_factory(None)


def repair_count(factory: Callable[[], Session]) -> int:
    """Return how many repairs the demo tenant's tenancy has."""
    with factory() as session:
        return len(repairs.list(session=session, tenancy_reference=DEMO_TENANT.tenancy_reference, limit=1000))


REPAIR_DESCRIPTION = "It has dripped constantly since Monday and water pools under the sink"
REPAIR_ANSWERS = (
    (re.compile(r"date of birth|postcode", re.IGNORECASE), DEMO_TENANT.date_of_birth.strftime("%d/%m/%Y")),
    (re.compile(r"What is it that needs fixing", re.IGNORECASE), "the kitchen tap"),
    (re.compile(r"Where is the", re.IGNORECASE), "the kitchen"),
    (re.compile(r"describe the problem", re.IGNORECASE), REPAIR_DESCRIPTION),
    (re.compile(r"When can someone get in", re.IGNORECASE), "weekday mornings are best, I work afternoons"),
)
"""The demo tenant's answers to the repair questions, by what the question asks."""
REPAIR_REFERENCE = re.compile(r"raised repair (\S+?):")


@dataclass
class Conversation:
    """What a scripted conversation sent, received and how long each step took."""

    reference: str = ""
    forms: list[MultiDict[str]] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    replies: list[float] = field(default_factory=list)

    def log(self) -> str:
        return "\n".join(self.transcript)

    def timings(self, channel: str) -> str:
        return (
            f"\n{channel} webhook acknowledgement: max {max(self.acks) * 1000:.0f} ms, "
            f"median {statistics.median(self.acks) * 1000:.0f} ms over {len(self.acks)} messages"
            f"\n{channel} end-to-end time to the first reply: max {max(self.replies):.2f} s, "
            f"median {statistics.median(self.replies):.2f} s"
        )


async def report_repair_with_photo(
    server: ChannelServer,
    fake: FakeTwilio,
    *,
    webhook: str,
    form: Callable[[str, list[tuple[str, str]] | None], MultiDict[str]],
    to: str,
) -> Conversation:
    """Report a leaking kitchen tap as the demo tenant, sending a photo with the description.

    The tenant answers whatever the assistant asks (verification, item, place, description, access) until a repair
    reference comes back, timing each webhook's acknowledgement and the arrival of its first reply.
    """
    conversation = Conversation()

    async def say(text: str, media: list[tuple[str, str]] | None = None) -> list[str]:
        seen = len(fake.bodies(to))
        sent = form(text, media)
        conversation.forms.append(sent)
        started = time.perf_counter()
        response = await server.post(webhook, sent)
        conversation.acks.append(time.perf_counter() - started)
        assert response.status == 200
        await fake.wait_for_messages(seen + 1, to=to, timeout=60)
        conversation.replies.append(time.perf_counter() - started)
        await server.settle(timeout=60)
        new = fake.bodies(to)[seen:]
        conversation.transcript.extend([f"> {text}" + (" [photo]" if media else ""), *(f"< {n}" for n in new)])
        return new

    latest = await say("my kitchen tap is leaking")
    photo_sent = False
    for _ in range(10):
        found = [match.group(1) for line in latest if (match := REPAIR_REFERENCE.search(line))]
        if found:
            conversation.reference = found[0]
            break
        # The channel's own sentences (a photo arrived) may follow the assistant's question: answer the question.
        answer = next(
            (reply for line in reversed(latest) for pattern, reply in REPAIR_ANSWERS if pattern.search(line)), None
        )
        assert answer is not None, "unexpected question:\n" + conversation.log()
        if answer == REPAIR_DESCRIPTION and not photo_sent:
            latest = await say(answer, [(fake.add_media(JPEG, "image/jpeg"), "image/jpeg")])
            photo_sent = True
        else:
            latest = await say(answer)
    assert conversation.reference, "no repair reference came back:\n" + conversation.log()
    assert photo_sent, "the assistant never asked for a description:\n" + conversation.log()
    return conversation
