"""A fake Telegram Bot API server on 127.0.0.1 that records every request, plus builders for real updates.

python-telegram-bot's `Bot` talks to it unchanged when its base URLs point here (TELEGRAM_API_BASE_URL is the
server root; the bot adds `/bot<token>/<method>` and `/file/bot<token>/<path>` as Telegram does). The server
answers the methods TenantLine uses the way Telegram does (`{"ok": true, "result": ...}`, errors as
`{"ok": false, "error_code": ..., "description": ..., "parameters": ...}`), and tests can script failures:
a 429 with `retry_after`, a 5xx, a 403 for a user who blocked the bot.

It runs in its own thread (http.server), so synchronous and asynchronous tests can both use it.

Updates are built from python-telegram-bot's own objects and serialised with `to_dict()`, so their shape is
the one Telegram sends.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram import (
    CallbackQuery,
    Chat,
    Contact,
    Document,
    Location,
    Message,
    PhotoSize,
    Sticker,
    Update,
    User,
    Voice,
)

BOT_ID = 7000000001
BOT_USERNAME = "tenantline_test_bot"


@dataclass(frozen=True)
class RecordedRequest:
    """One call the fake server received."""

    method: str
    token: str
    params: dict[str, Any]
    at: float
    """`time.monotonic()` when it arrived, for rate-limit checks."""
    status: int
    """The HTTP status the fake answered."""


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class _State:
    token: str
    requests: list[RecordedRequest] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    failures: dict[str, list[_Failure]] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)
    message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1001))
    lock: Any = field(default_factory=threading.RLock)  # re-entrant: `wait_for` conditions read the state
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)


def _decode_value(raw: str) -> Any:
    """Decode one form value: objects and arrays (reply_markup) arrive JSON-encoded, everything else as text."""
    if raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # keep test output quiet

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        state = self.server.state
        path = unquote(urlsplit(self.path).path)
        if path.startswith("/file/bot"):
            self._download(path.removeprefix("/file/bot"))
            return
        if not path.startswith("/bot") or path.count("/") != 2:
            self._reply(HTTPStatus.NOT_FOUND, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method = path.removeprefix("/bot").split("/", 1)
        params = self._params()
        status, body = self._answer(token, method, params)
        with state.changed:
            state.requests.append(RecordedRequest(method, token, params, time.monotonic(), int(status)))
            state.changed.notify_all()
        self._reply(status, body)

    def _answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[HTTPStatus, dict[str, Any]]:
        if token != self.server.state.token:
            return HTTPStatus.UNAUTHORIZED, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        failure = self._take_failure(method)
        if failure is not None:
            body: dict[str, Any] = {"ok": False, "error_code": failure.status, "description": failure.description}
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return HTTPStatus(failure.status), body
        answer = _METHODS.get(method)
        if answer is None:
            return HTTPStatus.NOT_FOUND, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            result = answer(self.server.state, params)
        except _BadRequest as error:
            return HTTPStatus.BAD_REQUEST, {"ok": False, "error_code": 400, "description": str(error)}
        return HTTPStatus.OK, {"ok": True, "result": result}

    def _params(self) -> dict[str, Any]:
        query = dict(parse_qsl(urlsplit(self.path).query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        kind = self.headers.get("Content-Type") or ""
        if kind.startswith("application/json") and raw:
            loaded = json.loads(raw)
            return {**query, **(loaded if isinstance(loaded, dict) else {})}
        if kind.startswith("application/x-www-form-urlencoded"):
            query.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        return {key: _decode_value(value) for key, value in query.items()}

    def _take_failure(self, method: str) -> _Failure | None:
        state = self.server.state
        with state.lock:
            queue = state.failures.get(method) or []
            if not queue:
                return None
            failure = queue[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.pop(0)
            return failure

    def _download(self, rest: str) -> None:
        state = self.server.state
        token, _, file_path = rest.partition("/")
        stored = next((item for item in state.files.values() if item[0] == file_path), None)
        with state.changed:
            state.downloads.append(file_path)
            state.changed.notify_all()
        if token != state.token or stored is None:
            self._reply(HTTPStatus.NOT_FOUND, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(stored[1])))
        self.end_headers()
        self.wfile.write(stored[1])

    def _reply(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _BadRequest(Exception):
    pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: _State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


def _bot_user() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": "TenantLine", "username": BOT_USERNAME}


def _get_me(state: _State, params: dict[str, Any]) -> Any:
    return {**_bot_user(), "can_join_groups": False, "can_read_all_group_messages": False}


def _send_message(state: _State, params: dict[str, Any]) -> Any:
    chat_id = params.get("chat_id")
    text = params.get("text")
    if chat_id in (None, "") or not isinstance(text, str) or not text.strip():
        raise _BadRequest("Bad Request: message text is empty")
    if len(text) > 4096:
        raise _BadRequest("Bad Request: message is too long")
    return {
        "message_id": next(state.message_ids),
        "date": int(time.time()),
        "chat": {"id": int(chat_id), "type": "private"},
        "from": _bot_user(),
        "text": text,
    }


def _get_file(state: _State, params: dict[str, Any]) -> Any:
    file_id = str(params.get("file_id") or "")
    stored = state.files.get(file_id)
    if stored is None:
        raise _BadRequest("Bad Request: invalid file_id")
    path, content = stored
    return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(content), "file_path": path}


def _true(state: _State, params: dict[str, Any]) -> Any:
    return True


_METHODS: dict[str, Callable[[_State, dict[str, Any]], Any]] = {
    "getMe": _get_me,
    "sendMessage": _send_message,
    "getFile": _get_file,
    "answerCallbackQuery": _true,
    "setWebhook": _true,
    "deleteWebhook": _true,
    "sendChatAction": _true,
}


class FakeTelegram:
    """The fake Bot API: start it, point the bot at `base_url`, then inspect what it received."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.state = _State(token=token)
        self._server = _Server(self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-telegram", daemon=True)

    @property
    def base_url(self) -> str:
        """Return the server root, the value for TELEGRAM_API_BASE_URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTelegram:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    # -- scripting -------------------------------------------------------------------------------------------

    def add_file(self, file_id: str, content: bytes, *, file_path: str | None = None) -> None:
        """Make `getFile(file_id)` succeed and its download return `content`."""
        with self.state.lock:
            self.state.files[file_id] = (file_path or f"photos/{file_id}.jpg", content)

    def fail(
        self, method: str, *, status: int = 500, description: str = "Internal Server Error", times: int = 1
    ) -> None:
        """Make the next `times` calls of `method` fail with `status`."""
        with self.state.lock:
            self.state.failures.setdefault(method, []).append(_Failure(status, description, None, times))

    def flood(self, method: str = "sendMessage", *, retry_after: int = 1, times: int = 1) -> None:
        """Make the next `times` calls of `method` answer 429 Too Many Requests with `retry_after` seconds."""
        description = f"Too Many Requests: retry after {retry_after}"
        with self.state.lock:
            self.state.failures.setdefault(method, []).append(_Failure(429, description, retry_after, times))

    # -- inspection ------------------------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedRequest]:
        """Return the recorded calls, optionally of one method, in arrival order."""
        with self.state.lock:
            return [request for request in self.state.requests if method is None or request.method == method]

    def sent(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Return the parameters of every sendMessage call the fake accepted, optionally to one chat."""
        return [
            call.params
            for call in self.calls("sendMessage")
            if call.status == HTTPStatus.OK and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
        ]

    def texts(self, chat_id: int | str | None = None) -> list[str]:
        """Return the texts of the messages the fake accepted, optionally to one chat."""
        return [str(params.get("text")) for params in self.sent(chat_id)]

    @property
    def downloads(self) -> list[str]:
        """Return the file paths downloaded, in order."""
        with self.state.lock:
            return list(self.state.downloads)

    async def wait_until(self, condition: Callable[[FakeTelegram], bool], timeout: float = 10.0) -> None:
        """Wait (without blocking the event loop) until `condition(self)` holds.

        Raises:
            AssertionError: If it does not within `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        while not condition(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s; calls: {[c.method for c in self.calls()]}")
            await asyncio.sleep(0.02)

    async def wait_for_texts(self, count: int, *, chat_id: int | str | None = None, timeout: float = 10.0) -> list[str]:
        """Wait (without blocking the event loop) until `count` messages were sent; return all texts sent.

        Raises:
            AssertionError: If fewer arrived within `timeout` seconds, naming what did arrive.
        """
        deadline = time.monotonic() + timeout
        while len(self.texts(chat_id)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} Telegram message(s), got {self.texts(chat_id)}")
            await asyncio.sleep(0.02)
        return self.texts(chat_id)

    def wait_for(self, condition: Callable[[FakeTelegram], bool], timeout: float = 5.0) -> bool:
        """Block until `condition(self)` holds or `timeout` seconds pass; return whether it held.

        For async tests prefer `await wait_until(...)`, which does not block the event loop.
        """
        deadline = time.monotonic() + timeout
        with self.state.changed:
            while not condition(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.state.changed.wait(min(left, 0.05))
        return True


@contextmanager
def running_fake_telegram(token: str = "123456:TEST-token") -> Iterator[FakeTelegram]:
    """Run a fake Bot API for the duration of a `with` block."""
    fake = FakeTelegram(token).start()
    try:
        yield fake
    finally:
        fake.stop()


# -- updates as Telegram sends them --------------------------------------------------------------------------


class Updates:
    """Build Telegram updates (as JSON-ready dicts) from python-telegram-bot's own objects.

    Update ids and message ids increase from one builder to the next, as Telegram's do.
    """

    def __init__(self, *, first_update_id: int = 500000000) -> None:
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)

    @staticmethod
    def user(user_id: int = 424242, first_name: str = "Sarah") -> User:
        """Return a Telegram user."""
        return User(user_id, first_name, False)

    def _message(self, user: User, chat: Chat | None = None, **content: Any) -> Message:
        return Message(
            next(self._message_ids),
            datetime.now(timezone.utc).replace(microsecond=0),
            chat or Chat(user.id, Chat.PRIVATE),
            from_user=user,
            **content,
        )

    def _update(self, **kind: Any) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(json.dumps(Update(next(self._update_ids), **kind).to_dict()))
        return data

    def text(self, text: str, *, user_id: int = 424242) -> dict[str, Any]:
        """Return a private text message."""
        return self._update(message=self._message(self.user(user_id), text=text))

    def edited(self, text: str, *, user_id: int = 424242) -> dict[str, Any]:
        """Return an edit of an earlier private message."""
        return self._update(edited_message=self._message(self.user(user_id), text=text))

    def group_text(self, text: str, *, user_id: int = 424242, chat_id: int = -1001234567890) -> dict[str, Any]:
        """Return a text message in a group chat."""
        chat = Chat(chat_id, Chat.SUPERGROUP, title="Millbrook residents")
        return self._update(message=self._message(self.user(user_id), chat, text=text))

    def photo(
        self, file_id: str = "photo-1", *, user_id: int = 424242, caption: str | None = None, file_size: int = 2048
    ) -> dict[str, Any]:
        """Return a photo in the sizes Telegram offers (the last is the largest)."""
        sizes = (
            PhotoSize(f"{file_id}-small", f"us-{file_id}", 90, 67, file_size=max(1, file_size // 10)),
            PhotoSize(file_id, f"u-{file_id}", 1280, 960, file_size=file_size),
        )
        return self._update(message=self._message(self.user(user_id), photo=sizes, caption=caption))

    def contact(
        self, phone_number: str, *, user_id: int = 424242, contact_user_id: int | None = None
    ) -> dict[str, Any]:
        """Return a shared contact; by default the sender's own (the "share my phone number" button)."""
        owner = user_id if contact_user_id is None else contact_user_id
        card = Contact(phone_number, "Sarah", user_id=owner)
        return self._update(message=self._message(self.user(user_id), contact=card))

    def callback(self, data: str, *, user_id: int = 424242, query_id: str = "cbq-1") -> dict[str, Any]:
        """Return a press of an inline keyboard button carrying `data`."""
        user = self.user(user_id)
        shown = Message(
            next(self._message_ids),
            datetime.now(timezone.utc).replace(microsecond=0),
            Chat(user.id, Chat.PRIVATE),
            from_user=User(BOT_ID, "TenantLine", True),
            text="Pick one",
        )
        query = CallbackQuery(query_id, user, f"instance-{user.id}", message=shown, data=data)
        return self._update(callback_query=query)

    def voice(self, *, user_id: int = 424242) -> dict[str, Any]:
        """Return a voice note."""
        return self._update(message=self._message(self.user(user_id), voice=Voice("voice-1", "uv-1", 4)))

    def sticker(self, *, user_id: int = 424242) -> dict[str, Any]:
        """Return a sticker."""
        sticker = Sticker("st-1", "ust-1", 512, 512, False, False, Sticker.REGULAR)
        return self._update(message=self._message(self.user(user_id), sticker=sticker))

    def document(self, *, user_id: int = 424242, mime_type: str = "application/pdf") -> dict[str, Any]:
        """Return a document (a file that is not a compressed photo)."""
        document = Document("doc-1", "udoc-1", file_name="letter.pdf", mime_type=mime_type, file_size=1000)
        return self._update(message=self._message(self.user(user_id), document=document))

    def location(self, *, user_id: int = 424242) -> dict[str, Any]:
        """Return a shared location."""
        return self._update(message=self._message(self.user(user_id), location=Location(-1.54, 53.8)))
