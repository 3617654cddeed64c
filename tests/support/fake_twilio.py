"""A fake Twilio REST API on 127.0.0.1, and webhook payloads built the way Twilio sends them.

`FakeTwilio` serves what TenantLine calls: `POST /2010-04-01/Accounts/<sid>/Messages.json` (send a message) and
the media URLs Twilio puts in MediaUrlN (basic auth, then a redirect to storage, as Twilio does). It records
every request, can be told to fail the next sends (`fail_next`), and holds media registered with `add_media`.
The real twilio client talks to it through TWILIO_API_BASE_URL.

`sms_form` / `whatsapp_form` build inbound webhook fields with the names and shapes Twilio uses;
`twilio_signature` signs them like Twilio (HMAC-SHA1 over URL + sorted fields, base64).

Like Twilio, a send repeating an earlier one's `I-Twilio-Idempotency-Token` creates nothing new: it gets the
first one's answer. `chaos(rate)` makes a share of sends fail with a 5xx or hang past the client's time-out
(after accepting the message, as when Twilio's answer is lost on the way), for the fault tests.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import MultiDict
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SMS_NUMBER = "+441134960000"
WHATSAPP_NUMBER = "+441134960001"

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"
"""A tiny file that starts like a JPEG photo (all the channels check)."""
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 100


@dataclass
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    form: MultiDict[str]
    authorised: bool
    headers: dict[str, str]
    accepted: bool = False
    replayed: bool = False
    """A repeat of an accepted send (same idempotency token): answered like the first, nothing created."""


@dataclass
class _Media:
    data: bytes
    content_type: str
    chunked: bool = False


@dataclass
class FakeTwilio:
    """A fake Twilio API server; start it with `await start()`, stop with `await stop()`."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    requests: list[RecordedRequest] = field(default_factory=list)
    _failures: deque[tuple[int, int | None]] = field(default_factory=deque)
    _media: dict[str, _Media] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _port: int = 0
    _sids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    send_delay: float = 0.0
    _by_token: dict[str, str] = field(default_factory=dict)
    _chaos_rate: float = 0.0
    _chaos_timeout_share: float = 0.5
    _chaos_hang: float = 20.0
    _chaos_decided: set[str] = field(default_factory=set)
    _chaos_random: random.Random = field(default_factory=lambda: random.Random(8))
    chaos_failures: dict[str, int] = field(default_factory=lambda: {"5xx": 0, "timeout": 0})
    by_recipient: dict[str, list[str]] = field(default_factory=dict)
    """Bodies accepted, by recipient (To), oldest first: cheap to read while thousands of sends are recorded."""

    @property
    def base_url(self) -> str:
        """Return the server's base URL (what TWILIO_API_BASE_URL is set to)."""
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create_message)
        app.router.add_get("/2010-04-01/Accounts/{sid}/Messages/{message}/Media/{media}", self._media_resource)
        app.router.add_get("/storage/{media}", self._media_storage)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- test controls -----------------------------------------------------------------------------------------

    def fail_next(self, status: int, code: int | None = None, times: int = 1) -> None:
        """Answer the next `times` sends with HTTP `status` (and Twilio error `code`)."""
        for _ in range(times):
            self._failures.append((status, code))

    def chaos(self, rate: float, *, timeout_share: float = 0.5, hang: float = 20.0, seed: int = 8) -> None:
        """Fail about `rate` of the messages' first send attempts: a 503, or (`timeout_share` of them) a hang.

        A hanging send is accepted first and answered only after `hang` seconds, longer than the client waits:
        the message exists at Twilio but the sender sees a time-out. Each message (idempotency token, or
        recipient and body without one) is failed at most once, so the outbox's back-off bounds the test's time.
        """
        self._chaos_rate = rate
        self._chaos_timeout_share = timeout_share
        self._chaos_hang = hang
        self._chaos_random = random.Random(seed)
        self._chaos_decided.clear()

    def replayed(self) -> list[RecordedRequest]:
        """Return the sends answered from an earlier one's idempotency token (nothing new created)."""
        return [request for request in self.requests if request.replayed]

    def add_media(self, data: bytes, content_type: str, *, chunked: bool = False) -> str:
        """Host a file as Twilio hosts MMS/WhatsApp media; return its MediaUrl."""
        media_id = "ME" + uuid.uuid4().hex
        self._media[media_id] = _Media(data, content_type, chunked)
        return f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages/MM{uuid.uuid4().hex}/Media/{media_id}"

    def sent(self, to: str | None = None) -> list[MultiDict[str]]:
        """Return the forms of the messages accepted so far (optionally only those to `to`), oldest first."""
        return [
            request.form
            for request in self.requests
            if request.path.endswith("/Messages.json")
            and request.authorised
            and request.accepted
            and (to is None or request.form.get("To") == to)
        ]

    def bodies(self, to: str | None = None) -> list[str]:
        """Return the bodies of the messages accepted so far."""
        return [form.get("Body", "") for form in self.sent(to)]

    async def wait_for_messages(self, count: int, *, to: str | None = None, timeout: float = 10.0) -> list[str]:
        """Wait until at least `count` messages were accepted (for `to`); return their bodies.

        Raises:
            TimeoutError: Naming what arrived, if fewer than `count` did in time.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.sent(to)) < count:
            if loop.time() > deadline:
                raise TimeoutError(f"expected {count} message(s), got {self.bodies(to)}")
            await asyncio.sleep(0.02)
        return self.bodies(to)

    # -- handlers ----------------------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == expected and request.match_info.get("sid") == self.account_sid

    async def _create_message(self, request: web.Request) -> web.Response:
        form: MultiDict[str] = MultiDict((key, str(value)) for key, value in (await request.post()).items())
        recorded = RecordedRequest(
            "POST", request.path, MultiDict(form), self._authorised(request), dict(request.headers)
        )
        self.requests.append(recorded)
        if not recorded.authorised:
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        token = request.headers.get("I-Twilio-Idempotency-Token")
        if token and token in self._by_token:
            recorded.replayed = True
            return self._created(self._by_token[token], form)
        if self._failures:
            status, code = self._failures.popleft()
            return web.json_response({"code": code, "message": "fake failure", "status": status}, status=status)
        failure = self._chaos_failure(token or f"{form.get('To')}|{form.get('Body')}")
        if failure == "5xx":
            return web.json_response({"code": 20500, "message": "chaos", "status": 503}, status=503)
        recorded.accepted = True
        self.by_recipient.setdefault(form.get("To", ""), []).append(form.get("Body", ""))
        sid = f"SM{next(self._sids):032x}"
        if token:
            self._by_token[token] = sid
        if failure == "timeout":
            await asyncio.sleep(self._chaos_hang)
        return self._created(sid, form)

    def _chaos_failure(self, key: str) -> str | None:
        if not self._chaos_rate or key in self._chaos_decided:
            return None
        self._chaos_decided.add(key)
        if self._chaos_random.random() >= self._chaos_rate:
            return None
        kind = "timeout" if self._chaos_random.random() < self._chaos_timeout_share else "5xx"
        self.chaos_failures[kind] += 1
        return kind

    def _created(self, sid: str, form: MultiDict[str]) -> web.Response:
        payload: dict[str, Any] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "status": "queued",
            "num_media": "0",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
        }
        return web.Response(status=201, text=json.dumps(payload), content_type="application/json")

    async def _media_resource(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            RecordedRequest("GET", request.path, MultiDict(), self._authorised(request), dict(request.headers))
        )
        if not self._authorised(request):
            return web.Response(status=401)
        media_id = request.match_info["media"]
        if media_id not in self._media:
            return web.Response(status=404)
        # Twilio answers media requests with a redirect to its storage.
        raise web.HTTPFound(f"/storage/{media_id}")

    async def _media_storage(self, request: web.Request) -> web.StreamResponse:
        media = self._media.get(request.match_info["media"])
        if media is None:
            return web.Response(status=404)
        if not media.chunked:
            return web.Response(body=media.data, content_type=media.content_type)
        stream = web.StreamResponse(headers={"Content-Type": media.content_type})
        stream.enable_chunked_encoding()
        await stream.prepare(request)
        for start in range(0, len(media.data), 64 * 1024):
            await stream.write(media.data[start : start + 64 * 1024])
        await stream.write_eof()
        return stream


def twilio_signature(url: str, form: MultiDict[str] | dict[str, str], auth_token: str = AUTH_TOKEN) -> str:
    """Return the X-Twilio-Signature Twilio would send for `form` posted to `url`."""
    return str(RequestValidator(auth_token).compute_signature(url, form))


def message_sid() -> str:
    """Return a new Twilio message SID."""
    return "SM" + uuid.uuid4().hex


def sms_form(
    sender: str,
    body: str,
    *,
    sid: str | None = None,
    media: list[tuple[str, str]] | None = None,
    to: str = SMS_NUMBER,
    account_sid: str = ACCOUNT_SID,
) -> MultiDict[str]:
    """Return the fields Twilio posts for an incoming SMS/MMS (media: [(url, content type)])."""
    message = sid or message_sid()
    fields: list[tuple[str, str]] = [
        ("ToCountry", "GB"),
        ("ToState", ""),
        ("SmsMessageSid", message),
        ("NumMedia", str(len(media or []))),
        ("ToCity", ""),
        ("FromZip", ""),
        ("SmsSid", message),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", body),
        ("FromCountry", "GB"),
        ("To", to),
        ("ToZip", ""),
        ("NumSegments", "1"),
        ("MessageSid", message),
        ("AccountSid", account_sid),
        ("From", sender),
        ("ApiVersion", "2010-04-01"),
    ]
    for index, (url, content_type) in enumerate(media or []):
        fields.append((f"MediaContentType{index}", content_type))
        fields.append((f"MediaUrl{index}", url))
    return MultiDict(fields)


def whatsapp_form(
    sender: str,
    body: str,
    *,
    sid: str | None = None,
    media: list[tuple[str, str]] | None = None,
    profile_name: str = "Sarah",
    to: str = WHATSAPP_NUMBER,
    extra: dict[str, str] | None = None,
) -> MultiDict[str]:
    """Return the fields Twilio posts for an incoming WhatsApp message (numbers prefixed "whatsapp:")."""
    message = sid or message_sid()
    fields: list[tuple[str, str]] = [
        ("SmsMessageSid", message),
        ("NumMedia", str(len(media or []))),
        ("ProfileName", profile_name),
        ("MessageType", "image" if media else "text"),
        ("SmsSid", message),
        ("WaId", sender.lstrip("+")),
        ("SmsStatus", "received"),
        ("Body", body),
        ("To", f"whatsapp:{to}"),
        ("NumSegments", "1"),
        ("ReferralNumMedia", "0"),
        ("MessageSid", message),
        ("AccountSid", ACCOUNT_SID),
        ("From", f"whatsapp:{sender}"),
        ("ApiVersion", "2010-04-01"),
    ]
    for index, (url, content_type) in enumerate(media or []):
        fields.append((f"MediaContentType{index}", content_type))
        fields.append((f"MediaUrl{index}", url))
    for name, value in (extra or {}).items():
        fields.append((name, value))
    return MultiDict(fields)


def status_form(provider_sid: str, status: str, *, error_code: str | None = None) -> MultiDict[str]:
    """Return the fields of a Twilio message status callback."""
    fields = [
        ("SmsSid", provider_sid),
        ("SmsStatus", status),
        ("MessageStatus", status),
        ("To", "+447700900001"),
        ("MessageSid", provider_sid),
        ("AccountSid", ACCOUNT_SID),
        ("From", SMS_NUMBER),
        ("ApiVersion", "2010-04-01"),
    ]
    if error_code:
        fields.append(("ErrorCode", error_code))
    return MultiDict(fields)


class ThreadedFakeTwilio:
    """A `FakeTwilio` served by its own event loop in a thread, for tests whose servers are other processes."""

    def __init__(self) -> None:
        self.fake = FakeTwilio()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-twilio", daemon=True)

    def start(self) -> FakeTwilio:
        """Start the loop and the server; return the fake (read its records from any thread)."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self._loop).result(timeout=10)
        return self.fake

    def stop(self) -> None:
        """Stop the server and the loop."""
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> ThreadedFakeTwilio:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
