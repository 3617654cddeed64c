"""Available homes: properties advertised to applicants and to tenants wanting a transfer."""

from __future__ import annotations

import builtins
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.housing import properties
from bot.housing._common import choice, resolve_now
from bot.housing.enums import HomeStatus, PropertyType
from bot.housing.errors import AvailableHomeNotFound, InvalidInput
from bot.housing.models import AvailableHome
from bot.housing.validation import parse_amount, require_text

MAX_BEDROOMS = 10


def _check_bedrooms(bedrooms: int, field: str = "bedrooms") -> int:
    if isinstance(bedrooms, bool) or not isinstance(bedrooms, int) or not 0 <= bedrooms <= MAX_BEDROOMS:
        raise InvalidInput(f"{field} must be a whole number from 0 to {MAX_BEDROOMS}, got {bedrooms!r}")
    return bedrooms


def get(*, session: Session, home_id: int) -> AvailableHome | None:
    """Return the advertised home with `home_id`, or None."""
    return session.get(AvailableHome, home_id)


def get_or_raise(*, session: Session, home_id: int) -> AvailableHome:
    """Return the advertised home with `home_id`.

    Raises:
        AvailableHomeNotFound: If there is none.

    """
    home = get(session=session, home_id=home_id)
    if home is None:
        raise AvailableHomeNotFound(f"no available home {home_id}")
    return home


def list(
    *, session: Session, status: HomeStatus | str | None = HomeStatus.AVAILABLE, limit: int = 100
) -> builtins.list[AvailableHome]:
    """Return advertised homes in one status (available by default; None for all), soonest available first.

    Raises:
        InvalidChoice: For an unknown status.

    """
    statement = select(AvailableHome).order_by(AvailableHome.available_from, AvailableHome.id).limit(limit)
    if status is not None:
        statement = statement.where(AvailableHome.status == choice(HomeStatus, status, "status"))
    return builtins.list(session.execute(statement).scalars().all())


def search(
    *,
    session: Session,
    bedrooms: int | None = None,
    area: str | None = None,
    min_bedrooms: int | None = None,
    limit: int = 5,
) -> builtins.list[AvailableHome]:
    """Return homes still available with exactly `bedrooms` (or at least `min_bedrooms`) in `area`.

    The area matches in any case.

    Raises:
        InvalidInput: If a bedroom count is out of range.

    """
    statement = (
        select(AvailableHome)
        .where(AvailableHome.status == HomeStatus.AVAILABLE)
        .order_by(AvailableHome.available_from, AvailableHome.weekly_rent, AvailableHome.id)
        .limit(limit)
    )
    if bedrooms is not None:
        statement = statement.where(AvailableHome.bedrooms == _check_bedrooms(bedrooms))
    if min_bedrooms is not None:
        statement = statement.where(AvailableHome.bedrooms >= _check_bedrooms(min_bedrooms, "min_bedrooms"))
    if area is not None and area.strip():
        statement = statement.where(func.lower(AvailableHome.area) == area.strip().lower())
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    area: str,
    bedrooms: int,
    property_type: PropertyType | str,
    weekly_rent: Decimal | int | str,
    available_from: date,
    summary: str,
    property_id: int | None = None,
    now: datetime | None = None,
) -> AvailableHome:
    """Advertise a home.

    Raises:
        EmptyDescription: For a blank area or summary.
        InvalidInput: For bedrooms out of range; InvalidChoice for an unknown type; InvalidAmount for bad
            rent.
        PropertyNotFound: If `property_id` names no property.

    """
    at = resolve_now(now)
    name = require_text(area, field="area", max_length=60)
    rooms = _check_bedrooms(bedrooms)
    kind = choice(PropertyType, property_type, "property_type")
    rent = parse_amount(weekly_rent, field="weekly_rent")
    blurb = require_text(summary, field="summary", max_length=200)
    if property_id is not None:
        properties.get_or_raise(session=session, property_id=property_id)
    home = AvailableHome(
        property_id=property_id,
        area=name,
        bedrooms=rooms,
        property_type=kind,
        weekly_rent=rent,
        available_from=available_from,
        summary=blurb,
        status=HomeStatus.AVAILABLE,
        created_at=at,
        updated_at=at,
    )
    session.add(home)
    session.flush()
    return home


def update(
    *,
    session: Session,
    home_id: int,
    status: HomeStatus | str | None = None,
    weekly_rent: Decimal | int | str | None = None,
    available_from: date | None = None,
    now: datetime | None = None,
) -> AvailableHome:
    """Change an advert's status, rent or availability date; arguments left as None are unchanged.

    Raises:
        AvailableHomeNotFound: If there is no such home.
        InvalidChoice, InvalidAmount: For invalid values (nothing is changed).

    """
    at = resolve_now(now)
    new_status = choice(HomeStatus, status, "status") if status is not None else None
    rent = parse_amount(weekly_rent, field="weekly_rent") if weekly_rent is not None else None
    home = get_or_raise(session=session, home_id=home_id)
    if new_status is not None:
        home.status = new_status
    if rent is not None:
        home.weekly_rent = rent
    if available_from is not None:
        home.available_from = available_from
    home.updated_at = at
    session.flush()
    return home
