from datetime import timedelta

import pytest

from bot.housing import audit, staff
from bot.housing.db import session_scope
from bot.housing.enums import StaffRole
from bot.housing.errors import (
    AccountLocked,
    DuplicateRecord,
    InvalidChoice,
    InvalidCredentials,
    InvalidInput,
    StaffUserNotFound,
    WeakPassword,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def agent(session_factory, now) -> str:
    with session_scope(session_factory) as session:
        staff.create(
            session=session, username="Amira", display_name="Amira Patel", role="agent", password=PASSWORD, now=now
        )
    return "amira"


def test_create_staff_stores_an_argon2_hash_not_the_password(session_factory, agent) -> None:
    with session_scope(session_factory) as session:
        member = staff.get_or_raise(session=session, username="AMIRA")
    assert member.role is StaffRole.AGENT
    assert member.password_hash.startswith("$argon2id$")
    assert PASSWORD not in member.password_hash


def test_authenticate_accepts_the_right_password(session_factory, agent, now) -> None:
    with session_scope(session_factory) as session:
        member = staff.authenticate(session=session, username="amira", password=PASSWORD, now=now)
    assert member.last_login_at == now and member.failed_attempts == 0


def test_wrong_password_and_unknown_user_get_the_same_error(session_factory, agent, now) -> None:
    for username in ("amira", "nobody", "!!"):
        with pytest.raises(InvalidCredentials, match="wrong username or password"), session_scope(session_factory) as s:
            staff.authenticate(session=s, username=username, password="not it at all", now=now)


def test_five_wrong_passwords_lock_the_account_for_15_minutes(session_factory, agent, now) -> None:
    for attempt in range(4):
        with pytest.raises(InvalidCredentials), session_scope(session_factory) as session:
            staff.authenticate(
                session=session, username="amira", password="guess", now=now + timedelta(seconds=attempt)
            )
    with pytest.raises(AccountLocked) as locked, session_scope(session_factory) as session:
        staff.authenticate(session=session, username="amira", password="guess", now=now + timedelta(seconds=5))
    assert locked.value.locked_until == now + timedelta(seconds=5, minutes=15)
    with pytest.raises(AccountLocked), session_scope(session_factory) as session:
        staff.authenticate(session=session, username="amira", password=PASSWORD, now=now + timedelta(minutes=10))
    with session_scope(session_factory) as session:
        assert staff.authenticate(session=session, username="amira", password=PASSWORD, now=now + timedelta(minutes=21))
        failures = [e for e in audit.list(session=session, subject="staff:amira") if e.action == "staff.sign_in_failed"]
    assert len(failures) == 5


def test_disabled_account_cannot_sign_in(session_factory, agent, now) -> None:
    with session_scope(session_factory) as session:
        staff.update(session=session, username="amira", is_active=False, now=now)
        assert staff.list(session=session) == []
    with pytest.raises(AccountLocked), session_scope(session_factory) as session:
        staff.authenticate(session=session, username="amira", password=PASSWORD, now=now)


def test_staff_refuses_invalid_input_and_writes_nothing(assert_refused, agent, now) -> None:
    def create(**overrides):
        values = {"username": "dave", "display_name": "David", "role": "supervisor", "password": PASSWORD, "now": now}
        values.update(overrides)
        return lambda session: staff.create(session=session, **values)

    assert_refused(DuplicateRecord, create(username="AMIRA"))
    assert_refused(WeakPassword, create(password="short"))
    assert_refused(WeakPassword, create(password="aaaaaaaaaaaaaaaa"))
    assert_refused(InvalidChoice, create(role="overlord"))
    assert_refused(InvalidInput, create(username="x y"))
    assert_refused(StaffUserNotFound, lambda session: staff.update(session=session, username="ghost", role="admin"))


def test_a_new_password_lifts_a_lock_and_role_changes_stick(session_factory, agent, now) -> None:
    for attempt in range(5):
        with pytest.raises((InvalidCredentials, AccountLocked)), session_scope(session_factory) as session:
            staff.authenticate(
                session=session, username="amira", password="guess", now=now + timedelta(seconds=attempt)
            )
    with session_scope(session_factory) as session:
        staff.update(session=session, username="amira", password="a brand new passphrase", role="supervisor", now=now)
    with session_scope(session_factory) as session:
        member = staff.authenticate(session=session, username="amira", password="a brand new passphrase", now=now)
    assert member.role is StaffRole.SUPERVISOR
