"""The tenant simulator: its page and API served by a real Sanic server next to the real SMS channel, the SMS
channel's twilio client talking to the demo phone network (bot/phone_network.py), and a fake agent."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from rasa.core.channels.channel import InputChannel, UserMessage
from sqlalchemy.orm import Session

from bot.housing import attachments, repairs
from bot.housing.enums import Channel, Priority
from bot.housing.seed import DEMO_TENANT
from bot.phone_network import DEMO_ACCOUNT_SID, DEMO_SMS_FROM, Network, PhoneNetworkServer, start_in_thread
from bot.settings import Settings
from channels import outbox
from channels.core.registration import ChannelNotConfigured
from channels.simulator import SimulatorConfig, SimulatorInput, config_from_settings, demo_number, is_local_url
from channels.twilio import TwilioConfig
from channels.twilio_sms import TwilioSmsInput
from tests.channels.conftest import ChannelServer, FakeAgent
from tests.support.fake_twilio import JPEG

PUBLIC_URL = "https://tenantline.example"
AUTH_TOKEN = "simulator-test-token-0123456789ab"
SIMULATOR = "/webhooks/simulator/"
TENANT = DEMO_TENANT.phone


@pytest.fixture
def phone_network() -> Iterator[PhoneNetworkServer]:
    server = start_in_thread(Network(account_sid=DEMO_ACCOUNT_SID, auth_token=AUTH_TOKEN))
    yield server
    server.shutdown()
    server.server_close()


@pytest_asyncio.fixture
async def demo(
    serve_channels: Callable[[list[InputChannel]], Awaitable[ChannelServer]],
    housing: Callable[[], Session],
    phone_network: PhoneNetworkServer,
    tmp_path: Path,
) -> AsyncIterator[ChannelServer]:
    """Serve the SMS channel and the simulator as `tenantline run` does in a demo (phone network as Twilio)."""
    sms = TwilioSmsInput(
        TwilioConfig(
            account_sid=DEMO_ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            from_address=DEMO_SMS_FROM,
            public_url=PUBLIC_URL,
            api_base_url=phone_network.base_url,
        ),
        session_factory=housing,
        media_dir=tmp_path / "media",
    )
    simulator = SimulatorInput(
        SimulatorConfig(
            account_sid=DEMO_ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            sms_from=DEMO_SMS_FROM,
            public_url=PUBLIC_URL,
            phone_network_url=phone_network.base_url,
        ),
        session_factory=housing,
    )
    yield await serve_channels([sms, simulator])
    outbox.unregister_sender("sms")


async def get(server: ChannelServer, path: str) -> tuple[int, dict[str, str], bytes]:
    assert server.http is not None
    async with server.http.get(server.url + SIMULATOR + path) as response:
        return response.status, dict(response.headers), await response.read()


async def post_json(server: ChannelServer, path: str, body: Any) -> tuple[int, Any]:
    assert server.http is not None
    async with server.http.post(server.url + SIMULATOR + path, json=body) as response:
        return response.status, await response.json()


async def phone_received(server: ChannelServer, number: str, count: int, timeout: float = 10.0) -> list[str]:
    """Poll the simulator as the page does until the phone has `count` messages; return their texts."""
    deadline = time.monotonic() + timeout
    while True:
        assert server.http is not None
        async with server.http.get(
            server.url + SIMULATOR + "messages", params={"number": number, "after": "0"}
        ) as response:
            found = [item["body"] for item in (await response.json())["messages"]]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


# -- the page --------------------------------------------------------------------------------------------------


async def test_simulator_page_is_served_with_a_policy_that_forbids_inline_script(demo: ChannelServer) -> None:
    status, headers, body = await get(demo, "")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    page = body.decode()
    assert '<meta name="viewport"' in page  # laid out for a phone-sized screen
    assert re.search(r"<script[^>]*>\s*[^<\s]", page) is None  # no inline script at all
    for asset, kind in (("simulator.js", "text/javascript"), ("simulator.css", "text/css")):
        status, headers, _ = await get(demo, asset)
        assert status == 200 and headers["Content-Type"].startswith(kind)


def test_simulator_script_inserts_text_only_as_text() -> None:
    """Tenant and assistant text is untrusted: the page must never parse it as HTML."""
    script = (Path(__file__).resolve().parents[2] / "channels" / "simulator.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    assert "textContent" in script


async def test_simulator_lists_the_demo_tenants_with_their_fictional_numbers(demo: ChannelServer) -> None:
    status, _, body = await get(demo, "tenants")
    assert status == 200
    found = json.loads(body)
    sarah = next(tenant for tenant in found["tenants"] if tenant["number"] == TENANT)
    assert sarah == {
        "name": DEMO_TENANT.name,
        "number": TENANT,
        "display_number": "07700 900001",
        "tenancy_reference": DEMO_TENANT.tenancy_reference,
        "postcode": DEMO_TENANT.postcode,
        "date_of_birth": DEMO_TENANT.date_of_birth.strftime("%d/%m/%Y"),
    }
    assert all(re.fullmatch(r"\+447700900\d{3}", tenant["number"]) for tenant in found["tenants"])
    assert found["assistant_number"] == "07700 900999"


# -- texting through the SMS channel ---------------------------------------------------------------------------


async def test_simulator_text_goes_through_the_signed_sms_webhook_and_the_reply_reaches_the_phone(
    demo: ChannelServer, fake_agent: FakeAgent, phone_network: PhoneNetworkServer
) -> None:
    status, answer = await post_json(demo, "send", {"number": TENANT, "text": "my boiler is broken"})
    assert (status, answer) == (200, {"sent": True})
    assert await phone_received(demo, TENANT, 1) == ["You said: my boiler is broken"]
    message = fake_agent.messages[0]
    assert (message.sender_id, message.input_channel) == (f"sms:{TENANT}", "twilio_sms")
    assert message.metadata["address"] == TENANT
    (sent,) = phone_network.network.received_by(TENANT)
    assert (sent.from_, sent.to) == (DEMO_SMS_FROM, TENANT)


async def test_simulator_numbered_reply_picks_the_option_as_on_a_real_phone(
    demo: ChannelServer, fake_agent: FakeAgent
) -> None:
    async def ask(message: UserMessage, agent: FakeAgent) -> None:
        if message.text == "the lift is broken":
            await agent.say(message, "Is anyone stuck inside?", [{"title": "Yes", "payload": "/affirm"},
                                                                 {"title": "No", "payload": "/deny"}])  # fmt: skip

    fake_agent.reply = ask
    await post_json(demo, "send", {"number": TENANT, "text": "the lift is broken"})
    assert await phone_received(demo, TENANT, 1) == ["Is anyone stuck inside?\n\n1. Yes\n2. No"]
    await post_json(demo, "send", {"number": TENANT, "text": "2"})
    await demo.settle()
    assert fake_agent.texts() == ["the lift is broken", "/deny"]


async def test_simulator_stop_opts_the_demo_tenant_out_like_a_real_text(
    demo: ChannelServer, fake_agent: FakeAgent
) -> None:
    await post_json(demo, "send", {"number": TENANT, "text": "STOP"})
    replies = await phone_received(demo, TENANT, 1)
    assert replies[0].startswith("You won't get any more messages")
    assert fake_agent.messages == []


@pytest.mark.parametrize(
    "body",
    [
        {"number": "+447911123456", "text": "hello"},  # a real mobile range: never allowed
        {"number": "", "text": "hello"},
        {"number": TENANT, "text": ""},
        {"number": TENANT, "text": "x" * 1601},
        {"number": TENANT},
        ["not", "an", "object"],
    ],
    ids=["real-number", "no-number", "empty-text", "too-long", "no-text", "not-an-object"],
)
async def test_simulator_refuses_a_message_it_cannot_send_and_sends_nothing(
    demo: ChannelServer, fake_agent: FakeAgent, phone_network: PhoneNetworkServer, body: Any
) -> None:
    status, answer = await post_json(demo, "send", body)
    await demo.settle()
    assert status == 400
    assert "error" in answer
    assert fake_agent.messages == []


async def test_simulator_messages_are_only_read_for_demo_numbers(demo: ChannelServer) -> None:
    status, _, _ = await get(demo, "messages?number=%2B447911123456")
    assert status == 400


def logged_repair(factory: Callable[[], Session]) -> str:
    with factory() as session, session.begin():
        job = repairs.create(
            session=session,
            tenancy_reference=DEMO_TENANT.tenancy_reference,
            item="extractor fan",
            location="bathroom",
            description="the fan has stopped working",
            priority=Priority.ROUTINE,
            channel=Channel.SMS,
        )
        return str(job.reference)


async def test_simulator_photo_arrives_as_an_mms_and_is_attached_to_the_repair(
    demo: ChannelServer, fake_agent: FakeAgent, housing: Callable[[], Session]
) -> None:
    reference = logged_repair(housing)
    fake_agent.set_slot(f"sms:{TENANT}", "repair_reference", reference)
    assert demo.http is not None
    async with demo.http.post(
        demo.url + SIMULATOR + "photo",
        params={"number": TENANT, "caption": ""},
        data=JPEG,
        headers={"Content-Type": "image/jpeg"},
    ) as response:
        assert response.status == 200
    assert await phone_received(demo, TENANT, 1) == [f"Thanks, I've added your photo to {reference}."]
    with housing() as session:
        assert [a.size_bytes for a in attachments.list(session=session, repair_reference=reference)] == [len(JPEG)]


async def test_simulator_refuses_a_file_that_is_not_a_photo(demo: ChannelServer, fake_agent: FakeAgent) -> None:
    assert demo.http is not None
    async with demo.http.post(
        demo.url + SIMULATOR + "photo",
        params={"number": TENANT},
        data=b"%PDF-1.7",
        headers={"Content-Type": "application/pdf"},
    ) as response:
        assert response.status == 415
    assert fake_agent.messages == []


# -- when it exists --------------------------------------------------------------------------------------------


def demo_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "twilio_account_sid": DEMO_ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_sms_from": DEMO_SMS_FROM,
        "public_url": "http://127.0.0.1:5005",
        "twilio_api_base_url": "http://127.0.0.1:5099",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def test_simulator_is_available_when_twilio_is_the_local_phone_network() -> None:
    config = config_from_settings(demo_settings())
    assert config.phone_network_url == "http://127.0.0.1:5099"
    assert config.webhook_url() == "http://127.0.0.1:5005/webhooks/twilio_sms/webhook"


@pytest.mark.parametrize(
    "api", [None, "https://api.twilio.com", "http://10.0.0.8:5099", "http://localhost.evil.example"]
)
def test_simulator_is_not_available_with_real_or_remote_twilio(api: str | None) -> None:
    """Impersonating tenants is a demo feature: never where messages could reach real phones."""
    with pytest.raises(ChannelNotConfigured):
        config_from_settings(demo_settings(twilio_api_base_url=api))


def test_simulator_accepts_only_numbers_in_the_drama_range() -> None:
    assert demo_number("07700 900001") == "+447700900001"
    assert demo_number("+447700900999") == "+447700900999"
    assert demo_number("07700 901000") is None
    assert demo_number("07911 123456") is None
    assert demo_number("nonsense") is None
    assert is_local_url("http://localhost:5099") and is_local_url("http://[::1]:5099")
