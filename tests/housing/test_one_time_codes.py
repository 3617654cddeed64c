"""One-time codes: sent to the number on file, hashed at rest, single use, ten minutes, counted as attempts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.housing import identities, one_time_codes, outbox, tenancies, verification
from bot.housing.db import session_scope
from bot.housing.errors import InvalidInput
from bot.housing.models import OneTimeCode

TEMPLATE = "{code} is your code"
SENDER = "987654321"


def issue(session_factory, tenancy, now) -> str:
    with session_scope(session_factory) as session:
        assert one_time_codes.issue(
            session=session, channel="telegram", address=SENDER, tenancy_reference=tenancy,
            message_template=TEMPLATE, now=now,
        )  # fmt: skip
        message = outbox.list(session=session)[-1]
        assert message.to_address == "+447700900001"
        return re.match(r"(\d{6}) is your code", message.body).group(1)


def check(session_factory, code, now, link=False):
    with session_scope(session_factory) as session:
        return one_time_codes.check(session=session, channel="telegram", address=SENDER, code=code, link=link, now=now)


def test_code_goes_by_sms_to_the_number_on_file_and_only_its_hash_is_stored(session_factory, tenancy, now):
    code = issue(session_factory, tenancy, now)
    with session_scope(session_factory) as session:
        row = session.execute(select(OneTimeCode)).scalar_one()
        assert code not in (row.code_hash, row.salt)
        assert outbox.list(session=session)[-1].channel.value == "sms"


def test_right_code_verifies_and_links_a_telegram_account_when_asked(session_factory, tenancy, now):
    code = issue(session_factory, tenancy, now)
    outcome = check(session_factory, code, now + timedelta(minutes=1), link=True)
    assert outcome.verified and outcome.tenancy_reference == tenancy
    with session_scope(session_factory) as session:
        identity = identities.get(session=session, channel="telegram", address=SENDER)
        assert identity is not None and identity.verified_at is not None


def test_code_works_once(session_factory, tenancy, now):
    code = issue(session_factory, tenancy, now)
    assert check(session_factory, code, now).verified
    assert not check(session_factory, code, now).verified


def test_code_expires_after_ten_minutes(session_factory, tenancy, now):
    code = issue(session_factory, tenancy, now)
    assert not check(session_factory, code, now + timedelta(minutes=10, seconds=1)).verified


def test_a_new_code_replaces_the_old_one(session_factory, tenancy, now):
    first = issue(session_factory, tenancy, now)
    second = issue(session_factory, tenancy, now + timedelta(seconds=5))
    if first != second:
        assert not check(session_factory, first, now + timedelta(seconds=6)).verified
    assert check(session_factory, second, now + timedelta(seconds=7)).verified


def test_three_wrong_codes_lock_the_sender_even_against_the_right_code(session_factory, tenancy, now):
    code = issue(session_factory, tenancy, now)
    wrong = "000000" if code != "000000" else "111111"
    outcomes = [check(session_factory, wrong, now + timedelta(seconds=i)) for i in range(3)]
    assert [o.status.value for o in outcomes] == ["failed", "failed", "locked"]
    assert not check(session_factory, code, now + timedelta(seconds=5)).verified
    with session_scope(session_factory) as session:
        later = now + timedelta(seconds=5)
        assert verification.locked_until(session=session, channel="telegram", address=SENDER, now=later) is not None


def test_no_code_without_a_mobile_number_on_file(session_factory, make_tenancy, now):
    tenancy = make_tenancy()
    with session_scope(session_factory) as session:
        for tenant in tenancies.household(session=session, reference=tenancy):
            tenant.phone = None
    with session_scope(session_factory) as session:
        assert not one_time_codes.issue(
            session=session, channel="telegram", address=SENDER, tenancy_reference=tenancy,
            message_template=TEMPLATE, now=now,
        )  # fmt: skip
        assert outbox.list(session=session) == []


def test_template_without_a_code_placeholder_is_refused(session_factory, tenancy, now):
    with session_scope(session_factory) as session, pytest.raises(InvalidInput):
        one_time_codes.issue(
            session=session, channel="telegram", address=SENDER, tenancy_reference=tenancy,
            message_template="hello", now=now,
        )  # fmt: skip
