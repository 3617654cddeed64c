"""One-time codes: the last step of verifying a sender the housing system does not know yet.

After a sender has given a tenancy reference, postcode and date of birth that match, a 6-digit code goes by SMS to
the mobile number on file for that tenancy; typing it back proves they hold that phone. Only a salted hash of the
code is stored, a code lives 10 minutes and works once, and a wrong code counts as a failed verification attempt
(three in 30 minutes lock the sender out, see `verification`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.housing import identities, outbox, verification
from bot.housing._common import choice, find_current_tenancy, household_tenants, resolve_now
from bot.housing.enums import Channel, VerificationStatus
from bot.housing.errors import InvalidInput
from bot.housing.models import OneTimeCode, VerificationAttempt
from bot.housing.validation import normalise_channel_address

CODE_LENGTH = 6
LIFETIME = timedelta(minutes=10)
CODE_PLACEHOLDER = "{code}"


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def issue(
    *,
    session: Session,
    channel: Channel | str,
    address: str,
    tenancy_reference: str,
    message_template: str,
    now: datetime | None = None,
) -> bool:
    """Send a new code by SMS to the tenancy's mobile number on file, replacing any earlier unused code.

    Args:
        session: The open session.
        channel: The channel the sender is verifying on.
        address: The sender's address on that channel.
        tenancy_reference: The tenancy whose answers the sender has already matched.
        message_template: The SMS text, with "{code}" where the code goes.
        now: The current time; the real clock when None.

    Returns:
        True if a code was queued, False when no tenant on the tenancy has a mobile number on file.

    Raises:
        InvalidInput: If the template has no "{code}".
        TenancyNotFound, TenancyEnded: For a tenancy that does not exist or has ended.
        InvalidChoice, InvalidPhoneNumber: For a bad channel or address.
    """
    if CODE_PLACEHOLDER not in message_template:
        raise InvalidInput("the code message needs a {code} placeholder")
    at = resolve_now(now)
    via = choice(Channel, channel, "channel")
    sender = normalise_channel_address(via, address)
    tenancy = find_current_tenancy(session, tenancy_reference, at)
    holder = next((tenant for tenant in household_tenants(session, tenancy.id) if tenant.phone), None)
    if holder is None:
        return False
    session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.channel == via, OneTimeCode.address == sender, OneTimeCode.used_at.is_(None))
        .values(used_at=at)
    )
    code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
    salt = secrets.token_hex(16)
    row = OneTimeCode(
        channel=via,
        address=sender,
        tenancy_id=tenancy.id,
        tenant_id=holder.id,
        salt=salt,
        code_hash=_hash(salt, code),
        expires_at=at + LIFETIME,
        created_at=at,
    )
    session.add(row)
    session.flush()
    outbox.create(
        session=session,
        channel=Channel.SMS,
        to=holder.phone,
        body=message_template.replace(CODE_PLACEHOLDER, code),
        idempotency_key=f"otp:{row.id}",
        now=at,
    )
    return True


def check(
    *,
    session: Session,
    channel: Channel | str,
    address: str,
    code: str,
    link: bool = False,
    now: datetime | None = None,
) -> verification.VerificationOutcome:
    """Check a code typed back by the sender; every check is recorded as a verification attempt.

    Args:
        session: The open session.
        channel: The sender's channel.
        address: The sender's address on it.
        code: What the sender typed (digits only).
        link: Link the address to the tenant on success (a Telegram account becomes a known sender).
        now: The current time; the real clock when None.

    Returns:
        Verified (with tenancy, tenant and first name), failed (with attempts left) or locked.

    Raises:
        InvalidChoice, InvalidPhoneNumber: For a bad channel or address.
    """
    at = resolve_now(now)
    via = choice(Channel, channel, "channel")
    sender = normalise_channel_address(via, address)
    lock = verification.locked_until(session=session, channel=via, address=sender, now=at)
    if lock is not None:
        return verification.VerificationOutcome(
            status=VerificationStatus.LOCKED, attempts_remaining=0, locked_until=lock
        )
    row = session.execute(
        select(OneTimeCode)
        .where(
            OneTimeCode.channel == via,
            OneTimeCode.address == sender,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > at,
        )
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    success = row is not None and hmac.compare_digest(row.code_hash, _hash(row.salt, code.strip()))
    session.add(
        VerificationAttempt(
            channel=via,
            address=sender,
            tenancy_reference=None,
            tenancy_id=row.tenancy_id if row is not None else None,
            success=success,
            attempted_at=at,
        )
    )
    session.flush()
    if not success or row is None:
        lock = verification.locked_until(session=session, channel=via, address=sender, now=at)
        if lock is not None:
            return verification.VerificationOutcome(
                status=VerificationStatus.LOCKED, attempts_remaining=0, locked_until=lock
            )
        failures = len(verification.recent_failures(session=session, channel=via, address=sender, now=at))
        return verification.VerificationOutcome(
            status=VerificationStatus.FAILED, attempts_remaining=max(verification.MAX_FAILURES - failures, 0)
        )
    row.used_at = at
    tenant = row.tenant
    if link:
        identities.link_tenant(
            session=session, channel=via, address=sender, tenant_id=tenant.id, actor=f"{via.value}:{sender}", now=at
        )
    return verification.VerificationOutcome(
        status=VerificationStatus.VERIFIED,
        tenancy_reference=row.tenancy.reference,
        tenant_id=tenant.id,
        first_name=tenant.first_name,
    )
