from datetime import date, timedelta

import pytest

from bot.housing import identities, verification
from bot.housing.db import session_scope
from bot.housing.enums import VerificationStatus
from bot.housing.errors import InvalidInput, InvalidPostcode, InvalidTenancyReference

SENDER = {"channel": "sms", "address": "+447700900555"}


def _verify(session_factory, now, **answers):
    with session_scope(session_factory) as session:
        return verification.verify(session=session, now=now, **SENDER, **answers)


def test_verify_with_reference_and_postcode_links_the_sender_to_the_lead_tenant(session_factory, tenancy, now) -> None:
    outcome = _verify(session_factory, now, tenancy_reference=tenancy.lower(), postcode="ls97qt")
    assert outcome.verified and outcome.tenancy_reference == tenancy and outcome.first_name == "Sarah"
    with session_scope(session_factory) as session:
        identity = identities.get_or_raise(session=session, **SENDER)
        assert (identity.tenant_id, identity.verified_at) == (outcome.tenant_id, now)


def test_verify_with_date_of_birth_works_too(session_factory, tenancy, now) -> None:
    assert _verify(session_factory, now, tenancy_reference=tenancy, date_of_birth=date(1986, 3, 14)).verified


def test_verify_fails_on_a_wrong_postcode_or_unknown_tenancy_without_saying_which(
    session_factory, tenancy, now
) -> None:
    wrong_postcode = _verify(session_factory, now, tenancy_reference=tenancy, postcode="LS1 4AB")
    unknown = _verify(session_factory, now + timedelta(minutes=1), tenancy_reference="TN999999", postcode="LS9 7QT")
    assert wrong_postcode.status is unknown.status is VerificationStatus.FAILED
    assert (wrong_postcode.attempts_remaining, unknown.attempts_remaining) == (2, 1)
    assert wrong_postcode.tenancy_reference is None


def test_three_failures_in_30_minutes_lock_the_sender_even_with_right_answers(session_factory, tenancy, now) -> None:
    for minute in range(3):
        outcome = _verify(
            session_factory, now + timedelta(minutes=minute), tenancy_reference=tenancy, postcode="LS1 4AB"
        )
    assert outcome.status is VerificationStatus.LOCKED
    assert outcome.locked_until == now + timedelta(minutes=30)
    right = _verify(session_factory, now + timedelta(minutes=10), tenancy_reference=tenancy, postcode="LS9 7QT")
    assert right.status is VerificationStatus.LOCKED
    with session_scope(session_factory) as session:
        attempts = verification.list(session=session, **SENDER)
        assert len(attempts) == 4 and not any(attempt.success for attempt in attempts)
        assert verification.locked_until(session=session, now=now + timedelta(minutes=10), **SENDER) is not None


def test_the_lock_lifts_30_minutes_after_the_failures(session_factory, tenancy, now) -> None:
    for minute in range(3):
        _verify(session_factory, now + timedelta(minutes=minute), tenancy_reference=tenancy, postcode="LS1 4AB")
    later = now + timedelta(minutes=31)
    assert _verify(session_factory, later, tenancy_reference=tenancy, postcode="LS9 7QT").verified


def test_failures_spread_over_more_than_30_minutes_do_not_lock(session_factory, tenancy, now) -> None:
    for minutes in (0, 20, 40):
        outcome = _verify(
            session_factory, now + timedelta(minutes=minutes), tenancy_reference=tenancy, postcode="LS1 4AB"
        )
    assert outcome.status is VerificationStatus.FAILED and outcome.attempts_remaining == 1


def test_verify_refuses_an_ended_tenancy(session_factory, make_tenancy, now) -> None:
    ended = make_tenancy(end_date=now.date() - timedelta(days=1))
    assert (
        _verify(session_factory, now, tenancy_reference=ended, postcode="LS9 7QT").status is VerificationStatus.FAILED
    )


@pytest.mark.parametrize(
    ("answers", "error"),
    [
        ({"tenancy_reference": "104233", "postcode": "LS9 7QT"}, InvalidTenancyReference),
        ({"tenancy_reference": "TN100001", "postcode": "LS9"}, InvalidPostcode),
        ({"tenancy_reference": "TN100001"}, InvalidInput),
    ],
)
def test_malformed_answers_are_refused_and_not_counted_as_attempts(
    assert_refused, tenancy, now, answers, error
) -> None:
    assert_refused(error, lambda session: verification.verify(session=session, now=now, **SENDER, **answers))
