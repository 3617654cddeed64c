from datetime import date
from decimal import Decimal

import pytest

from bot.housing import homes
from bot.housing.db import session_scope
from bot.housing.enums import HomeStatus
from bot.housing.errors import AvailableHomeNotFound, EmptyDescription, InvalidAmount, InvalidChoice, InvalidInput


def _advertise(session, now, **overrides):
    values = {
        "area": "Armley",
        "bedrooms": 2,
        "property_type": "flat",
        "weekly_rent": "97.40",
        "available_from": date(2025, 12, 1),
        "summary": "Two-bedroom first-floor flat near the park",
        "now": now,
    }
    values.update(overrides)
    return homes.create(session=session, **values)


def test_search_finds_available_homes_by_bedrooms_and_area_in_any_case(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        wanted = _advertise(session, now)
        _advertise(session, now, bedrooms=3)
        _advertise(session, now, area="Seacroft")
        let = _advertise(session, now, available_from=date(2025, 11, 25))
        homes.update(session=session, home_id=let.id, status=HomeStatus.LET, now=now)
    with session_scope(session_factory) as session:
        found = homes.search(session=session, bedrooms=2, area=" armley ")
        bigger = homes.search(session=session, min_bedrooms=3)
        everything = homes.list(session=session, status=None)
    assert [home.id for home in found] == [wanted.id]
    assert found[0].weekly_rent == Decimal("97.40")
    assert [home.bedrooms for home in bigger] == [3]
    assert len(everything) == 4


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"area": " "}, EmptyDescription),
        ({"bedrooms": -1}, InvalidInput),
        ({"property_type": "castle"}, InvalidChoice),
        ({"weekly_rent": "-1"}, InvalidAmount),
        ({"summary": ""}, EmptyDescription),
    ],
)
def test_create_home_refuses_invalid_input_and_writes_nothing(assert_refused, now, overrides, error) -> None:
    assert_refused(error, lambda session: _advertise(session, now, **overrides))


def test_search_and_update_refuse_bad_values(assert_refused) -> None:
    assert_refused(InvalidInput, lambda session: homes.search(session=session, bedrooms=42))
    assert_refused(AvailableHomeNotFound, lambda session: homes.update(session=session, home_id=999, status="let"))
