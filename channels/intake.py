"""What every channel does to a tenant's text before Rasa sees it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.housing.validation import mask_card_numbers

MAX_MESSAGE_CHARS = 4000


@dataclass(frozen=True)
class PreparedText:
    """A tenant's message made safe to process and store."""

    text: str
    card_number_masked: bool
    truncated: bool


def prepare_text(raw: str) -> PreparedText:
    """Mask card numbers and cap the length of an incoming message.

    Args:
        raw: The text as the channel received it.

    Returns:
        The text to hand to Rasa, and what was changed.
    """
    masked = mask_card_numbers(raw)
    truncated = len(masked) > MAX_MESSAGE_CHARS
    return PreparedText(text=masked[:MAX_MESSAGE_CHARS], card_number_masked=masked != raw, truncated=truncated)
