"""Test support for the console: a fake Rasa HTTP API, a live console server in a thread, and a signed-in client.

The fake Rasa answers the two routes the console uses the way Rasa 3.6 does (`GET /conversations/<id>/tracker`,
`POST /conversations/<id>/tracker/events`, both behind `?token=`), keeps a tracker per conversation, and records
every request so tests can check exactly which events the console sent. Like Rasa's Sanic route, it does not
unquote the conversation id, so an id the console percent-encoded by mistake would not match.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sanic import Sanic

from tests.support.http_fake import ThreadedHttpFake

RASA_TOKEN = "rasa-test-token-5f1c"

_TRACKER = re.compile(r"^/conversations/(?P<id>.+)/tracker$")
_EVENTS = re.compile(r"^/conversations/(?P<id>.+)/tracker/events$")


@dataclass(frozen=True)
class Received:
    """One request the fake Rasa received."""

    method: str
    conversation_id: str
    query: dict[str, list[str]]
    events: list[dict[str, Any]]


@dataclass
class _Tracker:
    events: list[dict[str, Any]] = field(default_factory=list)
    paused: bool = False
    slots: dict[str, Any] = field(default_factory=dict)


class FakeRasa(ThreadedHttpFake):
    """A fake Rasa server on 127.0.0.1 with a real HTTP listener in its own thread."""

    def __init__(self, token: str | None = RASA_TOKEN) -> None:
        self.token = token
        self.received: list[Received] = []
        self.trackers: dict[str, _Tracker] = {}
        self.failures: list[int] = []
        self.lock = threading.Lock()
        super().__init__(self._handler())

    # -- scripting -----------------------------------------------------------------------------------------

    def tracker(self, sender_id: str) -> _Tracker:
        with self.lock:
            return self.trackers.setdefault(sender_id, _Tracker())

    def add_user_message(
        self,
        sender_id: str,
        text: str,
        *,
        channel: str = "sms",
        photos: int = 0,
        intent: str = "greet",
        at: float | None = None,
    ) -> None:
        """Add a tenant message, as Rasa logs it (also while paused)."""
        metadata: dict[str, Any] = {"channel": channel, "address": sender_id.partition(":")[2]}
        if photos:
            metadata["photos"] = photos
        event = {
            "event": "user",
            "text": text,
            "timestamp": at or time.time(),
            "input_channel": f"twilio_{channel}",
            "metadata": metadata,
            "parse_data": {"intent": {"name": intent, "confidence": 1.0}, "entities": []},
        }
        with self.lock:
            self.trackers.setdefault(sender_id, _Tracker()).events.append(event)

    def add_bot_message(self, sender_id: str, text: str, *, buttons: list[str] | None = None) -> None:
        """Add an assistant message."""
        data = {"buttons": [{"title": title, "payload": f"/{title.lower()}"} for title in buttons or []]}
        event = {"event": "bot", "text": text, "timestamp": time.time(), "data": data, "metadata": {}}
        with self.lock:
            self.trackers.setdefault(sender_id, _Tracker()).events.append(event)

    def set_slots(self, sender_id: str, **slots: Any) -> None:
        with self.lock:
            self.trackers.setdefault(sender_id, _Tracker()).slots.update(slots)

    def fail_next(self, *statuses: int) -> None:
        """Answer the next event appends with these error statuses."""
        with self.lock:
            self.failures.extend(statuses)

    def appended(self, sender_id: str) -> list[dict[str, Any]]:
        """Return every event the console appended to a conversation, in order."""
        with self.lock:
            return [
                event
                for item in self.received
                if item.method == "POST" and item.conversation_id == sender_id
                for event in item.events
            ]

    def event_names(self, sender_id: str) -> list[str]:
        return [str(event.get("event")) for event in self.appended(sender_id)]

    def is_paused(self, sender_id: str) -> bool:
        with self.lock:
            found = self.trackers.get(sender_id)
            return bool(found and found.paused)

    # -- HTTP ----------------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self, query: dict[str, list[str]]) -> bool:
                if fake.token is None:
                    return True
                if query.get("token", [None])[0] == fake.token:
                    return True
                self._reply(401, {"status": "failure", "reason": "NotAuthenticated", "code": 401})
                return False

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                found = _TRACKER.match(parts.path)
                if found is None:
                    self._reply(404, {"status": "failure"})
                    return
                if not self._authorised(query):
                    return
                sender = found.group("id")
                with fake.lock:
                    fake.received.append(Received("GET", sender, query, []))
                    state = fake.trackers.setdefault(sender, _Tracker())
                    events = list(state.events)
                    body = {
                        "sender_id": sender,
                        "slots": dict(state.slots),
                        "paused": state.paused,
                        "events": events,
                        "latest_event_time": events[-1]["timestamp"] if events else None,
                    }
                self._reply(200, body)

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                found = _EVENTS.match(parts.path)
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"null")
                if found is None:
                    self._reply(404, {"status": "failure"})
                    return
                if not self._authorised(query):
                    return
                sender = found.group("id")
                events = payload if isinstance(payload, list) else [payload]
                with fake.lock:
                    fake.received.append(Received("POST", sender, query, events))
                    if fake.failures:
                        status = fake.failures.pop(0)
                        self._reply(status, {"status": "failure", "code": status})
                        return
                    state = fake.trackers.setdefault(sender, _Tracker())
                    for event in events:
                        if event.get("event") == "pause":
                            state.paused = True
                        elif event.get("event") == "resume":
                            state.paused = False
                        state.events.append(event)
                self._reply(200, {"sender_id": sender, "paused": fake.trackers[sender].paused})

        return Handler


class LiveServer:
    """Serve a Sanic app on 127.0.0.1 from a thread with its own event loop (the console as staff reach it)."""

    def __init__(self, app: Sanic) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: Any = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as error:  # reported to the starting thread
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        server = await self.app.create_server(sock=self._socket, return_asyncio_server=True, access_log=False)
        assert server is not None
        # Awaiting create_server already opened the socket; nobody connects before `start` returns.
        await server.startup()
        await server.before_start()
        await server.after_start()
        self._server = server

    async def _stop(self) -> None:
        server = self._server
        await server.before_stop()
        for connection in list(server.connections):
            connection.close_if_idle()
        server.close()
        await server.wait_closed()
        await server.after_stop()

    def start(self) -> LiveServer:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)
        self.loop.close()


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_REPLY_ID = re.compile(r'name="reply_id" value="([0-9a-f]{32})"')


def csrf_from(html: str) -> str:
    """Return the first CSRF token in a page."""
    found = _CSRF.search(html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def reply_id_from(html: str) -> str:
    found = _REPLY_ID.search(html)
    assert found is not None, "no reply form on the page"
    return found.group(1)


def sign_in(base_url: str, username: str, password: str) -> httpx.Client:
    """Return an HTTP client signed in to the console as `username`."""
    client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=20)
    form = client.get("/sign-in")
    response = client.post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": csrf_from(form.text), "next": ""}
    )
    assert response.status_code == 303, f"sign-in as {username} failed: {response.status_code} {response.text[:300]}"
    return client


@contextmanager
def running(app: Sanic) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()
