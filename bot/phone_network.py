"""A pretend phone network for demos: a local stand-in for Twilio's Messages API that keeps each phone's texts.

`tenantline run` starts it when no real Twilio account is configured, and points TenantLine's Twilio settings at
it (see `demo_environment`). TenantLine then sends SMS exactly as it would in production, through the outbox and
the twilio client, and the tenant simulator (channels/simulator.py) reads back what each fictional phone received.
Nothing leaves the machine: it listens on 127.0.0.1 only, and it is not meant to run anywhere real.

What it answers, the way Twilio does:

- ``POST /2010-04-01/Accounts/<sid>/Messages.json`` (HTTP Basic auth with the account SID and auth token): record
  the message, answer 201 with a message resource, then post signed ``sent`` and ``delivered`` status callbacks
  to the message's ``StatusCallback`` URL, if it gave one.
- ``GET /2010-04-01/Accounts/<sid>/Messages/<MM sid>/Media/<ME sid>`` (same auth): a photo a simulated phone
  sent by MMS.

And for the simulator (no Twilio equivalent):

- ``GET /phone/messages?number=<E.164>&after=<id>``: the texts that number received after message `after`.
- ``POST /phone/media`` (raw image body, Content-Type header): keep a photo and return the URL Twilio would
  have given it, for an MMS the simulator is about to send.
- ``GET /health``.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import itertools
import json
import logging
import secrets
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from twilio.request_validator import RequestValidator

from bot.runner import Service

logger = logging.getLogger(__name__)

DEFAULT_PORT = 5099
DEMO_ACCOUNT_SID = "AC" + "0" * 32
"""Obviously fake: real account SIDs are "AC" and 32 hexadecimal characters of Twilio's choosing."""
DEMO_SMS_FROM = "+447700900999"
"""TenantLine's own number in the demo, in Ofcom's drama range like every demo tenant's."""
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_STORED_MESSAGES = 5000
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic"})
API_VERSION = "2010-04-01"


@dataclass(frozen=True)
class PhoneMessage:
    """A text the network delivered to a phone."""

    id: int
    sid: str
    to: str
    from_: str
    body: str
    at: str
    media_urls: list[str] = field(default_factory=list)


@dataclass
class Network:
    """The network's memory: every message sent, and the photos simulated phones uploaded."""

    account_sid: str
    auth_token: str
    messages: list[PhoneMessage] = field(default_factory=list)
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)
    callback_delay: float = 0.2

    def record(self, *, to: str, from_: str, body: str, media_urls: list[str]) -> PhoneMessage:
        """Keep a message sent to `to` and return it."""
        with self.lock:
            message = PhoneMessage(
                id=next(self.ids),
                sid="SM" + secrets.token_hex(16),
                to=to,
                from_=from_,
                body=body,
                at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                media_urls=media_urls,
            )
            self.messages.append(message)
            # A demo left running for days should not grow without bound.
            del self.messages[:-MAX_STORED_MESSAGES]
            return message

    def received_by(self, number: str, *, after: int = 0) -> list[PhoneMessage]:
        """Return the messages `number` received (any "whatsapp:" prefix ignored) with an id above `after`."""
        wanted = _bare(number)
        with self.lock:
            return [m for m in self.messages if _bare(m.to) == wanted and m.id > after]


def _bare(address: str) -> str:
    return address.removeprefix("whatsapp:").strip()


def _twilio_error(status: HTTPStatus, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class _Handler(BaseHTTPRequestHandler):
    server: PhoneNetworkServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("phone network: " + format, *args)

    # -- routing ---------------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/health":
            self._json(HTTPStatus.OK, {"status": "ok"})
        elif parts.path == "/phone/messages":
            self._phone_messages(parse_qs(parts.query))
        elif parts.path.startswith(f"/{API_VERSION}/Accounts/") and "/Media/" in parts.path:
            self._media(parts.path)
        else:
            self._json(HTTPStatus.NOT_FOUND, _twilio_error(HTTPStatus.NOT_FOUND, 20404, "Not found"))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        network = self.server.network
        if path == f"/{API_VERSION}/Accounts/{network.account_sid}/Messages.json":
            self._send_message()
        elif path == "/phone/media":
            self._store_media()
        else:
            self._json(HTTPStatus.NOT_FOUND, _twilio_error(HTTPStatus.NOT_FOUND, 20404, "Not found"))

    # -- Twilio's API ----------------------------------------------------------------------------------------

    def _authorised(self) -> bool:
        network = self.server.network
        expected = "Basic " + base64.b64encode(f"{network.account_sid}:{network.auth_token}".encode()).decode()
        return hmac.compare_digest(self.headers.get("Authorization") or "", expected)

    def _send_message(self) -> None:
        if not self._authorised():
            self._json(HTTPStatus.UNAUTHORIZED, _twilio_error(HTTPStatus.UNAUTHORIZED, 20003, "Authenticate"))
            return
        body = self._body()
        if body is None:
            return
        form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        to = (form.get("To") or [""])[0]
        sender = (form.get("From") or [""])[0]
        text = (form.get("Body") or [""])[0]
        media_urls = form.get("MediaUrl") or []
        if not to:
            self._json(
                HTTPStatus.BAD_REQUEST,
                _twilio_error(HTTPStatus.BAD_REQUEST, 21604, "A 'To' phone number is required."),
            )
            return
        if not text and not media_urls and not form.get("ContentSid"):
            self._json(
                HTTPStatus.BAD_REQUEST,
                _twilio_error(HTTPStatus.BAD_REQUEST, 21602, "Message body is required."),
            )
            return
        network = self.server.network
        message = network.record(to=to, from_=sender, body=text, media_urls=media_urls)
        created = format_datetime(datetime.now(timezone.utc), usegmt=True)
        resource: dict[str, Any] = {
            "sid": message.sid,
            "account_sid": network.account_sid,
            "to": to,
            "from": sender,
            "body": text,
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "num_media": str(len(media_urls)),
            "api_version": API_VERSION,
            "date_created": created,
            "date_updated": created,
            "date_sent": None,
            "price": None,
            "price_unit": "GBP",
            "error_code": None,
            "error_message": None,
            "messaging_service_sid": None,
            "uri": f"/{API_VERSION}/Accounts/{network.account_sid}/Messages/{message.sid}.json",
            "subresource_uris": {},
        }
        self._json(HTTPStatus.CREATED, resource)
        callback = (form.get("StatusCallback") or [""])[0]
        if callback:
            timer = threading.Timer(network.callback_delay, _report_status, (network, callback, message))
            timer.daemon = True
            timer.start()

    def _media(self, path: str) -> None:
        if not self._authorised():
            self._json(HTTPStatus.UNAUTHORIZED, _twilio_error(HTTPStatus.UNAUTHORIZED, 20003, "Authenticate"))
            return
        stored = self.server.network.media.get(path)
        if stored is None:
            self._json(HTTPStatus.NOT_FOUND, _twilio_error(HTTPStatus.NOT_FOUND, 20404, "Not found"))
            return
        content_type, content = stored
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    # -- the simulator's side --------------------------------------------------------------------------------

    def _phone_messages(self, query: dict[str, list[str]]) -> None:
        number = (query.get("number") or [""])[0]
        try:
            after = int((query.get("after") or ["0"])[0])
        except ValueError:
            after = 0
        if not number:
            self._json(HTTPStatus.BAD_REQUEST, {"error": "number is required"})
            return
        found = self.server.network.received_by(number, after=after)
        self._json(HTTPStatus.OK, {"messages": [_public(message) for message in found]})

    def _store_media(self) -> None:
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type not in IMAGE_TYPES:
            self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send a JPEG, PNG, WebP or HEIC photo"})
            return
        body = self._body()
        if body is None:
            return
        if not body:
            self._json(HTTPStatus.BAD_REQUEST, {"error": "the photo is empty"})
            return
        network = self.server.network
        message_sid = "MM" + secrets.token_hex(16)
        media_sid = "ME" + secrets.token_hex(16)
        path = f"/{API_VERSION}/Accounts/{network.account_sid}/Messages/{message_sid}/Media/{media_sid}"
        with network.lock:
            network.media[path] = (content_type, body)
        self._json(HTTPStatus.CREATED, {"url": self.server.base_url + path, "content_type": content_type})

    # -- plumbing --------------------------------------------------------------------------------------------

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "request too large"})
            return None
        return self.rfile.read(length) if length else b""

    def _json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _public(message: PhoneMessage) -> dict[str, Any]:
    data = asdict(message)
    data["from"] = data.pop("from_")
    return data


def _report_status(network: Network, url: str, message: PhoneMessage) -> None:
    """Post Twilio's `sent` then `delivered` callbacks for `message`, signed with the auth token."""
    validator = RequestValidator(network.auth_token)
    for status in ("sent", "delivered"):
        params = {
            "AccountSid": network.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.from_,
            "MessageSid": message.sid,
            "MessageStatus": status,
            "SmsSid": message.sid,
            "SmsStatus": status,
            "To": message.to,
        }
        request = urllib.request.Request(
            url,
            data=urlencode(params).encode("utf-8"),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": validator.compute_signature(url, params),
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5):
                pass
        except (urllib.error.URLError, OSError) as error:
            # Twilio gives up on a callback that fails; so does the demo.
            logger.info("status callback for %s failed: %s", message.sid, error)
            return


class PhoneNetworkServer(ThreadingHTTPServer):
    """The HTTP server of the pretend network, on 127.0.0.1."""

    daemon_threads = True

    def __init__(self, network: Network, port: int = DEFAULT_PORT) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.network = network

    @property
    def base_url(self) -> str:
        """Return the root URL, the value for TWILIO_API_BASE_URL."""
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"


def start_in_thread(network: Network, port: int = 0) -> PhoneNetworkServer:
    """Serve `network` from a background thread (tests and embedding); port 0 picks a free one.

    Returns:
        The running server; call `shutdown()` and `server_close()` to stop it.
    """
    server = PhoneNetworkServer(network, port)
    threading.Thread(target=server.serve_forever, name="phone-network", daemon=True).start()
    return server


def demo_environment(*, port: int = DEFAULT_PORT, rasa_port: int = 5005) -> dict[str, str]:
    """Return the settings that point TenantLine's Twilio channels at a pretend network on `port`.

    The auth token is new on every call, so no fixed secret sits in the code; pass the same environment to the
    network and to the Rasa server.

    Args:
        port: The port the network listens on.
        rasa_port: The port of the Rasa server, whose webhooks Twilio callbacks are signed for.

    Returns:
        Environment variables to add before starting the services.
    """
    return {
        "TWILIO_ACCOUNT_SID": DEMO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "TWILIO_SMS_FROM": DEMO_SMS_FROM,
        "TWILIO_API_BASE_URL": f"http://127.0.0.1:{port}",
        "TENANTLINE_PUBLIC_URL": f"http://127.0.0.1:{rasa_port}",
    }


def demo_service(port: int = DEFAULT_PORT) -> Service:
    """Return the pretend network as a `tenantline run` service (start it before the Rasa server)."""
    return Service(
        name="demo phone network",
        command=[sys.executable, "-m", "bot.phone_network", "--port", str(port)],
        ready_url=f"http://127.0.0.1:{port}/health",
    )


def simulator_url(rasa_port: int = 5005) -> str:
    """Return the address of the tenant simulator page on the Rasa server."""
    return f"http://127.0.0.1:{rasa_port}/webhooks/simulator/"


def main(argv: list[str] | None = None) -> None:
    """Run the pretend phone network until interrupted (account SID and token from the Twilio settings)."""
    from bot.settings import get_settings

    parser = argparse.ArgumentParser(description="TenantLine's pretend phone network for demos.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    settings = get_settings()
    if not settings.twilio_account_sid or settings.twilio_auth_token is None:
        parser.error("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (tenantline run does this for the demo)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s phone network: %(message)s")
    network = Network(account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token.get_secret_value())
    server = PhoneNetworkServer(network, args.port)
    logger.info("listening on %s", server.base_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
