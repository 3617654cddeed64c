"""A conversation a member of staff has taken over still gets safety advice at once."""

from __future__ import annotations

from rasa.core.channels.channel import UserMessage

from bot.housing.seed import DEMO_TENANT
from tests.channels.conftest import ChannelServer, FakeAgent
from tests.support.fake_twilio import FakeTwilio, sms_form

WEBHOOK = "/webhooks/twilio_sms/webhook"
TENANT = DEMO_TENANT.phone


async def stay_silent(message: UserMessage, agent: FakeAgent) -> None:
    """Rasa says nothing in a paused conversation."""


async def test_gas_smell_in_a_paused_conversation_gets_the_gas_emergency_number(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    """DOMAIN.md safety messages: a gas smell gets 0800 111 999 even while a person holds the conversation."""
    fake_agent.tracker_store.tracker(f"sms:{TENANT}").paused = True
    fake_agent.reply = stay_silent
    await sms_server.post(WEBHOOK, sms_form(TENANT, "theres a strong smell of gas in my kitchen"))
    [advice] = await fake_twilio.wait_for_messages(1, to=TENANT)
    assert "0800 111 999" in advice
    assert fake_agent.texts() == ["theres a strong smell of gas in my kitchen"]  # the agent's transcript has it


async def test_an_ordinary_message_in_a_paused_conversation_gets_no_automatic_reply(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    fake_agent.tracker_store.tracker(f"sms:{TENANT}").paused = True
    fake_agent.reply = stay_silent
    await sms_server.post(WEBHOOK, sms_form(TENANT, "ok thanks, i'll wait for your call"))
    await sms_server.settle()
    assert fake_twilio.sent(TENANT) == []
