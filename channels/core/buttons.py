"""Buttons on channels without them: numbered options out, and "1", "2"... mapped back to the button's payload.

SMS and WhatsApp (through Twilio) show buttons as "1. Yes" / "2. No" under the text. The output channel calls
`ButtonMemory.remember` with the buttons it rendered for a conversation; when the tenant's next message is just an
option number, `resolve` returns that button's payload so Rasa sees exactly what a button press would have sent.
After a restart the memory is empty, so `buttons_from_events` reads the last buttons from the conversation's tracker
instead (Rasa stores every bot message with its buttons).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from threading import Lock
from typing import Any

_OPTION = re.compile(r"^\s*(?:option\s*)?\(?(\d{1,2})[.)]?\s*$", re.IGNORECASE)
MAX_REMEMBERED_CONVERSATIONS = 10_000


def render_numbered(text: str, buttons: Iterable[Mapping[str, Any]]) -> str:
    """Return `text` followed by one numbered line per button ("1. Yes").

    Args:
        text: The message text (may be empty).
        buttons: Rasa buttons, each with a `title` (a button without one shows its payload).

    Returns:
        The text and the numbered options, separated by a blank line.
    """
    lines = [
        f"{number}. {button.get('title') or button.get('payload') or ''}".rstrip()
        for number, button in enumerate(buttons, 1)
    ]
    if not lines:
        return text
    options = "\n".join(lines)
    return f"{text.rstrip()}\n\n{options}" if text.strip() else options


def option_number(text: str) -> int | None:
    """Return the option number a reply consists of ("2", " 2. ", "(2)", "option 2"), or None."""
    match = _OPTION.match(text or "")
    return int(match.group(1)) if match else None


def payload_for(text: str, buttons: Sequence[Mapping[str, Any]]) -> str | None:
    """Return the payload of the button numbered by `text`, or None when `text` picks no listed option."""
    number = option_number(text)
    if number is None or not 1 <= number <= len(buttons):
        return None
    payload = buttons[number - 1].get("payload")
    return str(payload) if payload not in (None, "") else None


def buttons_from_events(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the latest buttons the assistant sent since the tenant last wrote, or [] if there were none.

    Once the tenant has written again, earlier buttons are stale: their reply answered them.
    """
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "user":
            return []
        if kind == "bot":
            data = event.get("data") or {}
            buttons = data.get("buttons") or data.get("quick_replies") or []
            if buttons:
                return [dict(button) for button in buttons if isinstance(button, Mapping)]
    return []


class ButtonMemory:
    """The last buttons shown to each conversation, bounded so a flood of senders cannot exhaust memory."""

    def __init__(self, max_conversations: int = MAX_REMEMBERED_CONVERSATIONS) -> None:
        self._buttons: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._max = max_conversations
        self._lock = Lock()

    def remember(self, sender_id: str, buttons: Iterable[Mapping[str, Any]]) -> None:
        """Record the buttons just shown to `sender_id`, replacing earlier ones."""
        shown = [dict(button) for button in buttons]
        with self._lock:
            self._buttons.pop(sender_id, None)
            self._buttons[sender_id] = shown
            while len(self._buttons) > self._max:
                self._buttons.popitem(last=False)

    def known(self, sender_id: str) -> bool:
        """Return whether this process has sent `sender_id` anything since it started."""
        with self._lock:
            return sender_id in self._buttons

    def last(self, sender_id: str) -> list[dict[str, Any]]:
        """Return the buttons last shown to `sender_id` ([] when none or not known)."""
        with self._lock:
            return list(self._buttons.get(sender_id, []))

    def forget(self, sender_id: str) -> None:
        """Mark the options shown to `sender_id` as answered (the tenant wrote again), keeping it known."""
        self.remember(sender_id, [])

    def resolve(self, sender_id: str, text: str) -> str | None:
        """Return the payload `text` selects among the buttons last shown to `sender_id`, or None."""
        return payload_for(text, self.last(sender_id))
