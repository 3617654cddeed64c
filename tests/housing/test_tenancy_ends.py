from datetime import date, timedelta

import pytest

from bot.housing import tenancies, tenancy_ends
from bot.housing.db import session_scope
from bot.housing.enums import TenancyEndReason
from bot.housing.errors import DateInPast, EmptyDescription, InvalidChoice, InvalidDate, TenancyNotFound


def test_notice_is_recorded_and_applying_it_sets_the_tenancy_end_date(session_factory, tenancy, now) -> None:
    end = date(2025, 12, 21)
    with session_scope(session_factory) as session:
        request = tenancy_ends.create(
            session=session,
            tenancy_reference=tenancy,
            reason="moving",
            end_date=end,
            forwarding_address="1 New St",
            now=now,
        )
        assert request.notice_date == now.date()
        tenancy_ends.update(session=session, reference=request.reference, status="applied", now=now)
    with session_scope(session_factory) as session:
        assert tenancies.get_or_raise(session=session, reference=tenancy).end_date == end


def test_bereavement_is_recorded_with_who_reported_it(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        request = tenancy_ends.create(
            session=session,
            tenancy_reference=tenancy,
            reason=TenancyEndReason.BEREAVEMENT,
            end_date=now.date() + timedelta(days=28),
            reported_by_name="Amina Ahmed",
            reported_by_relationship="daughter",
            now=now,
        )
    assert (request.reported_by_name, request.reported_by_relationship) == ("Amina Ahmed", "daughter")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"end_date": date(2025, 11, 18)}, DateInPast),
        ({"notice_date": date(2025, 11, 20)}, InvalidDate),
        ({"reason": "bored"}, InvalidChoice),
        ({"reason": "bereavement"}, EmptyDescription),
        ({"tenancy_reference": "TN999999"}, TenancyNotFound),
    ],
)
def test_create_tenancy_end_refuses_invalid_input_and_writes_nothing(
    assert_refused, tenancy, now, overrides, error
) -> None:
    values = {"tenancy_reference": tenancy, "reason": "moving", "end_date": date(2025, 12, 21), "now": now} | overrides
    assert_refused(error, lambda session: tenancy_ends.create(session=session, **values))


def test_requests_are_listed_soonest_end_first_and_found_by_reference(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        later = tenancy_ends.create(
            session=session, tenancy_reference=tenancy, reason="care", end_date=date(2026, 1, 31), now=now
        )
        sooner = tenancy_ends.create(
            session=session, tenancy_reference=tenancy, reason="transfer", end_date=date(2025, 12, 14), now=now
        )
        tenancy_ends.update(session=session, reference=later.reference, status="withdrawn", now=now)
        assert [r.id for r in tenancy_ends.list(session=session, tenancy_reference=tenancy)] == [sooner.id, later.id]
        assert [r.id for r in tenancy_ends.list(session=session, status="pending")] == [sooner.id]
        assert tenancy_ends.get(session=session, reference=sooner.reference.lower()).id == sooner.id
