import pytest

from bot.housing import welfare
from bot.housing.db import session_scope
from bot.housing.enums import Urgency
from bot.housing.errors import EmptyDescription, InvalidChoice, InvalidPhoneNumber, TenancyNotFound


def test_anyone_can_raise_a_concern_and_the_most_urgent_is_listed_first(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        welfare.create(session=session, subject="Neighbour at 12", concern="Not seen for a week", now=now)
        urgent = welfare.create(
            session=session,
            subject="My neighbour",
            concern="Shouting and a child crying for hours",
            urgency="emergency",
            location="Flat 3",
            tenancy_reference=tenancy,
            reporter_channel="whatsapp",
            reporter_address="07700 900001",
            now=now,
        )
    assert urgent.reporter_address == "+447700900001"
    with session_scope(session_factory) as session:
        queue = welfare.list(session=session)
    assert [concern.urgency for concern in queue] == [Urgency.EMERGENCY, Urgency.NORMAL]


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"subject": " "}, EmptyDescription),
        ({"concern": ""}, EmptyDescription),
        ({"urgency": "soonish"}, InvalidChoice),
        ({"tenancy_reference": "TN999999"}, TenancyNotFound),
        ({"reporter_address": "call me"}, InvalidPhoneNumber),
    ],
)
def test_create_concern_refuses_invalid_input_and_writes_nothing(assert_refused, now, overrides, error) -> None:
    values = {"subject": "Neighbour", "concern": "Not seen", "now": now} | overrides
    assert_refused(error, lambda session: welfare.create(session=session, **values))


def test_concern_is_updated_through_its_reference(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        concern = welfare.create(session=session, subject="Neighbour", concern="Not seen", now=now)
        welfare.update(session=session, reference=concern.reference.lower(), status="in_progress", now=now)
        assert welfare.get_or_raise(session=session, reference=concern.reference).status.value == "in_progress"
