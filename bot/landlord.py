"""The landlord's own facts, read from landlord.yml so another association can rebrand without touching code."""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, validator

from bot.settings import get_settings

FAQ_TOPICS = (
    "pets",
    "home_improvements",
    "bins",
    "parking",
    "lodgers",
    "contents_insurance",
    "garden",
    "communal_cleaning",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class PaymentMethod(BaseModel):
    """One way a tenant can pay rent."""

    name: str
    how: str


class AdviceService(BaseModel):
    """A free money-advice service the landlord signposts."""

    name: str
    phone: str
    website: str
    what: str = ""


CHANNEL_MESSAGE_PLACEHOLDERS = frozenset(
    {"landlord", "phone", "out_of_hours_phone", "reference", "photos", "kind", "limit_mb"}
)
"""Values a channel sentence may use, written as {landlord}, {phone}, ..."""


class ChannelMessages(BaseModel):
    """What the messaging channels themselves say to tenants (not the assistant's replies, which live in domain/).

    Every sentence has a default, so a landlord file without a `channel_messages` section still loads. Keys
    starting with `telegram_` are used only on Telegram; the others on every channel that needs them.
    """

    media_received: str = "Thanks, your photo arrived. I'll add it to your report once it's logged."
    media_attached: str = "Thanks, I've added your {photos} to {reference}."
    media_too_large: str = (
        "Sorry, that file is too big for me: the limit is {limit_mb} MB. Could you send a smaller photo?"
    )
    media_failed: str = "Sorry, I couldn't download your photo. Could you send it again?"
    media_unsupported: str = (
        "Sorry, I can't read {kind} here. I can read text and photos, so please type your message or send a photo."
    )
    media_kinds: dict[str, str] = Field(
        default_factory=lambda: {
            "audio": "voice notes or audio",
            "video": "videos",
            "sticker": "stickers",
            "document": "documents or files",
            "location": "shared locations",
            "contact": "contact cards",
            "other": "that kind of message",
        }
    )
    opt_out_confirmed: str = (
        "You won't get any more messages from {landlord} here. Reply START to turn them back on, or call us on {phone}."
    )
    opt_in_confirmed: str = "Messages from {landlord} are back on. How can I help? Reply STOP at any time to stop them."
    assistant_trouble: str = (
        "Sorry, we're having trouble at our end and can't deal with your message just now. We've kept it and will "
        "come back to you as soon as we can. If it's urgent, call us on {phone}, or {out_of_hours_phone} when "
        "we're closed."
    )
    help: str = (
        "This is {landlord}'s assistant. Tell me what you need, for example 'report a repair' or 'pay my rent'. "
        "Call us on {phone}, or {out_of_hours_phone} for emergencies when we're closed. If anyone is in danger, "
        "call 999. Reply STOP to stop messages."
    )
    telegram_group_chat: str = (
        "Please message me privately: to keep your details safe I can't help with housing matters in a group chat."
    )
    telegram_share_phone_prompt: str = (
        "To find your tenancy, you can share the phone number we have for you by tapping the button below."
    )
    telegram_share_phone_button: str = "Share my phone number"
    telegram_phone_matched: str = "Thanks, that's the number we have for you. What can I help you with?"
    telegram_phone_unknown: str = (
        "Thanks. That number isn't one we have on file, so I'll check who you are another way when you need it."
    )
    telegram_phone_not_own: str = "Please use the button below to share your own number, not someone else's contact."

    class Config:
        extra = "forbid"  # a misspelt key in landlord.yml fails loudly instead of being ignored

    @validator("*")
    def _known_placeholders(cls, value: object) -> object:  # noqa: N805
        texts = value.values() if isinstance(value, dict) else [value]
        for text in texts:
            for _, name, _, _ in string.Formatter().parse(str(text)):
                if name is not None and name not in CHANNEL_MESSAGE_PLACEHOLDERS:
                    allowed = ", ".join("{" + p + "}" for p in sorted(CHANNEL_MESSAGE_PLACEHOLDERS))
                    raise ValueError(f"unknown placeholder {{{name}}}; use only {allowed}")
        return value

    def text(self, key: str, **values: object) -> str:
        """Return the sentence `key` with its placeholders filled (unknown or missing values left as written).

        Raises:
            KeyError: If there is no sentence called `key`.
        """
        template = getattr(self, key, None)
        if not isinstance(template, str) or key.startswith("_"):
            raise KeyError(key)
        return string.Formatter().vformat(template, (), _KeepMissing(values))


class _KeepMissing(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Landlord(BaseModel):
    """Everything about the landlord that a tenant may be told."""

    name: str
    short_name: str
    phone: str
    out_of_hours_phone: str
    email: str
    website: str
    office_address: list[str]
    opening_hours: dict[str, str]
    payment_methods: list[PaymentMethod] = Field(min_items=1)
    notice_period_weeks: int = Field(ge=1, le=52)
    money_advice: list[AdviceService] = Field(default_factory=list)
    faq: dict[str, str]
    channel_messages: ChannelMessages = Field(default_factory=ChannelMessages)

    @validator("faq")
    def _every_faq_topic_answered(cls, value: dict[str, str]) -> dict[str, str]:  # noqa: N805
        missing = [topic for topic in FAQ_TOPICS if not str(value.get(topic, "")).strip()]
        if missing:
            raise ValueError(f"no answer for FAQ topic(s): {', '.join(missing)}")
        return value

    @validator("opening_hours")
    def _every_weekday_listed(cls, value: dict[str, str]) -> dict[str, str]:  # noqa: N805
        missing = [day for day in WEEKDAYS if day not in value]
        if missing:
            raise ValueError(f"opening_hours is missing: {', '.join(missing)}")
        return value

    def hours_summary(self) -> str:
        """Return the opening hours as one line, e.g. "Mon 09:00 to 17:00; ... Sat closed"."""
        return "; ".join(f"{day[:3].title()} {self.opening_hours[day]}" for day in WEEKDAYS)

    def address_line(self) -> str:
        """Return the office address on one line."""
        return ", ".join(self.office_address)


class LandlordFileError(RuntimeError):
    """Raised when landlord.yml is missing or not valid, naming the problem in plain words."""


def load_landlord(path: Path) -> Landlord:
    """Read and check a landlord file.

    Args:
        path: The YAML file.

    Returns:
        The landlord's facts.

    Raises:
        LandlordFileError: If the file cannot be read, is not YAML, or misses a required value.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise LandlordFileError(f"cannot read the landlord file {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise LandlordFileError(f"the landlord file {path} is not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise LandlordFileError(f"the landlord file {path} must be a mapping of keys to values")
    try:
        return Landlord.parse_obj(raw)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise LandlordFileError(f"the landlord file {path} has problems: {problems}") from error


@lru_cache(maxsize=1)
def get_landlord() -> Landlord:
    """Return the configured landlord (TENANTLINE_LANDLORD_FILE, default landlord.yml), read once."""
    return load_landlord(get_settings().landlord_file)
