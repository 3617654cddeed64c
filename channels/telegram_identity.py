"""Telegram accounts and tenants: linking an account through the phone number its owner shared.

Telegram fills a shared contact's user_id from its own records, so a contact whose user_id is the sender's carries
the number of the sender's own account: as good evidence of the number as an SMS From. When that number is the
mobile on file for exactly one tenant with a current tenancy, the account is linked to that tenant
(`identities.link_tenant`) and becomes a known sender, like an SMS number: actions/identity.py then asks it one
question (date of birth or postcode) before personal data, instead of the full check for strangers.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.housing import identities, tenancies, tenants
from bot.housing.enums import Channel
from bot.housing.errors import InvalidPhoneNumber
from bot.housing.validation import normalise_phone


def link_shared_number(session: Session, *, user_id: str, phone: str) -> bool:
    """Link a Telegram account to the tenant whose mobile number it shared; return whether it was linked.

    Only a number on file for exactly one tenant with a current tenancy links: anything else would guess.

    Args:
        session: An open housing session.
        user_id: The Telegram user id (the channel address).
        phone: The number from the contact the user shared of themselves.
    """
    digits = phone.strip()
    if digits.isdigit() and not digits.startswith("0"):
        digits = "+" + digits  # Telegram sends the number without its "+"
    try:
        number = normalise_phone(digits)
    except InvalidPhoneNumber:
        return False
    holders = [
        tenant
        for tenant in tenants.list(session=session, phone=number, limit=5)
        if tenancies.list(session=session, tenant_id=tenant.id, current_only=True, limit=1)
    ]
    if len(holders) != 1:
        return False
    identities.link_tenant(
        session=session,
        channel=Channel.TELEGRAM,
        address=user_id,
        tenant_id=holders[0].id,
        actor="telegram:shared_contact",
    )
    return True


def is_linked(session: Session, user_id: str) -> bool:
    """Return whether a Telegram account is already linked to a tenant."""
    identity = identities.get(session=session, channel=Channel.TELEGRAM, address=user_id)
    return identity is not None and identity.tenant_id is not None and identity.verified_at is not None
