"""Read a Telegram update into what TenantLine does with it, and build the keyboards it sends back.

Parsing is pure (no network, no database) so every odd shape Telegram can send is easy to test: the webhook in
channels/telegram.py checks the secret, parses, and then acts on the `Inbound` it gets from here.

Typed commands never reach Rasa as commands: Rasa reads text starting with "/" as an intent, so a tenant who
typed "/affirm" would skip the language model. "/start" (sent when someone opens the bot) becomes a greeting,
other commands lose their slash. Only button presses (callback queries) carry "/intent" payloads, and those
are checked against the payloads TenantLine actually sent (`PayloadMemory` in channels/telegram_output.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})
"""Photos sent "as a file" (uncompressed) are documents; these types are still treated as photos."""

GREETING = "/greet"
"""What "/start" becomes: the greet intent, so opening the bot is answered like a hello."""

MAX_CALLBACK_DATA_BYTES = 64
"""Telegram refuses inline buttons whose callback data is longer than this."""

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,64})(?:@[A-Za-z0-9_]{3,64})?(?:\s+(.*))?$", re.DOTALL)


class Kind(str, Enum):
    """What an update asks TenantLine to do."""

    TEXT = "text"
    """A message for Rasa (typed text, or a photo's caption alongside `photo`)."""
    START = "start"
    """The tenant opened the bot (/start): greet them and offer to share their number."""
    BUTTON = "button"
    """An inline keyboard button was pressed: answer the query and pass the payload on."""
    PHOTO = "photo"
    """A photo (or an image sent as a file) to download and attach."""
    CONTACT = "contact"
    """A shared contact card; `contact_is_own` says whether it is the sender's own number."""
    GROUP = "group"
    """A message in a group or channel: say once to message privately."""
    UNSUPPORTED = "unsupported"
    """Media TenantLine cannot read (voice notes, stickers, documents, locations ...): say what it can read."""
    IGNORED = "ignored"
    """Acknowledge and do nothing: edits, bots, membership changes, update types we do not use."""


@dataclass(frozen=True)
class Inbound:
    """One Telegram update, reduced to what TenantLine needs.

    Attributes:
        update_id: Telegram's id for the update; the de-duplication key.
        kind: What to do with it.
        user_id: The Telegram user who sent it (the channel address), when there is one.
        chat_id: The chat to answer in.
        text: The text, caption or callback payload, when there is one.
        callback_query_id: The query to answer, for a button press.
        photo_file_id: The file to fetch with getFile, for a photo.
        photo_size: Its size in bytes as Telegram reported it, if known.
        photo_type: Its content type when Telegram said (documents); compressed photos are JPEG.
        contact_phone: The phone number on a shared contact.
        contact_is_own: Whether the shared contact is the sender's own (its user_id is the sender's).
        media: The kind of unsupported media ("voice", "sticker", "document", "location", ...).
    """

    update_id: int
    kind: Kind
    user_id: int | None = None
    chat_id: int | None = None
    text: str | None = None
    callback_query_id: str | None = None
    photo_file_id: str | None = None
    photo_size: int | None = None
    photo_type: str | None = None
    contact_phone: str | None = None
    contact_is_own: bool = False
    media: str | None = None


class NotAnUpdate(ValueError):
    """Raised when a webhook body is not a Telegram update at all."""


_UNSUPPORTED_ATTACHMENTS = (
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "sticker",
    "document",
    "location",
    "venue",
    "poll",
    "dice",
    "game",
    "story",
    "paid_media",
    "checklist",
    "invoice",
)


def parse_update(data: Any) -> Inbound:
    """Turn the JSON body of a webhook call into an `Inbound`.

    Args:
        data: The decoded JSON body.

    Returns:
        What the update means for TenantLine; unknown update types are `Kind.IGNORED`, never an error.

    Raises:
        NotAnUpdate: If the body is not a JSON object with an integer `update_id`, or a part Telegram always
            sends is malformed.
    """
    if not isinstance(data, dict):
        raise NotAnUpdate("the body is not a JSON object")
    update_id = data.get("update_id")
    if isinstance(update_id, bool) or not isinstance(update_id, int) or update_id < 0:
        raise NotAnUpdate("the body has no integer update_id")
    used = {key: data[key] for key in ("message", "callback_query") if key in data}
    if not used:
        # Edits, channel posts, membership changes and everything newer than this code: acknowledged, not read.
        return Inbound(update_id, Kind.IGNORED)
    try:
        update = Update.de_json({"update_id": update_id, **used}, None)
    except Exception as error:  # python-telegram-bot raises whatever a malformed field provokes
        raise NotAnUpdate(f"the update could not be read: {type(error).__name__}") from error
    if update is None:
        raise NotAnUpdate("the update could not be read")
    if update.callback_query is not None:
        return _button(update)
    if update.message is not None:
        return _message(update_id, update.message)
    raise NotAnUpdate("the update has an empty message")


def _button(update: Update) -> Inbound:
    query = update.callback_query
    assert query is not None
    chat = query.message.chat if query.message is not None else None
    if query.from_user is None or query.from_user.is_bot:
        return Inbound(update.update_id, Kind.IGNORED)
    if chat is not None and chat.type != Chat.PRIVATE:
        return Inbound(update.update_id, Kind.IGNORED, callback_query_id=query.id)
    return Inbound(
        update.update_id,
        Kind.BUTTON,
        user_id=query.from_user.id,
        chat_id=chat.id if chat is not None else query.from_user.id,
        text=query.data,
        callback_query_id=query.id,
    )


def _message(update_id: int, message: Message) -> Inbound:
    sender = message.from_user
    if sender is None or sender.is_bot:
        return Inbound(update_id, Kind.IGNORED)
    base: dict[str, Any] = {"user_id": sender.id, "chat_id": message.chat.id}
    if message.chat.type != Chat.PRIVATE:
        # Answer only when spoken to, so a bot added to a residents' group does not answer every message.
        if message.text or message.caption or message.photo:
            return Inbound(update_id, Kind.GROUP, **base)
        return Inbound(update_id, Kind.IGNORED, **base)
    if message.contact is not None:
        own = message.contact.user_id is not None and message.contact.user_id == sender.id
        return Inbound(update_id, Kind.CONTACT, contact_phone=message.contact.phone_number, contact_is_own=own, **base)
    if message.photo:
        largest = max(message.photo, key=lambda size: (size.file_size or 0, size.width * size.height))
        return Inbound(
            update_id,
            Kind.PHOTO,
            text=message.caption or None,
            photo_file_id=largest.file_id,
            photo_size=largest.file_size,
            photo_type="image/jpeg",
            **base,
        )
    document = message.document
    if document is not None and (document.mime_type or "").lower() in IMAGE_TYPES:
        return Inbound(
            update_id,
            Kind.PHOTO,
            text=message.caption or None,
            photo_file_id=document.file_id,
            photo_size=document.file_size,
            photo_type=(document.mime_type or "").lower(),
            **base,
        )
    if message.text is not None:
        return _typed(update_id, message.text, base)
    for attribute in _UNSUPPORTED_ATTACHMENTS:
        if getattr(message, attribute, None):
            return Inbound(update_id, Kind.UNSUPPORTED, media=attribute, **base)
    # Service messages (pinned, joined, ...) carry nothing for the assistant.
    return Inbound(update_id, Kind.IGNORED, **base)


def _typed(update_id: int, text: str, base: dict[str, Any]) -> Inbound:
    command = _COMMAND.match(text.strip())
    if command is not None and command.group(1).lower() == "start":
        return Inbound(update_id, Kind.START, text=GREETING, **base)
    if command is not None:
        # Any other command is read as words, so it cannot select an intent directly.
        rest = (command.group(2) or "").strip()
        words = " ".join(part for part in (command.group(1).lower().replace("_", " "), rest) if part)
        return Inbound(update_id, Kind.TEXT, text=words, **base)
    # Rasa reads any text starting with "/" as an intent, with entities in braces: never let typing do that.
    return Inbound(update_id, Kind.TEXT, text=text.lstrip().lstrip("/"), **base)


# -- what TenantLine sends back ------------------------------------------------------------------------------


def inline_keyboard(buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
    """Return Rasa buttons as an inline keyboard, one button a row so long titles stay readable.

    Buttons whose payload is too long for Telegram's callback data are left out (and the text still reaches
    the tenant); None when no button is left.
    """
    rows = []
    for button in buttons:
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if not title or not payload or len(payload.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            continue
        rows.append([InlineKeyboardButton(title[:64], callback_data=payload)])
    return InlineKeyboardMarkup(rows) if rows else None


def contact_keyboard(label: str) -> ReplyKeyboardMarkup:
    """Return the one-button keyboard that shares the tenant's own phone number when tapped."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(label, request_contact=True)]], resize_keyboard=True, one_time_keyboard=True
    )


def remove_keyboard() -> ReplyKeyboardRemove:
    """Return the markup that hides the share-number keyboard once it has been used."""
    return ReplyKeyboardRemove()
