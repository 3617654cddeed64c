"""Properties: the homes the landlord owns, each in a named area that repair operatives cover."""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.housing._common import choice, resolve_now
from bot.housing.enums import PropertyType
from bot.housing.errors import InvalidInput, PropertyNotFound
from bot.housing.models import Property
from bot.housing.validation import clean_text, normalise_postcode, require_text

MAX_BEDROOMS = 10


def _check_bedrooms(bedrooms: int) -> int:
    if isinstance(bedrooms, bool) or not isinstance(bedrooms, int) or not 0 <= bedrooms <= MAX_BEDROOMS:
        raise InvalidInput(f"bedrooms must be a whole number from 0 to {MAX_BEDROOMS}, got {bedrooms!r}")
    return bedrooms


def get(*, session: Session, property_id: int) -> Property | None:
    """Return the property with `property_id`, or None."""
    return session.get(Property, property_id)


def get_or_raise(*, session: Session, property_id: int) -> Property:
    """Return the property with `property_id`.

    Raises:
        PropertyNotFound: If there is none.

    """
    found = get(session=session, property_id=property_id)
    if found is None:
        raise PropertyNotFound(f"no property {property_id}")
    return found


def list(
    *, session: Session, area: str | None = None, postcode: str | None = None, limit: int = 100
) -> builtins.list[Property]:
    """Return properties, optionally in one area (any case) or at one postcode.

    Raises:
        InvalidPostcode: For a malformed `postcode`.

    """
    statement = select(Property).order_by(Property.id).limit(limit)
    if area is not None:
        statement = statement.where(func.lower(Property.area) == area.strip().lower())
    if postcode is not None:
        statement = statement.where(Property.postcode == normalise_postcode(postcode))
    return builtins.list(session.execute(statement).scalars().all())


def list_areas(*, session: Session) -> builtins.list[str]:
    """Return the names of the areas that have properties, alphabetically."""
    statement = select(Property.area).distinct().order_by(Property.area)
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    address_line1: str,
    town: str,
    postcode: str,
    area: str,
    bedrooms: int,
    property_type: PropertyType | str,
    address_line2: str | None = None,
    now: datetime | None = None,
) -> Property:
    """Create a property.

    Raises:
        EmptyDescription: If the first address line, town or area is blank.
        InvalidPostcode: If the postcode is malformed.
        InvalidInput: If `bedrooms` is out of range; InvalidChoice for an unknown `property_type`.

    """
    at = resolve_now(now)
    home = Property(
        address_line1=require_text(address_line1, field="address_line1", max_length=120),
        address_line2=clean_text(address_line2, field="address_line2", max_length=120, required=False),
        town=require_text(town, field="town", max_length=80),
        postcode=normalise_postcode(postcode),
        area=require_text(area, field="area", max_length=60),
        bedrooms=_check_bedrooms(bedrooms),
        property_type=choice(PropertyType, property_type, "property_type"),
        created_at=at,
    )
    session.add(home)
    session.flush()
    return home


def update(
    *,
    session: Session,
    property_id: int,
    area: str | None = None,
    bedrooms: int | None = None,
    property_type: PropertyType | str | None = None,
) -> Property:
    """Change a property's area, bedrooms or type; arguments left as None are unchanged.

    Raises:
        PropertyNotFound: If there is no such property.
        EmptyDescription, InvalidInput, InvalidChoice: For invalid values (nothing is changed).

    """
    home = get_or_raise(session=session, property_id=property_id)
    new_area = require_text(area, field="area", max_length=60) if area is not None else home.area
    new_bedrooms = _check_bedrooms(bedrooms) if bedrooms is not None else home.bedrooms
    new_type = choice(PropertyType, property_type, "property_type") if property_type else home.property_type
    home.area, home.bedrooms, home.property_type = new_area, new_bedrooms, new_type
    session.flush()
    return home
