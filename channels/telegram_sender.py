"""Sending Telegram messages from the outbox with python-telegram-bot's `Bot`, within Telegram's flood limits.

The outbox dispatcher (channels/outbox.py) paces every sender by the `RateLimit` it registers: for Telegram
`TELEGRAM_RATE_LIMIT`, about 30 messages a second overall and 1 a second per chat (DOMAIN.md, "Messaging channel
rules"). When Telegram still answers 429 with `retry_after`, the chat is held for that long: a short wait is
waited out and the message sent again at once; a long one goes back to the outbox as a transient failure, and
until the hold ends later messages to that chat are not even attempted. Nothing is sent to Telegram early.

A row's keyboard travels in its `template_variables` as {"reply_markup": <Bot API JSON>} (Telegram has no
templates, so the field is free): an inline keyboard for buttons, the share-my-number keyboard, or the markup
that removes it.

Exactly once, as far as the Bot API allows: it has no idempotency key, so a send whose outcome is unknown can only
be sent again (a reply that never arrives is worse than one that arrives twice) and may then arrive twice. The
sender keeps that window small and says when it is open:

- an answer from Telegram that is not a success (a 5xx, say) means it did not take the message: retried, nothing
  can be doubled; nor can a connection that never opened (refused, connect or pool time-out): the request was
  never sent;
- Telegram answers sendMessage within a second or so, so the read time-out is generous (`READ_TIMEOUT_SECONDS`,
  three times python-telegram-bot's default): a slow answer is waited for, not abandoned and sent again;
- a read time-out or a connection dropped after the request went out leaves the outcome unknown: Telegram may
  or may not have the message. It is retried like the others, logged as a possible duplicate (a warning), and
  until it is sent its outbox error starts with "outcome unknown" (`OUTCOME_UNKNOWN`).

The time-outs add up to less than the outbox's lease (`SEND_BUDGET_SECONDS`), so a slow send is never claimed and
sent by a second replica while the first is still waiting for Telegram.

TELEGRAM_API_BASE_URL is the root of the Bot API server (https://api.telegram.org by default, a fake server in
tests); the bot calls `<root>/bot<token>/<method>` and downloads from `<root>/file/bot<token>/<path>`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from channels.core.output import address_hash
from channels.outbox import OutgoingMessage, PermanentSendError, RateLimit, SendResult, TransientSendError

logger = logging.getLogger(__name__)

TELEGRAM_API_URL = "https://api.telegram.org"
TELEGRAM_RATE_LIMIT = RateLimit(overall_per_second=30.0, per_recipient_per_second=1.0)
"""Telegram's limits for a bot: about 30 messages a second overall, 1 a second in one chat."""
INLINE_RETRY_SECONDS = 5.0
"""A flood wait up to this long is waited out by the sender; a longer one is left to the outbox's back-off."""
CONNECTIONS = 16
CONNECT_TIMEOUT_SECONDS = 3.0
"""Opening a connection: short, because nothing has been sent yet and a retry cannot double anything."""
POOL_TIMEOUT_SECONDS = 2.0
"""Waiting for a free connection of our own pool: likewise nothing sent yet."""
WRITE_TIMEOUT_SECONDS = 5.0
"""Sending the request (a few hundred bytes of text)."""
READ_TIMEOUT_SECONDS = 15.0
"""Waiting for Telegram's answer once the request is sent: generous, because giving up here is what can make a
tenant get a reply twice (python-telegram-bot's default is 5 s)."""
ATTEMPT_SECONDS = POOL_TIMEOUT_SECONDS + CONNECT_TIMEOUT_SECONDS + WRITE_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS
"""The longest one call to the Bot API can take."""
SEND_BUDGET_SECONDS = 2 * ATTEMPT_SECONDS + INLINE_RETRY_SECONDS
"""The longest `TelegramSender.send` can take (two attempts around a short flood wait): under the outbox lease."""
OUTCOME_UNKNOWN = "outcome unknown"
"""How the outbox error of a send that may have reached Telegram starts (it is retried and may arrive twice)."""
REPLY_MARKUP = "reply_markup"

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def make_bot(token: str, api_base_url: str | None = None) -> Bot:
    """Return a `Bot` for `token` talking to the Bot API at `api_base_url` (Telegram's own when None)."""
    root = (api_base_url or TELEGRAM_API_URL).rstrip("/")
    # One connection pool for everything: TenantLine receives updates by webhook and never long-polls.
    request = HTTPXRequest(
        connection_pool_size=CONNECTIONS,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        write_timeout=WRITE_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )
    return Bot(
        token,
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        request=request,
        get_updates_request=request,
    )


def markup_variables(markup: ReplyMarkup) -> dict[str, Any]:
    """Return the outbox `template_variables` that carry `markup` with a message."""
    return {REPLY_MARKUP: markup.to_dict()}


def markup_from_variables(variables: Mapping[str, Any] | None) -> ReplyMarkup | None:
    """Rebuild the keyboard stored by `markup_variables`, or None when the row has none (or an unknown one)."""
    data = (variables or {}).get(REPLY_MARKUP)
    if not isinstance(data, dict):
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, None)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, None)
    if data.get("remove_keyboard"):
        return ReplyKeyboardRemove.de_json(data, None)
    return None


def send_never_left(error: TelegramError) -> bool:
    """Return whether a failed call certainly did not reach Telegram's handling (safe to send again).

    True for an error answer from Telegram (it did not take the message) and for a connection that never
    opened; False when the request may have been read and acted on before the answer was lost: a read
    time-out, or a connection that broke once the request was on its way.
    """
    cause = error.__cause__
    if not isinstance(cause, httpx.HTTPError):
        return True  # Telegram answered (python-telegram-bot raises from the status, not from httpx)
    return isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def retry_seconds(error: RetryAfter) -> float:
    """Return how long Telegram asked us to wait, in seconds, whichever type this library version reports."""
    with warnings.catch_warnings():
        # python-telegram-bot 22 warns that retry_after will become a timedelta; both are handled here.
        warnings.simplefilter("ignore", DeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Sends outbox rows to Telegram chats and honours Telegram's `retry_after`."""

    def __init__(
        self,
        bot: Bot,
        *,
        inline_retry_seconds: float = INLINE_RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Create a sender around `bot` (the clock and sleep are replaceable for tests)."""
        self.bot = bot
        self.inline_retry_seconds = inline_retry_seconds
        self._clock = clock
        self._sleep = sleep
        self._held_until: dict[str, float] = {}

    def hold(self, chat_id: str, seconds: float) -> None:
        """Send nothing to `chat_id` for `seconds` (Telegram's flood wait)."""
        until = self._clock() + max(0.0, seconds)
        self._held_until[chat_id] = max(self._held_until.get(chat_id, 0.0), until)

    def held_for(self, chat_id: str) -> float:
        """Return how many seconds `chat_id` is still held (0 when it is not)."""
        until = self._held_until.get(chat_id)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._held_until[chat_id]
            return 0.0
        return left

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Send one outbox row as a Telegram message.

        Returns:
            The result, whose provider id is "<chat id>:<message id>" (Telegram numbers messages per chat).

        Raises:
            TransientSendError: Flood waits too long to wait out, network errors, timeouts, 5xx, a rejected token.
            PermanentSendError: The tenant blocked the bot or deleted their account, or Telegram refused the
                message itself (chat not found, malformed).
        """
        chat = message.to
        waiting = self.held_for(chat)
        if waiting > self.inline_retry_seconds:
            raise TransientSendError(f"Telegram asked us to wait {waiting:.0f} s", retry_after=waiting)
        if waiting > 0:
            await self._sleep(waiting)
        markup = markup_from_variables(message.template_variables)
        try:
            return await self._send_once(chat, message.body, markup)
        except RetryAfter as flood:
            seconds = retry_seconds(flood)
            self.hold(chat, seconds)
            if seconds > self.inline_retry_seconds:
                raise TransientSendError(f"Telegram flood wait of {seconds:.0f} s", retry_after=seconds) from flood
            logger.info("telegram: waiting %.1f s as Telegram asked before sending to %s", seconds, address_hash(chat))
            await self._sleep(seconds)
        try:
            return await self._send_once(chat, message.body, markup)
        except RetryAfter as flood:
            seconds = retry_seconds(flood)
            self.hold(chat, seconds)
            raise TransientSendError(f"Telegram flood wait of {seconds:.0f} s", retry_after=seconds) from flood

    async def _send_once(self, chat: str, text: str, markup: ReplyMarkup | None) -> SendResult:
        try:
            await self.bot.request.initialize()  # reopens the connection pool after a `close`; else a no-op
            sent = await self.bot.send_message(chat_id=int(chat), text=text, reply_markup=markup)
        except RetryAfter:
            raise
        except Forbidden as error:
            raise PermanentSendError(f"Telegram refused: {error.message}") from error
        except BadRequest as error:  # a subclass of NetworkError in python-telegram-bot, so it comes first
            raise PermanentSendError(f"Telegram refused the message: {error.message}") from error
        except ChatMigrated as error:
            raise PermanentSendError("the chat became a supergroup") from error
        except InvalidToken as error:
            # Every message fails until the operator fixes TELEGRAM_BOT_TOKEN: keep them for the retries.
            logger.error("telegram: the Bot API rejected TELEGRAM_BOT_TOKEN; messages are kept for retrying")
            raise TransientSendError("the Bot API rejected the bot token") from error
        except NetworkError as error:  # TimedOut is one too
            if send_never_left(error):
                raise TransientSendError(f"not taken by Telegram: {error.message}") from error
            logger.warning(
                "telegram: no answer to a message for %s after it was sent (%s); sending it again, so it may "
                "arrive twice (the Bot API has no idempotency key)",
                address_hash(chat),
                type(error.__cause__).__name__,
            )
            raise TransientSendError(f"{OUTCOME_UNKNOWN}, network error: {error.message}") from error
        except TelegramError as error:
            raise TransientSendError(f"Telegram error: {type(error).__name__}") from error
        return SendResult(provider_message_id=f"{chat}:{sent.message_id}")

    async def close(self) -> None:
        """Close the bot's HTTP connections (server shutdown); the bot reconnects if used again."""
        await self.bot.request.shutdown()
