"""The landlord's own facts, read from landlord.yml so another association can rebrand without touching code."""

from __future__ import annotations

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
