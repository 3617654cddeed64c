"""What the SMS and WhatsApp channels share: both arrive through Twilio's Messaging webhooks.

- Authenticity: every POST must carry a valid X-Twilio-Signature, computed by Twilio over the public URL it
  called (TENANTLINE_PUBLIC_URL + the request path, so it works behind a proxy or tunnel) and the form fields.
  Otherwise 403, logged without personal data, and nothing is processed.
- Parsing: the form is decoded here, strictly (invalid UTF-8 is a 400) and keeping blank fields (Twilio sends
  `Body=` for a photo without a caption, and signs it). Bodies over 64 KB are refused with 413.
- Acknowledgement: the webhook answers an empty TwiML `<Response/>` as soon as the message is recorded;
  replies go out later through the REST API (the outbox), never in the webhook's answer.
- Sending: `TwilioSender` sends outbox rows with twilio's async client; TWILIO_API_BASE_URL points it at a fake
  server in tests. Every message asks for status callbacks at /webhooks/<channel>/status, which mark rows
  delivered.
- Media: photos are fetched from MediaUrlN with the account's credentials, and only from Twilio's API host (the
  credentials are never sent anywhere else, whatever a message claims).

Rasa builds the channels from credentials.yml (see `channels.core.registration`); their secrets come from the
environment: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_SMS_FROM / TWILIO_WHATSAPP_FROM and
TENANTLINE_PUBLIC_URL.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qsl

import aiohttp
from multidict import MultiDict
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.housing import outbox as outbox_service
from bot.housing.db import session_scope
from bot.housing.enums import Channel
from bot.housing.errors import HousingError, InvalidPhoneNumber, OutboxMessageNotFound
from bot.housing.validation import normalise_phone
from bot.settings import Settings
from channels.core import db, turns
from channels.core.buttons import ButtonMemory
from channels.core.media import IMAGE_TYPES, FetchedMedia, MediaItem, MediaPolicy, MediaRejected, base_type, download
from channels.core.output import OutboxOutputChannel
from channels.core.pipeline import InboundPipeline, Incoming
from channels.core.registration import ChannelNotConfigured, build_or_disable, install_runtime, missing_settings
from channels.intake import prepare_text
from channels.outbox import (
    OutgoingMessage,
    PermanentSendError,
    RateLimit,
    SendResult,
    TransientSendError,
    register_sender,
)

logger = logging.getLogger(__name__)
http_logger = logging.getLogger(f"{__name__}.http")
"""The Twilio client's own request log: at INFO, eight lines for every message sent (URL, headers).

The outbox records every send and its outcome, so this logger starts at WARNING, where the client's errors still
show; set it to INFO to see each request.
"""
http_logger.setLevel(logging.WARNING)

TWILIO_API_URL = "https://api.twilio.com"
MAX_FORM_BYTES = 64 * 1024
"""Twilio's message webhooks are a few kilobytes; anything far larger is not from Twilio."""
MAX_FORM_FIELDS = 200
MAX_MEDIA_ITEMS = 10
"""Twilio sends at most ten media items with one message."""
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
DELIVERED_STATUSES = frozenset({"delivered", "read"})
FAILED_STATUSES = frozenset({"failed", "undelivered"})
SEND_TIMEOUT_SECONDS = 15.0
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
"""Twilio creates one message for repeated requests carrying the same token (a retry after a lost answer)."""

_idempotency_token: contextvars.ContextVar[str | None] = contextvars.ContextVar("twilio_idempotency", default=None)


def idempotency_token(key: str) -> str:
    """Return the token sent to Twilio for an outbox key: a digest, so no phone number leaves in a header."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class IdempotentHttpClient(AsyncTwilioHttpClient):
    """Twilio's async HTTP client, adding the idempotency token of the message being sent to its request.

    The generated `messages.create_async` takes no headers, so the token travels in a context variable set by
    `TwilioSender.send` for the duration of one send. The client's own time-out is applied too: twilio 8.2's
    async client stores it but passes only the per-request one to aiohttp, whose default waits 5 minutes.
    """

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        """Send the request, with the current send's idempotency token when there is one."""
        token = _idempotency_token.get()
        if token is not None and method.upper() == "POST":
            kwargs["headers"] = {**(kwargs.get("headers") or {}), IDEMPOTENCY_HEADER: token}
        if kwargs.get("timeout") is None and len(args) < 5:  # (params, data, headers, auth, timeout)
            kwargs["timeout"] = self.timeout
        return await super().request(method, url, *args, **kwargs)


class BadRequest(ValueError):
    """Raised when a webhook request is malformed; the message says what was wrong (no personal data)."""


@dataclass(frozen=True)
class TwilioConfig:
    """One Twilio channel's settings."""

    account_sid: str
    auth_token: str
    from_address: str
    public_url: str
    api_base_url: str = TWILIO_API_URL

    def webhook_url(self, path: str) -> str:
        """Return the public URL Twilio calls for `path` ("/webhooks/twilio_sms/webhook")."""
        return self.public_url.rstrip("/") + path


def config_from_settings(settings: Settings, channel: str, from_setting: str) -> TwilioConfig:
    """Return a Twilio channel's settings.

    Raises:
        ChannelNotConfigured: Naming every missing environment variable.
    """
    missing = missing_settings(settings, "twilio_account_sid", "twilio_auth_token", from_setting, "public_url")
    if missing:
        raise ChannelNotConfigured(channel, missing)
    token = settings.twilio_auth_token
    assert token is not None and settings.twilio_account_sid and settings.public_url
    return TwilioConfig(
        account_sid=settings.twilio_account_sid,
        auth_token=token.get_secret_value(),
        from_address=str(getattr(settings, from_setting)),
        public_url=settings.public_url,
        api_base_url=settings.twilio_api_base_url or TWILIO_API_URL,
    )


# -- requests --------------------------------------------------------------------------------------------------


def parse_form(request: Request) -> MultiDict[str]:
    """Decode a Twilio webhook's url-encoded form, keeping blank fields.

    Raises:
        BadRequest: For another content type, invalid UTF-8 or too many fields.
    """
    content_type = base_type(request.headers.get("content-type"))
    if content_type != "application/x-www-form-urlencoded":
        raise BadRequest("not a form")
    try:
        text = (request.body or b"").decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError as error:
        raise BadRequest("form is not valid UTF-8") from error
    except ValueError as error:
        raise BadRequest("too many form fields") from error
    return MultiDict(pairs)


def signature_is_valid(request: Request, form: MultiDict[str], config: TwilioConfig) -> bool:
    """Return whether the request carries Twilio's signature over the public URL and the form."""
    signature = request.headers.get("X-Twilio-Signature")
    if not signature:
        return False
    url = config.webhook_url(request.path)
    if request.query_string:
        url = f"{url}?{request.query_string}"
    return bool(RequestValidator(config.auth_token).validate(url, form, signature))


def media_kind(content_type: str | None, policy: MediaPolicy) -> str:
    """Return the `MediaItem.kind` of a Twilio media type ("image" only for photos the policy accepts)."""
    kind = base_type(content_type)
    if kind in policy.allowed_types:
        return "image"
    major = kind.split("/")[0]
    if major in ("audio", "video"):
        return major
    if kind in ("text/vcard", "text/x-vcard"):
        return "contact"
    if major in ("application", "text"):
        return "document"
    return "other"


def twiml_ack() -> HTTPResponse:
    """Return the empty TwiML answer: received, nothing to say in the webhook's reply."""
    return response.text(EMPTY_TWIML, content_type="text/xml")


# -- sending ---------------------------------------------------------------------------------------------------


class TwilioSender:
    """Sends outbox rows through Twilio's Messages API with the async client."""

    def __init__(self, config: TwilioConfig, *, status_path: str, address_prefix: str = "") -> None:
        """Create a sender.

        Args:
            config: The channel's settings.
            status_path: Path of the status-callback route ("/webhooks/twilio_sms/status").
            address_prefix: Prefix Twilio needs on both numbers ("whatsapp:" for WhatsApp, "" for SMS).
        """
        self.config = config
        self.status_path = status_path
        self.address_prefix = address_prefix
        self._client: Client | None = None
        self._http: AsyncTwilioHttpClient | None = None

    def client(self) -> Client:
        """Return the Twilio client, created on first use inside the running event loop."""
        if self._client is None:
            self._http = IdempotentHttpClient(timeout=SEND_TIMEOUT_SECONDS, logger=http_logger)
            self._client = Client(self.config.account_sid, self.config.auth_token, http_client=self._http)
            self._client.api.base_url = self.config.api_base_url.rstrip("/")
        return self._client

    async def close(self) -> None:
        """Close the HTTP session (server shutdown)."""
        if self._http is not None:
            await self._http.close()
        self._http = None
        self._client = None

    def _address(self, value: str) -> str:
        if self.address_prefix and not value.startswith(self.address_prefix):
            return f"{self.address_prefix}{value}"
        return value

    async def create(self, **fields: Any) -> SendResult:
        """Create one Twilio message; classify failures for the outbox.

        Raises:
            TransientSendError: Network errors, timeouts, 429 and 5xx answers.
            PermanentSendError: Any other refusal (invalid number, blocked, unsubscribed recipient...).
        """
        try:
            created = await self.client().messages.create_async(
                from_=self._address(self.config.from_address),
                status_callback=self.config.webhook_url(self.status_path),
                **fields,
            )
        except TwilioRestException as error:
            detail = f"Twilio {error.status} error {error.code}"
            if error.status == 429 or error.status >= 500:
                raise TransientSendError(detail) from error
            raise PermanentSendError(detail) from error
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            raise TransientSendError(f"network error: {type(error).__name__}") from error
        return SendResult(provider_message_id=str(created.sid) if created.sid else None)

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Send an outbox row: its template when it names one, otherwise its text.

        Every attempt carries the row's idempotency token, so a retry after a time-out whose request Twilio did
        receive does not send the tenant the message twice.
        """
        reset = _idempotency_token.set(idempotency_token(message.idempotency_key) if message.idempotency_key else None)
        try:
            return await self._send(message)
        finally:
            _idempotency_token.reset(reset)

    async def _send(self, message: OutgoingMessage) -> SendResult:
        if message.template_name:
            return await self.create(
                to=self._address(message.to),
                content_sid=message.template_name,
                content_variables=json.dumps(message.template_variables or {}),
            )
        return await self.create(to=self._address(message.to), body=message.body)


def twilio_fetcher(config: TwilioConfig) -> Callable[[MediaItem, MediaPolicy], Awaitable[FetchedMedia]]:
    """Return a media fetcher that downloads Twilio media with the account's credentials."""
    allowed_prefix = config.api_base_url.rstrip("/") + "/"

    async def fetch(item: MediaItem, policy: MediaPolicy) -> FetchedMedia:
        if not item.ref.startswith(allowed_prefix):
            # Never send the account's credentials to a host that is not Twilio's API.
            raise MediaRejected("failed", "media URL is not on Twilio's API host")
        return await download(
            item.ref, policy=policy, auth=(config.account_sid, config.auth_token), declared_type=item.content_type
        )

    return fetch


# -- the input channel -----------------------------------------------------------------------------------------

T = TypeVar("T", bound="TwilioInput")


class TwilioInput(InputChannel):
    """Base of the Twilio input channels: routes, signature checks, parsing, and the channel's pipeline.

    Subclasses set `channel`, `from_setting` (the Settings field of the sending number), `address_prefix`,
    `output_class`, `rate_limit`, and implement `name()`.
    """

    channel: ClassVar[Channel]
    from_setting: ClassVar[str]
    address_prefix: ClassVar[str] = ""
    output_class: ClassVar[type[OutboxOutputChannel]]
    rate_limit: ClassVar[RateLimit] = RateLimit(overall_per_second=10.0)

    def __init__(
        self,
        config: TwilioConfig,
        *,
        options: Mapping[str, Any] | None = None,
        session_factory: Callable[[], Session] | None = None,
        replica: str | None = None,
        media_dir: Path | None = None,
        media_policy: MediaPolicy | None = None,
    ) -> None:
        """Create the channel (Rasa uses `from_credentials`; tests call this with temporary directories)."""
        self.config = config
        self.options = dict(options or {})
        self._session_factory = session_factory
        self.buttons = ButtonMemory()
        self.media_policy = media_policy or MediaPolicy(allowed_types=IMAGE_TYPES)
        self.sender = self.make_sender()
        self.pipeline = InboundPipeline(
            input_channel=self.name(),
            channel=self.channel,
            output_factory=self.make_output,
            fetch_media=twilio_fetcher(config),
            honour_keywords=True,
            media_policy=self.media_policy,
            buttons=self.buttons,
            replica=replica,
            media_dir=media_dir,
            session_factory=session_factory,
            turns=turns.shared(),
        )

    # -- construction ------------------------------------------------------------------------------------------

    @classmethod
    def from_settings(cls: type[T], settings: Settings, options: Mapping[str, Any]) -> T:
        """Build the channel from the environment's settings and credentials.yml options.

        Raises:
            ChannelNotConfigured: Naming every missing environment variable.
        """
        return cls(config_from_settings(settings, cls.name(), cls.from_setting), options=options)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the channel, or a disabled stand-in (logged once) when its settings are missing."""
        return build_or_disable(cls, credentials)

    def make_sender(self) -> TwilioSender:
        """Return the channel's outbox sender."""
        return TwilioSender(
            self.config, status_path=f"/webhooks/{self.name()}/status", address_prefix=self.address_prefix
        )

    def make_output(self, key_prefix: str | None) -> OutboxOutputChannel:
        """Return an output channel for one turn (`key_prefix`) or a proactive send (None)."""
        return self.output_class(buttons=self.buttons, key_prefix=key_prefix, session_factory=self._session_factory)

    def get_output_channel(self) -> OutboxOutputChannel:
        """Return an output channel for proactive sends (Rasa's `output_channel=latest`)."""
        return self.make_output(None)

    def _factory(self) -> Callable[[], Session]:
        return self._session_factory or db.session_factory()

    # -- parsing -----------------------------------------------------------------------------------------------

    def parse_address(self, raw: str | None) -> str:
        """Return the sender's E.164 number from Twilio's From field.

        Raises:
            BadRequest: If From is missing, belongs to the other Twilio channel, or is not a phone number.
        """
        value = (raw or "").strip()
        if not value:
            raise BadRequest("From is missing")
        if value.lower().startswith("whatsapp:") != (self.address_prefix == "whatsapp:"):
            raise BadRequest("From belongs to another channel")
        try:
            return normalise_phone(value)
        except InvalidPhoneNumber as error:
            raise BadRequest("From is not a phone number") from error

    def parse_incoming(self, form: MultiDict[str]) -> Incoming:
        """Build the `Incoming` message from a Twilio webhook form.

        Raises:
            BadRequest: For a missing MessageSid, From or Body, or a malformed NumMedia.
        """
        external_id = (form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
        if not external_id or len(external_id) > 64:
            raise BadRequest("MessageSid is missing or malformed")
        address = self.parse_address(form.get("From"))
        body = form.get("Body")
        if body is None:
            raise BadRequest("Body is missing")
        try:
            count = int(form.get("NumMedia") or "0")
        except ValueError as error:
            raise BadRequest("NumMedia is not a number") from error
        if not 0 <= count <= MAX_MEDIA_ITEMS:
            raise BadRequest("NumMedia is out of range")
        media: list[MediaItem] = []
        for index in range(count):
            url = form.get(f"MediaUrl{index}")
            if not url:
                raise BadRequest(f"MediaUrl{index} is missing")
            content_type = form.get(f"MediaContentType{index}")
            media.append(
                MediaItem(ref=url, content_type=content_type, kind=media_kind(content_type, self.media_policy))
            )
        if form.get("Latitude") and form.get("Longitude"):
            media.append(MediaItem(ref="location", kind="location"))
        # Some carriers turn "@" into "¡" (the two share a code in GSM-7).
        text = prepare_text(body.replace("¡", "@")).text
        return Incoming(
            channel=self.channel,
            address=address,
            external_id=external_id,
            text=text,
            media=tuple(media),
            metadata=self.extra_metadata(form),
        )

    def extra_metadata(self, form: MultiDict[str]) -> dict[str, Any]:
        """Return channel-specific metadata for Rasa (none by default)."""
        return {}

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Return {"channel", "address"} of a webhook request (Rasa's hook; the pipeline sets the same)."""
        try:
            incoming = self.parse_incoming(parse_form(request))
        except BadRequest:
            return None
        return {"channel": incoming.channel.value, "address": incoming.address, **incoming.metadata}

    # -- routes ------------------------------------------------------------------------------------------------

    def _checked_form(self, request: Request) -> MultiDict[str] | HTTPResponse:
        """Return the form of an authentic request, or the error response to give."""
        if len(request.body or b"") > MAX_FORM_BYTES:
            logger.warning("%s: refused an oversized request (%d bytes)", self.name(), len(request.body))
            return response.text("request too large", status=413)
        try:
            form = parse_form(request)
        except BadRequest as error:
            # An unparsable body cannot carry a valid signature either; say why without echoing it.
            logger.warning("%s: refused a request: %s", self.name(), error)
            return response.text("bad request", status=400)
        if not signature_is_valid(request, form, self.config):
            logger.warning("%s: refused a request with a missing or invalid Twilio signature", self.name())
            return response.text("forbidden", status=403)
        return form

    async def handle_message(self, request: Request) -> HTTPResponse:
        """Check, parse and accept an incoming message; acknowledge within milliseconds."""
        checked = self._checked_form(request)
        if isinstance(checked, HTTPResponse):
            return checked
        try:
            incoming = self.parse_incoming(checked)
        except BadRequest as error:
            logger.warning("%s: refused a signed but malformed message: %s", self.name(), error)
            return response.text("bad request", status=400)
        try:
            accepted = await self.pipeline.receive(incoming, request.app)
        except HousingError as error:
            logger.warning("%s: refused a message: %s", self.name(), type(error).__name__)
            return response.text("bad request", status=400)
        if not accepted:
            logger.info("%s: acknowledged a repeated delivery", self.name())
        return twiml_ack()

    def _record_status(self, provider_id: str, status: str) -> None:
        with session_scope(self._factory()) as session:
            outbox_service.mark_delivered(session=session, provider_message_id=provider_id)

    async def handle_status(self, request: Request) -> HTTPResponse:
        """Record a status callback: delivered (or read) marks the outbox row delivered; failures are logged."""
        checked = self._checked_form(request)
        if isinstance(checked, HTTPResponse):
            return checked
        provider_id = (checked.get("MessageSid") or checked.get("SmsSid") or "").strip()
        status = (checked.get("MessageStatus") or checked.get("SmsStatus") or "").strip().lower()
        if not provider_id or not status:
            return response.text("bad request", status=400)
        if status in DELIVERED_STATUSES:
            try:
                await asyncio.to_thread(self._record_status, provider_id, status)
            except OutboxMessageNotFound:
                logger.info("%s: status for a message that is not in the outbox", self.name())
        elif status in FAILED_STATUSES:
            logger.warning(
                "%s: Twilio reports message %s %s (error %s)",
                self.name(),
                provider_id,
                status,
                checked.get("ErrorCode") or "none",
            )
        return response.text("", status=204)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Return the channel's routes: GET / (health), POST /webhook (messages), POST /status (callbacks)."""
        self.pipeline.bind(on_new_message)
        blueprint = Blueprint(f"tenantline_{self.name()}", __name__)

        # Sanic needs plain functions as handlers (it tags them), so the methods are wrapped.
        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            return await self.handle_message(request)

        @blueprint.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            return await self.handle_status(request)

        install_runtime(blueprint, self.pipeline, on_start=self.register_sender, on_stop=self.sender.close)
        return blueprint

    def register_sender(self) -> None:
        """Make this channel's sender the one the process's outbox dispatcher uses."""
        register_sender(self.channel, self.sender, self.rate_limit)
