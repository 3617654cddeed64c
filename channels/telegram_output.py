"""Telegram replies: Rasa's buttons as inline keyboards, text split within 4,096 characters, the share-number offer.

Every reply goes through the durable outbox like on every channel (`OutboxOutputChannel`); a keyboard travels with
its row (see channels/telegram_sender.py). When a response starts the identity check of a Telegram user whose
account is not linked to a tenant (`CONTACT_PROMPT_RESPONSES`), the "Share my phone number" keyboard follows it, so
the tenant can be identified by the number on their account (channels/telegram_identity.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from threading import Lock
from typing import Any

from sqlalchemy.orm import Session

from bot.housing.db import session_scope
from bot.housing.enums import Channel
from bot.housing.errors import HousingError
from channels.core.buttons import ButtonMemory, render_numbered
from channels.core.messages import channel_text
from channels.core.output import OutboxOutputChannel, OutgoingPart
from channels.core.text import TELEGRAM_LIMIT, split_text
from channels.telegram_identity import is_linked
from channels.telegram_sender import ReplyMarkup, markup_variables
from channels.telegram_updates import contact_keyboard, inline_keyboard, remove_keyboard

logger = logging.getLogger(__name__)

CONTACT_PROMPT_RESPONSES = frozenset({"utter_ask_tenancy_reference"})
"""Responses that start the identity check of a sender who is not known: the moment to offer the button."""
_PLAIN_INTENT = re.compile(r"^/[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PayloadMemory:
    """The button payloads recently shown to each conversation, to recognise a genuine button press.

    A modified client can send any callback data; payloads carrying entities ("/intent{...}") are accepted only
    if TenantLine showed them. Plain text and plain "/intent" payloads say no more than the tenant could type.
    """

    def __init__(self, per_conversation: int = 30, conversations: int = 10_000) -> None:
        self._shown: OrderedDict[str, list[str]] = OrderedDict()
        self._per_conversation = per_conversation
        self._conversations = conversations
        self._lock = Lock()

    def remember(self, sender_id: str, payloads: list[str]) -> None:
        """Note payloads just shown to `sender_id`."""
        with self._lock:
            shown = self._shown.pop(sender_id, [])
            shown = [*shown, *payloads][-self._per_conversation :]
            self._shown[sender_id] = shown
            while len(self._shown) > self._conversations:
                self._shown.popitem(last=False)

    def accepts(self, sender_id: str, payload: str) -> bool:
        """Return whether a button press carrying `payload` may be passed to Rasa."""
        if not payload.startswith("/") or _PLAIN_INTENT.match(payload):
            return True
        with self._lock:
            return payload in self._shown.get(sender_id, [])


# -- output ----------------------------------------------------------------------------------------------------


class TelegramOutput(OutboxOutputChannel):
    """Telegram replies: inline keyboards for buttons, 4,096 characters a message, the share-number offer."""

    channel = Channel.TELEGRAM
    text_limit = TELEGRAM_LIMIT

    def __init__(
        self,
        *,
        payloads: PayloadMemory | None = None,
        buttons: ButtonMemory | None = None,
        key_prefix: str | None = None,
        session_factory: Callable[[], Session] | None = None,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        """Create an output channel (see `OutboxOutputChannel`); `payloads` records the buttons shown."""
        super().__init__(buttons=buttons, key_prefix=key_prefix, session_factory=session_factory, on_queued=on_queued)
        self.payloads = payloads or PayloadMemory()

    @classmethod
    def name(cls) -> str:
        """Return the channel's name."""
        return "telegram"

    def render(self, text: str, buttons: list[dict[str, Any]]) -> list[OutgoingPart]:
        """Return the rows of a message: the text split within 4,096 characters, the keyboard on the last."""
        keyboard = inline_keyboard(buttons) if buttons else None
        body = text if text.strip() or keyboard is None else render_numbered("", buttons)
        parts = split_text(body, self.text_limit)
        if keyboard is None or not parts:
            return [OutgoingPart(body=part) for part in parts]
        *first, last = parts
        return [*(OutgoingPart(body=part) for part in first), OutgoingPart(last, None, markup_variables(keyboard))]

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Queue a text with an inline keyboard, remembering its payloads to recognise the press."""
        self.payloads.remember(
            recipient_id, [str(b.get("payload") or b.get("title") or "") for b in buttons if isinstance(b, Mapping)]
        )
        await super().send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Send a bot message; when it starts a stranger's identity check, offer the share-number button."""
        prompt = message.get("utter_action") in CONTACT_PROMPT_RESPONSES
        await super().send_response(recipient_id, message)
        if prompt:
            await self.offer_contact(recipient_id)

    def _linked(self, address: str) -> bool:
        with session_scope(self._factory()) as session:
            return is_linked(session, address)

    async def offer_contact(self, recipient_id: str) -> None:
        """Queue the share-my-number prompt and keyboard, unless the account is already linked to a tenant."""
        address = self.address_for(recipient_id)
        if address is None:
            return
        try:
            linked = await asyncio.to_thread(self._linked, address)
        except HousingError:
            logger.exception("telegram: could not check whether an account is linked")
            return
        if linked:
            return
        keyboard = contact_keyboard(channel_text("telegram_share_phone_button"))
        prompt = channel_text("telegram_share_phone_prompt")
        await self.queue(recipient_id, [OutgoingPart(prompt, None, markup_variables(keyboard))])

    async def send_sentence(self, recipient_id: str, text: str, markup: ReplyMarkup | None = None) -> None:
        """Queue one of the channel's own sentences with `markup` (default: hide the share-number keyboard)."""
        parts = self.render(text, [])
        if parts:
            parts[-1] = OutgoingPart(parts[-1].body, None, markup_variables(markup or remove_keyboard()))
        await self.queue(recipient_id, parts)
