"""Identity checks: a sender proves they are a tenant with a tenancy reference and postcode or date of birth.

Every attempt is recorded. Three failed attempts from one address within 30 minutes lock it until the oldest
of them is 30 minutes old; attempts while locked are recorded as failures too, so continued guessing keeps the
lock on. A failed check is a normal outcome, not an error: `verify` returns it (so the caller's commit keeps
the record) and raises only for input that is not even well formed, in which case nothing is written.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import identities
from bot.housing._common import choice, household_tenants, resolve_now, today_in_england
from bot.housing.enums import Channel, VerificationStatus
from bot.housing.errors import InvalidInput
from bot.housing.models import Tenancy, VerificationAttempt
from bot.housing.validation import normalise_channel_address, normalise_postcode, normalise_tenancy_reference

MAX_FAILURES = 3
WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class VerificationOutcome:
    """The result of one identity check.

    Attributes:
        status: Verified, failed or locked.
        tenancy_reference: The verified tenancy, when verified.
        tenant_id: The tenant the address is now linked to, when verified.
        first_name: That tenant's first name, for the greeting.
        attempts_remaining: Failures left before the address is locked.
        locked_until: When a lock ends, when locked.

    """

    status: VerificationStatus
    tenancy_reference: str | None = None
    tenant_id: int | None = None
    first_name: str | None = None
    attempts_remaining: int = MAX_FAILURES
    locked_until: datetime | None = None

    @property
    def verified(self) -> bool:
        """Return whether the check succeeded."""
        return self.status is VerificationStatus.VERIFIED


def _recent_failures(session: Session, channel: Channel, address: str, at: datetime) -> builtins.list[datetime]:
    last_success = session.execute(
        select(VerificationAttempt.attempted_at)
        .where(
            VerificationAttempt.channel == channel,
            VerificationAttempt.address == address,
            VerificationAttempt.success.is_(True),
        )
        .order_by(VerificationAttempt.attempted_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    since = at - WINDOW
    if last_success is not None and last_success > since:
        since = last_success
    statement = (
        select(VerificationAttempt.attempted_at)
        .where(
            VerificationAttempt.channel == channel,
            VerificationAttempt.address == address,
            VerificationAttempt.success.is_(False),
            VerificationAttempt.attempted_at > since,
            VerificationAttempt.attempted_at <= at,
        )
        .order_by(VerificationAttempt.attempted_at.desc())
    )
    return builtins.list(session.execute(statement).scalars().all())


def _lock_end(failures: builtins.list[datetime]) -> datetime | None:
    if len(failures) < MAX_FAILURES:
        return None
    return failures[MAX_FAILURES - 1] + WINDOW


def locked_until(
    *, session: Session, channel: Channel | str, address: str, now: datetime | None = None
) -> datetime | None:
    """Return when the lock on `address` ends, or None if it is not locked.

    Raises:
        InvalidChoice: For an unknown channel; InvalidPhoneNumber for a malformed address.

    """
    at = resolve_now(now)
    via = choice(Channel, channel, "channel")
    return _lock_end(_recent_failures(session, via, normalise_channel_address(via, address), at))


def recent_failures(
    *, session: Session, channel: Channel | str, address: str, now: datetime | None = None
) -> builtins.list[datetime]:
    """Return when the failed attempts that count towards a lock were made, newest first."""
    via = choice(Channel, channel, "channel")
    return _recent_failures(session, via, normalise_channel_address(via, address), resolve_now(now))


def list(
    *, session: Session, channel: Channel | str, address: str, limit: int = 20
) -> builtins.list[VerificationAttempt]:
    """Return the attempts made from `address`, newest first.

    Raises:
        InvalidChoice: For an unknown channel; InvalidPhoneNumber for a malformed address.

    """
    via = choice(Channel, channel, "channel")
    statement = (
        select(VerificationAttempt)
        .where(
            VerificationAttempt.channel == via,
            VerificationAttempt.address == normalise_channel_address(via, address),
        )
        .order_by(VerificationAttempt.attempted_at.desc(), VerificationAttempt.id.desc())
        .limit(limit)
    )
    return builtins.list(session.execute(statement).scalars().all())


def verify(
    *,
    session: Session,
    channel: Channel | str,
    address: str,
    tenancy_reference: str,
    postcode: str | None = None,
    date_of_birth: date | None = None,
    link: bool = True,
    now: datetime | None = None,
) -> VerificationOutcome:
    """Check that the sender at `address` is a tenant of `tenancy_reference`, and link the address if so.

    With `link=False` a match is reported but the address is not linked yet: a new sender still has to prove,
    with a one-time code, that they hold the phone on file (see `one_time_codes`).

    The tenancy must be current and every answer given must match: the postcode of the home and/or the date of
    birth of a tenant on it. An unknown tenancy is an ordinary failure, so the reply does not reveal which
    references exist.

    Raises:
        InvalidChoice: For an unknown channel; InvalidPhoneNumber for a malformed address.
        InvalidTenancyReference: If the reference is not TN and six digits.
        InvalidPostcode: If the postcode is not a UK postcode.
        InvalidInput: If neither a postcode nor a date of birth is given.

    """
    at = resolve_now(now)
    via = choice(Channel, channel, "channel")
    sender = normalise_channel_address(via, address)
    reference = normalise_tenancy_reference(tenancy_reference)
    wanted_postcode = normalise_postcode(postcode) if postcode is not None else None
    if wanted_postcode is None and date_of_birth is None:
        raise InvalidInput("give the postcode or a date of birth to check against")

    failures = _recent_failures(session, via, sender, at)
    lock = _lock_end(failures)
    tenancy = None
    tenant = None
    if lock is None:
        tenancy = session.execute(select(Tenancy).where(Tenancy.reference == reference)).scalar_one_or_none()
        if tenancy is not None and tenancy.end_date is not None and tenancy.end_date < today_in_england(at):
            tenancy = None
        if tenancy is not None and wanted_postcode is not None and tenancy.property.postcode != wanted_postcode:
            tenancy = None
        if tenancy is not None:
            household = household_tenants(session, tenancy.id)
            if date_of_birth is not None:
                tenant = next((person for person in household if person.date_of_birth == date_of_birth), None)
            elif household:
                tenant = household[0]
            if tenant is None:
                tenancy = None
    success = tenancy is not None and tenant is not None
    session.add(
        VerificationAttempt(
            channel=via,
            address=sender,
            tenancy_reference=reference,
            tenancy_id=tenancy.id if tenancy is not None else None,
            success=success,
            attempted_at=at,
        )
    )
    session.flush()
    if success and link:
        assert tenancy is not None and tenant is not None
        identities.link_tenant(
            session=session,
            channel=via,
            address=sender,
            tenant_id=tenant.id,
            actor=f"{via.value}:{sender}",
            now=at,
        )
    if success:
        assert tenancy is not None and tenant is not None
        return VerificationOutcome(
            status=VerificationStatus.VERIFIED,
            tenancy_reference=tenancy.reference,
            tenant_id=tenant.id,
            first_name=tenant.first_name,
        )
    failures.insert(0, at)
    lock = _lock_end(failures)
    if lock is not None:
        return VerificationOutcome(status=VerificationStatus.LOCKED, attempts_remaining=0, locked_until=lock)
    return VerificationOutcome(status=VerificationStatus.FAILED, attempts_remaining=MAX_FAILURES - len(failures))
