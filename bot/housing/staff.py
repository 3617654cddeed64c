"""Staff users of the console: roles, argon2 password hashes and lock-out after repeated failed sign-ins."""

from __future__ import annotations

import builtins
import contextlib
import re
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import audit
from bot.housing._common import SYSTEM_ACTOR, choice, resolve_now
from bot.housing.enums import StaffRole
from bot.housing.errors import (
    AccountLocked,
    DuplicateRecord,
    InvalidCredentials,
    InvalidInput,
    StaffUserNotFound,
    WeakPassword,
)
from bot.housing.models import StaffUser
from bot.housing.validation import normalise_name

MAX_FAILED_SIGN_INS = 5
LOCK_DURATION = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,59}$")


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    # Verifying against a decoy for unknown usernames makes them take as long as wrong passwords.
    return _hasher().hash("decoy password that no account has")


def normalise_username(username: str) -> str:
    """Return a username in lower case.

    Raises:
        InvalidInput: Unless it is 3-60 characters of letters, digits, dots, dashes or underscores, starting
            with a letter.

    """
    value = str(username or "").strip().lower()
    if not _USERNAME.match(value):
        raise InvalidInput(f"{username!r} is not a valid username")
    return value


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    if len(set(password)) < 5:
        raise WeakPassword("that password is too easy to guess")
    return password


def get(*, session: Session, username: str) -> StaffUser | None:
    """Return the member of staff with `username` (any case), or None.

    Raises:
        InvalidInput: For a malformed username.

    """
    statement = select(StaffUser).where(StaffUser.username == normalise_username(username))
    return session.execute(statement).scalar_one_or_none()


def get_or_raise(*, session: Session, username: str) -> StaffUser:
    """Return the member of staff with `username`.

    Raises:
        InvalidInput: For a malformed username.
        StaffUserNotFound: If there is none.

    """
    member = get(session=session, username=username)
    if member is None:
        raise StaffUserNotFound(f"no staff user {username}")
    return member


def list(*, session: Session, active_only: bool = True) -> builtins.list[StaffUser]:
    """Return staff users by username, optionally only those not disabled."""
    statement = select(StaffUser).order_by(StaffUser.username)
    if active_only:
        statement = statement.where(StaffUser.is_active.is_(True))
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    username: str,
    display_name: str,
    role: StaffRole | str,
    password: str,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> StaffUser:
    """Create a member of staff with an argon2 hash of `password`.

    Raises:
        InvalidInput: For a malformed username; InvalidName for a blank display name.
        InvalidChoice: For an unknown role.
        WeakPassword: For a password under 12 characters or with too few different characters.
        DuplicateRecord: If the username is taken.

    """
    at = resolve_now(now)
    name = normalise_username(username)
    shown = normalise_name(display_name, max_length=120)
    level = choice(StaffRole, role, "role")
    secret = _check_password(password)
    if get(session=session, username=name) is not None:
        raise DuplicateRecord(f"username {name} is taken")
    member = StaffUser(
        username=name,
        display_name=shown,
        role=level,
        password_hash=_hasher().hash(secret),
        failed_attempts=0,
        is_active=True,
        created_at=at,
        updated_at=at,
    )
    session.add(member)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="staff.created",
        subject=f"staff:{name}",
        details={"role": level.value},
        now=at,
    )
    return member


def update(
    *,
    session: Session,
    username: str,
    display_name: str | None = None,
    role: StaffRole | str | None = None,
    is_active: bool | None = None,
    password: str | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> StaffUser:
    """Change a member of staff; arguments left as None are unchanged. A new password also lifts any lock.

    Raises:
        InvalidInput, StaffUserNotFound: For a bad username.
        InvalidName, InvalidChoice, WeakPassword: For invalid values (nothing is changed).

    """
    at = resolve_now(now)
    shown = normalise_name(display_name, max_length=120) if display_name is not None else None
    level = choice(StaffRole, role, "role") if role is not None else None
    secret = _check_password(password) if password is not None else None
    member = get_or_raise(session=session, username=username)
    changed = []
    if shown is not None:
        member.display_name = shown
        changed.append("display_name")
    if level is not None:
        member.role = level
        changed.append("role")
    if is_active is not None:
        member.is_active = is_active
        changed.append("is_active")
    if secret is not None:
        member.password_hash = _hasher().hash(secret)
        member.failed_attempts = 0
        member.locked_until = None
        changed.append("password")
    member.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="staff.updated",
        subject=f"staff:{member.username}",
        details={"fields": changed},
        now=at,
    )
    return member


def authenticate(*, session: Session, username: str, password: str, now: datetime | None = None) -> StaffUser:
    """Check a username and password and return the member of staff.

    Five wrong passwords in a row lock the account for 15 minutes. A failure is committed before the error is
    raised, because the caller's rollback would otherwise forget it and allow unlimited guessing; so call this
    in a session holding nothing else.

    Raises:
        InvalidCredentials: If the username or password is wrong (the message does not say which).
        AccountLocked: If the account is locked or disabled.

    """
    at = resolve_now(now)
    try:
        member = get(session=session, username=username)
    except InvalidInput:
        member = None
    if member is None:
        with contextlib.suppress(VerificationError):
            _hasher().verify(_decoy_hash(), str(password))
        raise InvalidCredentials("wrong username or password")
    if not member.is_active:
        raise AccountLocked(f"account {member.username} is disabled")
    if member.locked_until is not None and member.locked_until > at:
        raise AccountLocked(f"account {member.username} is locked", locked_until=member.locked_until)
    try:
        _hasher().verify(member.password_hash, str(password))
    except (VerificationError, InvalidHashError):
        member.failed_attempts += 1
        locked = member.failed_attempts >= MAX_FAILED_SIGN_INS
        if locked:
            member.locked_until = at + LOCK_DURATION
            member.failed_attempts = 0
        audit.record(
            session=session,
            actor=f"staff:{member.username}",
            action="staff.sign_in_failed",
            subject=f"staff:{member.username}",
            details={"locked": locked},
            now=at,
        )
        session.commit()
        if locked:
            raise AccountLocked(f"account {member.username} is locked", locked_until=member.locked_until) from None
        raise InvalidCredentials("wrong username or password") from None
    if _hasher().check_needs_rehash(member.password_hash):
        member.password_hash = _hasher().hash(str(password))
    member.failed_attempts = 0
    member.locked_until = None
    member.last_login_at = at
    member.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=f"staff:{member.username}",
        action="staff.signed_in",
        subject=f"staff:{member.username}",
        now=at,
    )
    return member
