"""The tenant simulator: a web page (GET /webhooks/simulator/) for trying TenantLine as one of the demo tenants.

Someone trying TenantLine picks a demo tenant and texts the assistant as them. The page's messages take the same
path as a real text message: the server side builds the form Twilio would post, signs it with the Twilio auth
token, and posts it to /webhooks/twilio_sms/webhook; the replies are what the tenant's phone received, read back
from the local stand-in for Twilio (bot/phone_network.py), which the SMS channel's outbox sender talks to. So the
simulator exercises signature checks, de-duplication, keywords, numbered options, photos and the outbox exactly
as production does.

It is for demos only, and it can only exist in one: the channel registers only when Twilio's API is the local
phone network (TWILIO_API_BASE_URL on 127.0.0.1 or localhost), and it only lets the page text from numbers in
Ofcom's drama range (07700 900000 to 900999), which the demo data uses and no real phone has. `tenantline run`
sets that up when no real Twilio account is configured.

Routes (under /webhooks/simulator): `GET /` the page, `GET /simulator.js` and `GET /simulator.css` its script and
style, `GET /tenants` the demo tenants, `POST /send` a text (JSON {"number", "text"}), `POST /photo?number=...`
a photo (the image as the body) with an optional caption (`&caption=...`), `GET /messages?number=...&after=...`
what that phone has received.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from bot.housing import tenancies, tenants
from bot.housing.db import session_scope
from bot.housing.errors import InvalidPhoneNumber
from bot.housing.validation import normalise_phone
from bot.settings import Settings
from channels.core import db
from channels.core.registration import ChannelNotConfigured, build_or_disable, missing_settings

logger = logging.getLogger(__name__)

DEMO_NUMBER = re.compile(r"^\+447700900\d{3}$")
"""Ofcom's drama range: the only numbers the simulator lets anyone text from."""
SMS_WEBHOOK_PATH = "/webhooks/twilio_sms/webhook"
MAX_TEXT = 1600
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic"})
TIMEOUT = aiohttp.ClientTimeout(total=15)
_ASSETS = Path(__file__).resolve().parent
_PAGE_SECURITY = {
    # Everything the page shows is tenant or assistant text; it is only ever inserted as text, and the policy
    # forbids inline script and any other origin in case that ever changes.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class SimulatorConfig:
    """What the simulator needs: Twilio's demo settings and the public URL the SMS channel signs against."""

    account_sid: str
    auth_token: str
    sms_from: str
    public_url: str
    phone_network_url: str

    def webhook_url(self) -> str:
        """Return the URL the SMS channel checks signatures against."""
        return self.public_url.rstrip("/") + SMS_WEBHOOK_PATH


def is_local_url(url: str) -> bool:
    """Return whether `url` points at this machine (a loopback address or "localhost")."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def config_from_settings(settings: Settings) -> SimulatorConfig:
    """Return the simulator's settings.

    Raises:
        ChannelNotConfigured: When a Twilio setting is missing, or Twilio's API is not the local phone network.
    """
    missing = missing_settings(
        settings, "twilio_account_sid", "twilio_auth_token", "twilio_sms_from", "public_url", "twilio_api_base_url"
    )
    if missing:
        raise ChannelNotConfigured("simulator", missing)
    assert settings.twilio_auth_token is not None and settings.twilio_api_base_url and settings.public_url
    if not is_local_url(settings.twilio_api_base_url):
        raise ChannelNotConfigured("simulator", ["TWILIO_API_BASE_URL pointing at the demo phone network"])
    return SimulatorConfig(
        account_sid=str(settings.twilio_account_sid),
        auth_token=settings.twilio_auth_token.get_secret_value(),
        sms_from=str(settings.twilio_sms_from),
        public_url=settings.public_url,
        phone_network_url=settings.twilio_api_base_url.rstrip("/"),
    )


def demo_number(raw: Any) -> str | None:
    """Return `raw` as an E.164 number in the drama range, or None for anything else."""
    try:
        number = normalise_phone(str(raw or ""))
    except InvalidPhoneNumber:
        return None
    return number if DEMO_NUMBER.match(number) else None


def national(number: str) -> str:
    """Return "+447700900001" as a phone shows it: "07700 900001"."""
    digits = "0" + number.removeprefix("+44")
    return f"{digits[:5]} {digits[5:]}"


def demo_tenants(session: Session) -> list[dict[str, str]]:
    """Return the tenants a demo visitor can be: drama-range mobile and a current tenancy, with check answers."""
    found = []
    for tenant in tenants.list(session=session, limit=1000):
        if not tenant.phone or not DEMO_NUMBER.match(tenant.phone):
            continue
        current = tenancies.list(session=session, tenant_id=tenant.id, current_only=True, limit=1)
        if not current:
            continue
        found.append(
            {
                "name": tenant.full_name,
                "number": tenant.phone,
                "display_number": national(tenant.phone),
                "tenancy_reference": current[0].reference,
                "postcode": current[0].property.postcode,
                "date_of_birth": tenant.date_of_birth.strftime("%d/%m/%Y"),
            }
        )
    return found


def twilio_form(
    config: SimulatorConfig,
    *,
    number: str,
    text: str,
    media: tuple[str, str] | None = None,
) -> dict[str, str]:
    """Return the fields Twilio posts for an SMS (or MMS with one photo) from `number` to TenantLine's number."""
    sid = ("MM" if media else "SM") + secrets.token_hex(16)
    form = {
        "ToCountry": "GB",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "1" if media else "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": text,
        "FromCountry": "GB",
        "To": config.sms_from,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": config.account_sid,
        "From": number,
        "ApiVersion": "2010-04-01",
    }
    if media:
        form["MediaUrl0"], form["MediaContentType0"] = media
    return form


class SimulatorInput(InputChannel):
    """Serves the simulator page and relays its messages as signed Twilio webhooks."""

    def __init__(
        self,
        config: SimulatorConfig,
        *,
        session_factory: Callable[[], Session] | None = None,
        webhook_base_url: str | None = None,
    ) -> None:
        """Create the channel.

        Args:
            config: The demo Twilio settings.
            session_factory: The housing database (default: the channels' configured one).
            webhook_base_url: Where to post the webhooks (default: this server, on the port the page came in on).
        """
        self.config = config
        self._session_factory = session_factory
        self.webhook_base_url = webhook_base_url

    @classmethod
    def name(cls) -> str:
        """Return the channel's name, which is also its URL prefix (/webhooks/simulator/...)."""
        return "simulator"

    @classmethod
    def from_settings(cls, settings: Settings, options: Mapping[str, Any]) -> SimulatorInput:
        """Build the simulator from the settings.

        Raises:
            ChannelNotConfigured: Unless Twilio is configured and its API is the local phone network.
        """
        return cls(config_from_settings(settings))

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the simulator, or a disabled stand-in (logged once) outside a demo."""
        return build_or_disable(cls, credentials)

    def _factory(self) -> Callable[[], Session]:
        return self._session_factory or db.session_factory()

    def _tenants(self) -> list[dict[str, str]]:
        with session_scope(self._factory()) as session:
            return demo_tenants(session)

    # -- relaying ----------------------------------------------------------------------------------------------

    def _webhook_target(self, request: Request) -> str:
        port = request.conn_info.server_port if request.conn_info is not None else request.server_port
        base = self.webhook_base_url or f"http://127.0.0.1:{port}"
        return base.rstrip("/") + SMS_WEBHOOK_PATH

    async def relay(self, request: Request, form: dict[str, str]) -> int:
        """Sign `form` as Twilio would and post it to the SMS webhook; return the webhook's status."""
        signature = RequestValidator(self.config.auth_token).compute_signature(self.config.webhook_url(), form)
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as client,
            client.post(self._webhook_target(request), data=form, headers={"X-Twilio-Signature": signature}) as answer,
        ):
            await answer.read()
            return answer.status

    async def _upload(self, data: bytes, content_type: str) -> str:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as client,
            client.post(
                f"{self.config.phone_network_url}/phone/media", data=data, headers={"Content-Type": content_type}
            ) as answer,
        ):
            if answer.status != 201:
                raise RuntimeError(f"the phone network refused the photo ({answer.status})")
            return str((await answer.json())["url"])

    # -- routes ------------------------------------------------------------------------------------------------

    async def page(self, request: Request) -> HTTPResponse:
        """Serve the page."""
        return await self._asset("simulator.html", "text/html; charset=utf-8")

    async def _asset(self, name: str, content_type: str) -> HTTPResponse:
        text = await asyncio.to_thread((_ASSETS / name).read_text, encoding="utf-8")
        return response.text(text, content_type=content_type, headers=_PAGE_SECURITY)

    async def tenants(self, request: Request) -> HTTPResponse:
        """List the demo tenants, with the answers to their identity checks (fictional people)."""
        found = await asyncio.to_thread(self._tenants)
        return response.json({"tenants": found, "assistant_number": national(self.config.sms_from)})

    async def send(self, request: Request) -> HTTPResponse:
        """Text the assistant as a demo tenant: JSON {"number": "+447700900001", "text": "..."}."""
        body = request.json if isinstance(request.json, dict) else {}
        number = demo_number(body.get("number"))
        text = body.get("text")
        if number is None:
            return response.json({"error": "pick one of the demo tenants"}, status=400)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            return response.json({"error": f"type a message of up to {MAX_TEXT} characters"}, status=400)
        status = await self.relay(request, twilio_form(self.config, number=number, text=text))
        if status != 200:
            logger.warning("simulator: the SMS webhook answered %d", status)
            return response.json({"error": "the SMS channel did not accept the message"}, status=502)
        return response.json({"sent": True})

    async def photo(self, request: Request) -> HTTPResponse:
        """Send a photo by MMS as a demo tenant: the image is the body; `number` and `caption` in the query."""
        number = demo_number(request.args.get("number"))
        caption = str(request.args.get("caption") or "")[:MAX_TEXT]
        content_type = str(request.headers.get("content-type") or "").split(";")[0].strip().lower()
        data = request.body or b""
        if number is None:
            return response.json({"error": "pick one of the demo tenants"}, status=400)
        if content_type not in PHOTO_TYPES or not data:
            return response.json({"error": "send a JPEG, PNG, WebP or HEIC photo"}, status=415)
        if len(data) > MAX_PHOTO_BYTES:
            return response.json({"error": "that photo is over 10 MB"}, status=413)
        try:
            url = await self._upload(data, content_type)
        except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, KeyError, ValueError):
            logger.exception("simulator: could not hand the photo to the phone network")
            return response.json({"error": "the phone network is not answering"}, status=502)
        form = twilio_form(self.config, number=number, text=caption, media=(url, content_type))
        status = await self.relay(request, form)
        if status != 200:
            return response.json({"error": "the SMS channel did not accept the photo"}, status=502)
        return response.json({"sent": True})

    async def messages(self, request: Request) -> HTTPResponse:
        """Return what a demo tenant's phone received after message `after`."""
        number = demo_number(request.args.get("number"))
        if number is None:
            return response.json({"error": "pick one of the demo tenants"}, status=400)
        try:
            after = max(0, int(request.args.get("after") or 0))
        except ValueError:
            after = 0
        try:
            async with (
                aiohttp.ClientSession(timeout=TIMEOUT) as client,
                client.get(
                    f"{self.config.phone_network_url}/phone/messages", params={"number": number, "after": str(after)}
                ) as answer,
            ):
                found = await answer.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return response.json({"error": "the phone network is not answering"}, status=502)
        received = [
            {"id": int(item["id"]), "body": str(item.get("body") or ""), "at": str(item.get("at") or "")}
            for item in found.get("messages", [])
            if isinstance(item, dict) and "id" in item
        ]
        return response.json({"messages": received})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Return the simulator's routes (it never calls Rasa itself: the SMS channel does)."""
        blueprint = Blueprint("tenantline_simulator", __name__)

        async def page(request: Request) -> HTTPResponse:
            return await self.page(request)

        async def script(request: Request) -> HTTPResponse:
            return await self._asset("simulator.js", "text/javascript; charset=utf-8")

        async def style(request: Request) -> HTTPResponse:
            return await self._asset("simulator.css", "text/css; charset=utf-8")

        async def list_tenants(request: Request) -> HTTPResponse:
            return await self.tenants(request)

        async def send(request: Request) -> HTTPResponse:
            return await self.send(request)

        async def photo(request: Request) -> HTTPResponse:
            return await self.photo(request)

        async def messages(request: Request) -> HTTPResponse:
            return await self.messages(request)

        blueprint.add_route(page, "/", methods=["GET"], name="page")
        blueprint.add_route(script, "/simulator.js", methods=["GET"], name="script")
        blueprint.add_route(style, "/simulator.css", methods=["GET"], name="style")
        blueprint.add_route(list_tenants, "/tenants", methods=["GET"], name="tenants")
        blueprint.add_route(send, "/send", methods=["POST"], name="send")
        blueprint.add_route(photo, "/photo", methods=["POST"], name="photo")
        blueprint.add_route(messages, "/messages", methods=["GET"], name="messages")
        return blueprint
