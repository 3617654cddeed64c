"""SMS through Twilio: POST /webhooks/twilio_sms/webhook (messages) and /webhooks/twilio_sms/status (callbacks).

Everything but the channel's name, number and alphabet is shared with WhatsApp in `channels.twilio` and with
every channel in `channels.core`. Replies keep to GSM-7 where a look-alike exists (curly quotes, dashes,
ellipsis), so one stray character does not halve how much text a segment carries, and are split at sentence
boundaries within Twilio's 1,600-character limit.

Enabled when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_SMS_FROM and TENANTLINE_PUBLIC_URL are set; otherwise
the server starts without it and says so once.
"""

from __future__ import annotations

from bot.housing.enums import Channel
from channels.core.output import OutboxOutputChannel
from channels.core.text import SMS_LIMIT, to_gsm7
from channels.outbox import RateLimit
from channels.twilio import TwilioInput

SMS_RATE_LIMIT = RateLimit(overall_per_second=10.0)
"""Twilio queues what a number cannot send at once; 10 a second keeps that queue short for a UK long code."""


class SmsOutput(OutboxOutputChannel):
    """SMS replies: GSM-7 look-alikes, numbered options, 1,600 characters a message."""

    channel = Channel.SMS
    text_limit = SMS_LIMIT

    @classmethod
    def name(cls) -> str:
        """Return the channel's name."""
        return "twilio_sms"

    def normalise(self, text: str) -> str:
        """Swap typographic characters for their GSM-7 equivalents."""
        return to_gsm7(text)


class TwilioSmsInput(TwilioInput):
    """Tenants' text messages, received through Twilio."""

    channel = Channel.SMS
    from_setting = "twilio_sms_from"
    output_class = SmsOutput
    rate_limit = SMS_RATE_LIMIT

    @classmethod
    def name(cls) -> str:
        """Return the channel's name, which is also its URL prefix (/webhooks/twilio_sms/...)."""
        return "twilio_sms"
