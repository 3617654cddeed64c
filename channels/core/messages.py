"""The channels' own sentences to tenants, read from the `channel_messages` section of landlord.yml."""

from __future__ import annotations

from bot.landlord import get_landlord


def channel_text(key: str, **values: object) -> str:
    """Return the landlord's sentence `key`, with {landlord}, {phone} and {out_of_hours_phone} filled in.

    Args:
        key: A field of `bot.landlord.ChannelMessages`, e.g. "media_received" or "telegram_group_chat".
        **values: Further placeholders the sentence uses ({reference}, {photos}, {kind}, {limit_mb}).

    Returns:
        The sentence to send.

    Raises:
        KeyError: If there is no such sentence.
    """
    landlord = get_landlord()
    filled: dict[str, object] = {
        "landlord": landlord.short_name,
        "phone": landlord.phone,
        "out_of_hours_phone": landlord.out_of_hours_phone,
    }
    filled.update(values)
    return landlord.channel_messages.text(key, **filled)


def media_kind_name(kind: str) -> str:
    """Return how the landlord names a kind of media the assistant cannot read ("voice notes or audio")."""
    kinds = get_landlord().channel_messages.media_kinds
    return kinds.get(kind) or kinds.get("other") or "that kind of message"


def photos_phrase(count: int) -> str:
    """Return "photo" for one photo and "3 photos" for several, for the {photos} placeholder."""
    return "photo" if count == 1 else f"{count} photos"
