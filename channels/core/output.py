"""Output channels that never send directly: every message goes through the durable outbox.

Each message is written to the outbox and then sent by the outbox dispatcher (channels/outbox.py), so a reply
survives a provider outage or a restart.

Sender ids name the channel and the address ("sms:+447700900001", "whatsapp:+447700900001",
"telegram:123456789"), so an output channel created without a conversation (Rasa's proactive sends with
`output_channel=latest`) can always tell where a message goes.

Idempotency: a reply's outbox key is "<sender id>:<provider message id>:<n>" (n counts the messages of that
turn), so processing the same incoming message twice, for instance when it is replayed after a crash, queues
each reply once. Proactive sends get a random key prefix.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rasa.core.channels.channel import OutputChannel
from sqlalchemy.orm import Session

from bot.housing import outbox as outbox_service
from bot.housing.db import session_scope
from bot.housing.enums import Channel
from bot.housing.errors import HousingError, OptedOut
from channels.core import db
from channels.core.action_watch import turn_failed
from channels.core.buttons import ButtonMemory, render_numbered
from channels.core.text import split_text

logger = logging.getLogger(__name__)

MAX_KEY_PREFIX = 110
"""Outbox keys are at most 128 characters; the prefix leaves room for the part counter."""


def sender_id_for(channel: Channel | str, address: str) -> str:
    """Return the Rasa sender id of `address` on `channel` ("sms:+447700900001")."""
    return f"{Channel(channel).value}:{address}"


def parse_sender_id(sender_id: str) -> tuple[Channel, str] | None:
    """Return (channel, address) from a sender id made by `sender_id_for`, or None for any other id."""
    prefix, separator, address = str(sender_id).partition(":")
    if not separator or not address:
        return None
    try:
        return Channel(prefix), address
    except ValueError:
        return None


def reply_key(sender_id: str, external_id: str) -> str:
    """Return the outbox key prefix of the replies to one incoming message."""
    key = f"{sender_id}:{external_id}"
    if len(key) > MAX_KEY_PREFIX:
        key = "reply:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def address_hash(address: str) -> str:
    """Return a short, stable stand-in for an address, for log lines (a phone number is personal data)."""
    return hashlib.sha256(address.encode("utf-8")).hexdigest()[:10]


@dataclass(frozen=True)
class OutgoingPart:
    """One outbox row: a text within the channel's limit, and optionally a template (or keyboard) to send."""

    body: str
    template_name: str | None = None
    template_variables: dict[str, Any] | None = None


class OutboxOutputChannel(OutputChannel):
    """Base of TenantLine's output channels: render, split, queue in the outbox, wake the dispatcher.

    Subclasses set `channel` and `text_limit`, implement `name()`, and may override `normalise` (SMS keeps to
    GSM-7) and `render` (Telegram turns buttons into an inline keyboard instead of numbered lines).
    """

    channel: ClassVar[Channel]
    text_limit: ClassVar[int]

    def __init__(
        self,
        *,
        buttons: ButtonMemory | None = None,
        key_prefix: str | None = None,
        session_factory: Callable[[], Session] | None = None,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        """Create an output channel.

        Args:
            buttons: Where to remember the buttons shown, so "1", "2" replies can be mapped back.
            key_prefix: The idempotency prefix of this turn's messages (`reply_key`); random when None.
            session_factory: The housing database (default: the channels' configured one).
            on_queued: Called after messages are queued (default: wake this process's outbox dispatcher).
        """
        self.buttons = buttons or ButtonMemory()
        self.key_prefix = key_prefix or f"proactive:{uuid.uuid4().hex}"
        self._session_factory = session_factory
        self._on_queued = on_queued
        self._count = 0
        self.queued_ids: list[int] = []

    # -- rendering ---------------------------------------------------------------------------------------------

    def normalise(self, text: str) -> str:
        """Return `text` adapted to the channel's alphabet (unchanged by default)."""
        return text

    def render(self, text: str, buttons: list[dict[str, Any]]) -> list[OutgoingPart]:
        """Return the outbox rows for a message: buttons as numbered lines, split within `text_limit`."""
        full = self.normalise(render_numbered(text or "", buttons))
        return [OutgoingPart(body=part) for part in split_text(full, self.text_limit)]

    # -- queueing ----------------------------------------------------------------------------------------------

    def address_for(self, recipient_id: str) -> str | None:
        """Return the address to send to for a Rasa recipient id, or None if it is not on this channel."""
        parsed = parse_sender_id(recipient_id)
        if parsed is None or parsed[0] is not self.channel:
            return None
        return parsed[1]

    def next_key(self) -> str:
        """Return the idempotency key of the next message of this turn."""
        self._count += 1
        return f"{self.key_prefix}:{self._count}"

    def create_rows(self, session: Session, address: str, parts: Iterable[OutgoingPart]) -> list[int]:
        """Queue `parts` for `address` inside an open session; return the outbox ids.

        Raises:
            OptedOut: If the recipient opted out of this channel.
        """
        ids = []
        for part in parts:
            message = outbox_service.create(
                session=session,
                channel=self.channel,
                to=address,
                body=part.body,
                idempotency_key=self.next_key(),
                template_name=part.template_name,
                template_variables=part.template_variables,
            )
            ids.append(int(message.id))
        return ids

    def _factory(self) -> Callable[[], Session]:
        return self._session_factory or db.session_factory()

    def _create(self, address: str, parts: list[OutgoingPart]) -> list[int]:
        with session_scope(self._factory()) as session:
            return self.create_rows(session, address, parts)

    def queued(self) -> None:
        """Tell the dispatcher there is work (called after every successful queueing)."""
        if self._on_queued is not None:
            self._on_queued()
            return
        from channels import outbox  # the dispatcher module imports this one

        outbox.wake()

    async def queue(self, recipient_id: str, parts: list[OutgoingPart]) -> list[int]:
        """Write `parts` to the outbox for `recipient_id` and wake the dispatcher; return the outbox ids.

        A recipient who opted out, or one not on this channel, gets nothing; that is logged (without the
        address) rather than raised, because Rasa would otherwise abort the rest of the turn. Nothing is queued
        once an action call of the current turn went unanswered (`channels.core.action_watch`).
        """
        if not parts:
            return []
        if turn_failed():
            # Rasa carries on after an action call the action server never answered; what it decides then
            # lacks that answer. The pipeline retries the whole message, which sends the rest.
            logger.info("%s: not queueing a reply decided after an action went unanswered", self.name())
            return []
        address = self.address_for(recipient_id)
        if address is None:
            logger.error("%s: cannot send to a conversation of another channel", self.name())
            return []
        try:
            ids = await asyncio.to_thread(self._create, address, parts)
        except OptedOut:
            logger.info("%s: recipient %s opted out; message not queued", self.name(), address_hash(address))
            return []
        except HousingError:
            logger.exception("%s: could not queue a message for %s", self.name(), address_hash(address))
            return []
        self.queued_ids.extend(ids)
        self.queued()
        return ids

    # -- Rasa's OutputChannel interface ------------------------------------------------------------------------

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Queue a text."""
        await self.queue(recipient_id, self.render(text, []))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Queue a text with its buttons, and remember the buttons for the tenant's numbered reply."""
        shown = [dict(button) for button in buttons if isinstance(button, Mapping)]
        self.buttons.remember(recipient_id, shown)
        await self.queue(recipient_id, self.render(text, shown))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Queue an image as its link (the assistant's responses do not send images)."""
        await self.queue(recipient_id, self.render(image, []))

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        """Queue an attachment as its link."""
        await self.queue(recipient_id, self.render(str(attachment), []))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """Drop custom payloads: raw JSON must never reach a tenant's phone."""
        logger.warning("%s: ignoring a custom JSON message (not supported on this channel)", self.name())
