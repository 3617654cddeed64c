"""Telegram: POST /webhooks/telegram/webhook receives the Bot API's updates; replies go out through the outbox.

- Authenticity: Telegram sends the secret given to setWebhook in X-Telegram-Bot-Api-Secret-Token; it is compared
  in constant time with TELEGRAM_WEBHOOK_SECRET. A missing or wrong secret gets 403, logged without personal
  data, and nothing is processed. Bodies over 256 KB get 413; a body that is not a JSON update gets 400.
- Updates (parsed in channels/telegram_updates.py): private text messages and captions go to Rasa with the sender
  id "telegram:<user id>"; edited messages, membership changes and update types TenantLine does not use are
  acknowledged and ignored; a button press (callback query) is answered in the webhook's reply (so the tenant's
  spinner stops at once) and its payload passed on; photos are fetched with getFile; voice notes, stickers,
  documents and locations get the landlord's sentence saying what the assistant can read; a message in a group
  chat gets one sentence, in the webhook's reply, asking the tenant to message privately (group chat ids cannot
  be outbox recipients, and nothing else is done with a group message).
- Typed commands: "/start" becomes a greeting followed, for an account not yet linked to a tenant, by the offer to
  share the phone number; other commands lose their slash so they cannot pick an intent directly.
- Sharing the phone number: the "Share my phone number" keyboard (request_contact) is offered at /start and
  whenever an unverified Telegram user is asked for a tenancy reference (the start of the identity check before
  personal data; channels/telegram_output.py). A contact the sender shared of themselves links the account to
  the tenant whose mobile it is (channels/telegram_identity.py), and a new Rasa session starts so the identity
  check asks one question (date of birth or postcode) instead of the tenancy reference; the number itself never
  reaches Rasa. A contact of someone else is refused.
- Outgoing: `TelegramOutput` (channels/telegram_output.py) renders buttons as an inline keyboard and splits text
  within 4,096 characters; `TelegramSender` (channels/telegram_sender.py) sends the outbox rows within Telegram's
  limits and honours its flood waits.

Enabled when TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET are set (see `channels.core.registration`). When
TENANTLINE_PUBLIC_URL is set too, the webhook is registered with Telegram at start-up (credentials.yml option
`set_webhook`, default true) for the updates TenantLine reads, with the secret.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session
from telegram import Bot
from telegram.error import TelegramError

from bot.housing.db import session_scope
from bot.housing.enums import Channel
from bot.housing.errors import HousingError
from bot.settings import Settings
from channels.core import turns
from channels.core.buttons import ButtonMemory
from channels.core.media import FetchedMedia, MediaItem, MediaPolicy, MediaRejected, check_media
from channels.core.messages import channel_text
from channels.core.output import address_hash, reply_key
from channels.core.pipeline import InboundPipeline, Incoming, Outcome
from channels.core.registration import ChannelNotConfigured, build_or_disable, install_runtime, missing_settings
from channels.intake import prepare_text
from channels.outbox import RateLimit, register_sender
from channels.telegram_identity import link_shared_number
from channels.telegram_output import PayloadMemory, TelegramOutput
from channels.telegram_sender import TELEGRAM_API_URL, TELEGRAM_RATE_LIMIT, TelegramSender, make_bot
from channels.telegram_updates import Inbound, Kind, NotAnUpdate, contact_keyboard, parse_update

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 256 * 1024
"""Updates are a few kilobytes; anything far larger is not from Telegram."""
ALLOWED_UPDATES = ("message", "callback_query")
"""What the webhook asks Telegram for; anything else that arrives is acknowledged and ignored."""
SESSION_RESTART = "/session_start"
"""Starts a new Rasa session (Rasa's default rule runs action_session_start), which re-identifies the sender."""
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

# What a piece of media is called in the landlord's `media_kinds` sentences.
MEDIA_KINDS = {
    "voice": "audio",
    "audio": "audio",
    "video_note": "video",
    "video": "video",
    "animation": "video",
    "sticker": "sticker",
    "document": "document",
    "location": "location",
    "venue": "location",
}

# Private keys of `Incoming.metadata` (never passed to Rasa): what the update asked for, and a shared number.
ACTION_KEY = "telegram_action"
PHONE_KEY = "telegram_contact_phone"
_PRIVATE_KEYS = (ACTION_KEY, PHONE_KEY)

# -- settings --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TelegramConfig:
    """The Telegram channel's settings."""

    token: str
    webhook_secret: str
    api_base_url: str = TELEGRAM_API_URL
    public_url: str | None = None

    def webhook_url(self) -> str | None:
        """Return the public URL Telegram should call, or None without TENANTLINE_PUBLIC_URL."""
        return f"{self.public_url.rstrip('/')}/webhooks/telegram/webhook" if self.public_url else None


def config_from_settings(settings: Settings) -> TelegramConfig:
    """Return the Telegram settings.

    Raises:
        ChannelNotConfigured: Naming TELEGRAM_BOT_TOKEN and/or TELEGRAM_WEBHOOK_SECRET when missing.
    """
    missing = missing_settings(settings, "telegram_bot_token", "telegram_webhook_secret")
    if missing:
        raise ChannelNotConfigured("telegram", missing)
    assert settings.telegram_bot_token is not None and settings.telegram_webhook_secret is not None
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not _SECRET_SHAPE.match(secret):
        logger.warning("telegram: TELEGRAM_WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and - (Telegram refuses it)")
    return TelegramConfig(
        token=settings.telegram_bot_token.get_secret_value(),
        webhook_secret=secret,
        api_base_url=settings.telegram_api_base_url or TELEGRAM_API_URL,
        public_url=settings.public_url,
    )


def secret_is_valid(received: str | None, expected: str) -> bool:
    """Return whether the webhook's secret header matches, comparing in constant time."""
    if not received or not expected:
        return False
    return hmac.compare_digest(received.encode("utf-8"), expected.encode("utf-8"))


# -- media -----------------------------------------------------------------------------------------------------


def telegram_fetcher(bot: Bot) -> Callable[[MediaItem, MediaPolicy], Awaitable[FetchedMedia]]:
    """Return a media fetcher that downloads a photo by its file id with getFile."""

    async def fetch(item: MediaItem, policy: MediaPolicy) -> FetchedMedia:
        try:
            await bot.request.initialize()
            found = await bot.get_file(item.ref)
        except TelegramError as error:
            raise MediaRejected("failed", f"getFile: {type(error).__name__}") from error
        if found.file_size is not None and found.file_size > policy.max_bytes:
            raise MediaRejected("too_large", f"{found.file_size} bytes")
        try:
            # Telegram serves bots files up to 20 MB, so the whole file in memory is bounded.
            data = bytes(await found.download_as_bytearray())
        except TelegramError as error:
            raise MediaRejected("failed", f"download: {type(error).__name__}") from error
        # The file server does not say what a file is; its first bytes must match what the update declared.
        return check_media(data, item.content_type or "image/jpeg", policy)

    return fetch


# -- processing ------------------------------------------------------------------------------------------------


class TelegramPipeline(InboundPipeline):
    """The shared pipeline plus Telegram's own steps: the share-number offer after /start, and shared contacts."""

    def __init__(self, *, output_for: Callable[[str | None], TelegramOutput], **options: Any) -> None:
        """Create the pipeline; `output_for` makes the channel's output channel for a key prefix."""
        self._make_output = output_for
        self._turn_outputs: dict[str, TelegramOutput] = {}
        super().__init__(output_factory=self._output, **options)

    def _output(self, key_prefix: str | None) -> TelegramOutput:
        # One output channel per turn, so sentences added after Rasa's replies continue the turn's outbox keys.
        if key_prefix is None:
            return self._make_output(None)
        if key_prefix not in self._turn_outputs:
            self._turn_outputs[key_prefix] = self._make_output(key_prefix)
        return self._turn_outputs[key_prefix]

    def metadata_for(self, incoming: Incoming, stored: list[Any]) -> dict[str, Any]:
        """Return the Rasa metadata without the channel's private keys (a shared number never reaches Rasa)."""
        metadata = super().metadata_for(incoming, stored)
        for key in _PRIVATE_KEYS:
            metadata.pop(key, None)
        return metadata

    async def process(self, incoming: Incoming, *, recovered: bool = False) -> Outcome:
        """Process one update: contacts here, everything else through the shared pipeline."""
        key = reply_key(incoming.sender_id, incoming.external_id)
        action = incoming.metadata.get(ACTION_KEY)
        try:
            if action == "contact":
                await self._contact(incoming, self._output(key))
                return Outcome.DONE
            outcome = await super().process(incoming, recovered=recovered)
            if action == "start" and outcome is Outcome.DONE:
                await self._output(key).offer_contact(incoming.sender_id)
            return outcome
        finally:
            self._turn_outputs.pop(key, None)

    def _link(self, incoming: Incoming) -> bool:
        with session_scope(self._factory()) as session:
            return link_shared_number(
                session, user_id=incoming.address, phone=str(incoming.metadata.get(PHONE_KEY) or "")
            )

    async def _contact(self, incoming: Incoming, output: TelegramOutput) -> None:
        sender_id = incoming.sender_id
        await asyncio.to_thread(self._note_contact, incoming)
        if not incoming.metadata.get(PHONE_KEY):
            keyboard = contact_keyboard(channel_text("telegram_share_phone_button"))
            await output.send_sentence(sender_id, channel_text("telegram_phone_not_own"), keyboard)
            return
        linked = await asyncio.to_thread(self._link, incoming)
        logger.info("telegram: shared number %s for %s", "linked" if linked else "not matched", address_hash(sender_id))
        if not linked:
            await output.send_sentence(sender_id, channel_text("telegram_phone_unknown"))
            return
        await output.send_sentence(sender_id, channel_text("telegram_phone_matched"))
        agent = await self._agent()
        if agent is None or self._on_new_message is None:
            return  # the link stands; the next session identifies the tenant
        # A new session re-runs action_session_start, which now finds the linked tenant (`identified`).
        await self._on_new_message(
            UserMessage(
                SESSION_RESTART,
                output,
                sender_id,
                input_channel=self.input_channel,
                message_id=f"{incoming.external_id}:session",
                metadata=self.metadata_for(incoming, []),
            )
        )


# -- the input channel -----------------------------------------------------------------------------------------


class TelegramInput(InputChannel):
    """Tenants' Telegram messages, received by webhook from the Bot API."""

    rate_limit: ClassVar[RateLimit] = TELEGRAM_RATE_LIMIT

    def __init__(
        self,
        config: TelegramConfig,
        *,
        options: Mapping[str, Any] | None = None,
        bot: Bot | None = None,
        session_factory: Callable[[], Session] | None = None,
        replica: str | None = None,
        media_dir: Path | None = None,
        media_policy: MediaPolicy | None = None,
    ) -> None:
        """Create the channel (Rasa uses `from_credentials`; tests call this with temporary directories)."""
        self.config = config
        self.options = dict(options or {})
        self._session_factory = session_factory
        self.bot = bot or make_bot(config.token, config.api_base_url)
        self.sender = TelegramSender(self.bot)
        self.buttons = ButtonMemory()
        self.payloads = PayloadMemory()
        self.media_policy = media_policy or MediaPolicy()
        self._webhook_task: asyncio.Task[bool] | None = None
        self.pipeline = TelegramPipeline(
            output_for=self.make_output,
            input_channel=self.name(),
            channel=Channel.TELEGRAM,
            fetch_media=telegram_fetcher(self.bot),
            honour_keywords=False,
            media_policy=self.media_policy,
            buttons=self.buttons,
            replica=replica,
            media_dir=media_dir,
            session_factory=session_factory,
            turns=turns.shared(),
        )

    @classmethod
    def name(cls) -> str:
        """Return the channel's name, which is also its URL prefix (/webhooks/telegram/...)."""
        return "telegram"

    @classmethod
    def from_settings(cls, settings: Settings, options: Mapping[str, Any]) -> TelegramInput:
        """Build the channel from the environment's settings and credentials.yml options.

        Raises:
            ChannelNotConfigured: Naming every missing environment variable.
        """
        return cls(config_from_settings(settings), options=options)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the channel, or a disabled stand-in (logged once) when its settings are missing."""
        return build_or_disable(cls, credentials)

    def make_output(self, key_prefix: str | None) -> TelegramOutput:
        """Return an output channel for one turn (`key_prefix`) or a proactive send (None)."""
        return TelegramOutput(
            payloads=self.payloads, buttons=self.buttons, key_prefix=key_prefix, session_factory=self._session_factory
        )

    def get_output_channel(self) -> TelegramOutput:
        """Return an output channel for proactive sends (Rasa's `output_channel=latest`)."""
        return self.make_output(None)

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Return {"channel", "address"} of a webhook request (Rasa's hook; the pipeline sets the same)."""
        try:
            inbound = parse_update(json.loads((request.body or b"").decode("utf-8")))
        except (UnicodeDecodeError, ValueError):
            return None
        if inbound.user_id is None:
            return None
        return {"channel": Channel.TELEGRAM.value, "address": str(inbound.user_id)}

    # -- the webhook -------------------------------------------------------------------------------------------

    def incoming_for(self, inbound: Inbound) -> Incoming | None:
        """Return what the pipeline should process for an update, or None when it processes nothing."""
        if inbound.user_id is None or inbound.kind in (Kind.IGNORED, Kind.GROUP):
            return None
        address = str(inbound.user_id)
        external_id = str(inbound.update_id)
        base: dict[str, Any] = {"channel": Channel.TELEGRAM, "address": address, "external_id": external_id}
        if inbound.kind is Kind.CONTACT:
            private = {ACTION_KEY: "contact"}
            if inbound.contact_is_own and inbound.contact_phone:
                private[PHONE_KEY] = inbound.contact_phone
            return Incoming(**base, metadata=private)
        if inbound.kind is Kind.UNSUPPORTED:
            kind = MEDIA_KINDS.get(inbound.media or "", "other")
            return Incoming(**base, media=(MediaItem(ref=inbound.media or "media", kind=kind),))
        prepared = prepare_text(inbound.text or "")
        metadata: dict[str, Any] = {"card_number_masked": True} if prepared.card_number_masked else {}
        if inbound.kind is Kind.START:
            metadata[ACTION_KEY] = "start"
        media: tuple[MediaItem, ...] = ()
        if inbound.kind is Kind.PHOTO and inbound.photo_file_id:
            media = (MediaItem(ref=inbound.photo_file_id, content_type=inbound.photo_type, kind="image"),)
        return Incoming(**base, text=prepared.text, media=media, metadata=metadata)

    def _webhook_reply(self, inbound: Inbound) -> dict[str, Any] | None:
        """Return the Bot API call to make in the webhook's answer, if any."""
        if inbound.callback_query_id is not None:
            return {"method": "answerCallbackQuery", "callback_query_id": inbound.callback_query_id}
        if inbound.kind is Kind.GROUP and inbound.chat_id is not None:
            return {"method": "sendMessage", "chat_id": inbound.chat_id, "text": channel_text("telegram_group_chat")}
        return None

    async def handle_update(self, request: Request) -> HTTPResponse:
        """Check, parse and accept one update; acknowledge within milliseconds."""
        body = request.body or b""
        if len(body) > MAX_UPDATE_BYTES:
            logger.warning("telegram: refused an oversized request (%d bytes)", len(body))
            return response.text("request too large", status=413)
        if not secret_is_valid(request.headers.get(SECRET_HEADER), self.config.webhook_secret):
            logger.warning("telegram: refused a request with a missing or wrong secret token")
            return response.text("forbidden", status=403)
        try:
            inbound = parse_update(json.loads(body.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as error:  # NotAnUpdate is a ValueError
            reason = str(error) if isinstance(error, NotAnUpdate) else "the body is not JSON"
            logger.warning("telegram: refused a request: %s", reason)
            return response.text("bad request", status=400)
        reply = self._webhook_reply(inbound)
        incoming = self.incoming_for(inbound)
        if (
            incoming is not None
            and inbound.kind is Kind.BUTTON
            and not self.payloads.accepts(incoming.sender_id, inbound.text or "")
        ):
            logger.info("telegram: ignored a button press whose payload was never shown")
            incoming = None
        if incoming is not None:
            try:
                accepted = await self.pipeline.receive(incoming, request.app)
            except HousingError as error:
                logger.warning("telegram: refused an update: %s", type(error).__name__)
                return response.text("bad request", status=400)
            if not accepted:
                logger.info("telegram: acknowledged a repeated delivery")
        if reply is not None:
            return response.json(reply)
        return response.text("")

    # -- life cycle --------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Register the outbox sender and, with a public URL, the webhook (called when the server starts)."""
        register_sender(Channel.TELEGRAM, self.sender, self.rate_limit)
        if self.config.webhook_url() and self.options.get("set_webhook", True):
            self._webhook_task = asyncio.get_running_loop().create_task(self.register_webhook())

    async def register_webhook(self) -> bool:
        """Tell Telegram where to send updates, with the secret and the update types read; return success."""
        url = self.config.webhook_url()
        if url is None:
            return False
        try:
            await self.bot.request.initialize()
            done = await self.bot.set_webhook(
                url=url, secret_token=self.config.webhook_secret, allowed_updates=list(ALLOWED_UPDATES)
            )
        except TelegramError as error:
            logger.error("telegram: could not register the webhook with Telegram: %s", type(error).__name__)
            return False
        logger.info("telegram: webhook registered at %s", url)
        return bool(done)

    async def stop(self) -> None:
        """Close the bot's connections (called when the server stops)."""
        if self._webhook_task is not None and not self._webhook_task.done():
            self._webhook_task.cancel()
        await self.sender.close()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Return the channel's routes: GET / (health) and POST /webhook (updates)."""
        self.pipeline.bind(on_new_message)
        blueprint = Blueprint("tenantline_telegram", __name__)

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        # Sanic marks its handlers with attributes, which a bound method cannot carry: wrap it.
        async def webhook(request: Request) -> HTTPResponse:
            return await self.handle_update(request)

        blueprint.add_route(health, "/", methods=["GET"], name="health")
        blueprint.add_route(webhook, "/webhook", methods=["POST"], name="webhook")
        install_runtime(blueprint, self.pipeline, on_start=self.start, on_stop=self.stop)
        return blueprint
