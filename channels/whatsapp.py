"""WhatsApp through Twilio: POST /webhooks/whatsapp/webhook (messages) and /webhooks/whatsapp/status (callbacks).

WhatsApp allows a free-form message only within 24 hours of the tenant's last message
(`identities.within_session_window`). Outside that window `WhatsAppSender` sends, in order of preference:

1. the template the outbox row names (`template_name`: a Twilio Content SID, with `template_variables`);
2. the channel's `session_template` from credentials.yml, an approved template whose variable {{1}} carries the
   message text;
3. the same text by SMS, when SMS is configured (TWILIO_SMS_FROM) and the number has not opted out of SMS;

and otherwise refuses the row for good (logged), because WhatsApp would reject it with error 63016.

Enabled when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM and TENANTLINE_PUBLIC_URL are set.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from multidict import MultiDict
from sqlalchemy.orm import Session

from bot.housing import identities
from bot.housing.db import session_scope
from bot.housing.enums import Channel
from bot.settings import Settings
from channels.core import db
from channels.core.media import MediaPolicy
from channels.core.output import OutboxOutputChannel
from channels.core.text import WHATSAPP_LIMIT, to_gsm7
from channels.outbox import OutgoingMessage, PermanentSendError, RateLimit, SendResult
from channels.twilio import TwilioConfig, TwilioInput, TwilioSender, config_from_settings

WHATSAPP_RATE_LIMIT = RateLimit(overall_per_second=20.0)
MAX_PROFILE_NAME = 80


class WhatsAppOutput(OutboxOutputChannel):
    """WhatsApp replies: numbered options, 1,600 characters a message (Twilio's limit)."""

    channel = Channel.WHATSAPP
    text_limit = WHATSAPP_LIMIT

    @classmethod
    def name(cls) -> str:
        """Return the channel's name."""
        return "whatsapp"


class WhatsAppSender(TwilioSender):
    """Sends WhatsApp rows, choosing a template or SMS outside the 24-hour session window."""

    def __init__(
        self,
        config: TwilioConfig,
        *,
        status_path: str,
        session_template: str | None = None,
        sms_fallback: TwilioSender | None = None,
        session_factory: Callable[[], Session] | None = None,
    ) -> None:
        """Create the sender; `sms_fallback` sends from the SMS number when no template can be used."""
        super().__init__(config, status_path=status_path, address_prefix="whatsapp:")
        self.session_template = session_template
        self.sms_fallback = sms_fallback
        self._session_factory = session_factory

    def _factory(self) -> Callable[[], Session]:
        return self._session_factory or db.session_factory()

    def _window_and_sms_opt_out(self, address: str) -> tuple[bool, bool]:
        with session_scope(self._factory()) as session:
            whatsapp = identities.get(session=session, channel=Channel.WHATSAPP, address=address)
            sms = identities.get(session=session, channel=Channel.SMS, address=address)
            in_window = whatsapp is not None and identities.within_session_window(whatsapp)
            return in_window, sms is not None and sms.opted_out_at is not None

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Send free-form inside the window; outside it a template, else SMS, else refuse.

        Raises:
            TransientSendError: Network errors, 429 and 5xx.
            PermanentSendError: Twilio refused, or nothing may be sent outside the window.
        """
        if message.template_name:
            return await super().send(message)
        in_window, sms_opted_out = await asyncio.to_thread(self._window_and_sms_opt_out, message.to)
        if in_window:
            return await self.create(to=self._address(message.to), body=message.body)
        if self.session_template:
            return await self.create(
                to=self._address(message.to),
                content_sid=self.session_template,
                content_variables=json.dumps({"1": message.body}),
            )
        if self.sms_fallback is not None and not sms_opted_out:
            return await self.sms_fallback.create(to=message.to, body=to_gsm7(message.body))
        raise PermanentSendError("outside WhatsApp's 24-hour window with no template or SMS fallback")

    async def close(self) -> None:
        """Close both HTTP sessions."""
        await super().close()
        if self.sms_fallback is not None:
            await self.sms_fallback.close()


class WhatsAppInput(TwilioInput):
    """Tenants' WhatsApp messages, received through Twilio."""

    channel = Channel.WHATSAPP
    from_setting = "twilio_whatsapp_from"
    address_prefix = "whatsapp:"
    output_class = WhatsAppOutput
    rate_limit = WHATSAPP_RATE_LIMIT

    def __init__(
        self,
        config: TwilioConfig,
        *,
        options: Mapping[str, Any] | None = None,
        sms_from: str | None = None,
        session_factory: Callable[[], Session] | None = None,
        replica: str | None = None,
        media_dir: Path | None = None,
        media_policy: MediaPolicy | None = None,
    ) -> None:
        """Create the channel; `sms_from` (the SMS number) enables the SMS fallback outside the window."""
        self.sms_from = sms_from
        super().__init__(
            config,
            options=options,
            session_factory=session_factory,
            replica=replica,
            media_dir=media_dir,
            media_policy=media_policy,
        )

    @classmethod
    def name(cls) -> str:
        """Return the channel's name, which is also its URL prefix (/webhooks/whatsapp/...)."""
        return "whatsapp"

    @classmethod
    def from_settings(cls, settings: Settings, options: Mapping[str, Any]) -> WhatsAppInput:
        """Build the channel from the environment; credentials.yml may set `session_template`, `sms_fallback`.

        Raises:
            ChannelNotConfigured: Naming every missing environment variable.
        """
        config = config_from_settings(settings, cls.name(), cls.from_setting)
        sms_from = settings.twilio_sms_from if options.get("sms_fallback", True) is not False else None
        return cls(config, options=options, sms_from=sms_from or None)

    def make_sender(self) -> WhatsAppSender:
        """Return the sender, with the SMS fallback when an SMS number is configured."""
        fallback = None
        if self.sms_from:
            sms_config = TwilioConfig(
                account_sid=self.config.account_sid,
                auth_token=self.config.auth_token,
                from_address=self.sms_from,
                public_url=self.config.public_url,
                api_base_url=self.config.api_base_url,
            )
            fallback = TwilioSender(sms_config, status_path=f"/webhooks/{self.name()}/status")
        template = str(self.options.get("session_template") or "").strip() or None
        return WhatsAppSender(
            self.config,
            status_path=f"/webhooks/{self.name()}/status",
            session_template=template,
            sms_fallback=fallback,
            session_factory=self._session_factory,
        )

    def extra_metadata(self, form: MultiDict[str]) -> dict[str, Any]:
        """Return the tenant's WhatsApp profile name, which the assistant may use to greet them."""
        name = (form.get("ProfileName") or "").strip()
        return {"profile_name": name[:MAX_PROFILE_NAME]} if name else {}
