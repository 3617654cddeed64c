"""Channel identities: an SMS or WhatsApp number or a Telegram user id, and the tenant it was verified as.

Channels call `record_inbound` on every message (it creates the identity on first contact and keeps the time
of the tenant's last message, which decides WhatsApp's 24-hour window) and `update(opted_out=...)` on
STOP/START.
"""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import audit, tenants
from bot.housing._common import SYSTEM_ACTOR, choice, resolve_now
from bot.housing._sql import insert_ignore
from bot.housing.enums import Channel
from bot.housing.errors import ChannelIdentityNotFound, DuplicateRecord
from bot.housing.models import ChannelIdentity
from bot.housing.validation import normalise_channel_address

WHATSAPP_SESSION_HOURS = 24
"""WhatsApp allows free-form replies only this long after the tenant's last message."""


def _key(channel: Channel | str, address: str) -> tuple[Channel, str]:
    chosen = choice(Channel, channel, "channel")
    return chosen, normalise_channel_address(chosen, address)


def get(*, session: Session, channel: Channel | str, address: str) -> ChannelIdentity | None:
    """Return the identity for `address` on `channel`, or None.

    Raises:
        InvalidChoice: For an unknown channel; InvalidPhoneNumber for a malformed address.

    """
    chosen, canonical = _key(channel, address)
    statement = select(ChannelIdentity).where(ChannelIdentity.channel == chosen, ChannelIdentity.address == canonical)
    return session.execute(statement).scalar_one_or_none()


def get_or_raise(*, session: Session, channel: Channel | str, address: str) -> ChannelIdentity:
    """Return the identity for `address` on `channel`.

    Raises:
        ChannelIdentityNotFound: If there is none; InvalidChoice or InvalidPhoneNumber for bad input.

    """
    identity = get(session=session, channel=channel, address=address)
    if identity is None:
        raise ChannelIdentityNotFound(f"no {channel} identity {address}")
    return identity


def list(
    *, session: Session, tenant_id: int | None = None, channel: Channel | str | None = None, limit: int = 100
) -> builtins.list[ChannelIdentity]:
    """Return identities, optionally one tenant's or one channel's."""
    statement = select(ChannelIdentity).order_by(ChannelIdentity.id).limit(limit)
    if tenant_id is not None:
        statement = statement.where(ChannelIdentity.tenant_id == tenant_id)
    if channel is not None:
        statement = statement.where(ChannelIdentity.channel == choice(Channel, channel, "channel"))
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    channel: Channel | str,
    address: str,
    tenant_id: int | None = None,
    now: datetime | None = None,
) -> ChannelIdentity:
    """Create an identity (unverified; `link_tenant` verifies it).

    Raises:
        DuplicateRecord: If the address is already known on the channel.
        TenantNotFound: If `tenant_id` names nobody; InvalidChoice or InvalidPhoneNumber for bad input.

    """
    at = resolve_now(now)
    chosen, canonical = _key(channel, address)
    if tenant_id is not None:
        tenants.get_or_raise(session=session, tenant_id=tenant_id)
    if get(session=session, channel=chosen, address=canonical) is not None:
        raise DuplicateRecord(f"{chosen.value} {canonical} is already known")
    identity = ChannelIdentity(channel=chosen, address=canonical, tenant_id=tenant_id, created_at=at, updated_at=at)
    session.add(identity)
    session.flush()
    return identity


def record_inbound(
    *, session: Session, channel: Channel | str, address: str, now: datetime | None = None
) -> ChannelIdentity:
    """Note a message from `address`, creating its identity on first contact, and return the identity.

    Safe under concurrency: two first messages at once create one identity.

    Raises:
        InvalidChoice: For an unknown channel; InvalidPhoneNumber for a malformed address.

    """
    at = resolve_now(now)
    chosen, canonical = _key(channel, address)
    insert_ignore(
        session,
        ChannelIdentity.__table__,
        {"channel": chosen, "address": canonical, "created_at": at, "updated_at": at},
        conflict_columns=["channel", "address"],
    )
    identity = get_or_raise(session=session, channel=chosen, address=canonical)
    if identity.last_inbound_at is None or identity.last_inbound_at < at:
        identity.last_inbound_at = at
    identity.updated_at = at
    session.flush()
    return identity


def update(
    *,
    session: Session,
    channel: Channel | str,
    address: str,
    opted_out: bool | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> ChannelIdentity:
    """Record an opt-out (SMS STOP) or opt-in (START); None leaves it unchanged.

    Raises:
        ChannelIdentityNotFound: If the identity does not exist; InvalidChoice or InvalidPhoneNumber for bad
            input.

    """
    at = resolve_now(now)
    identity = get_or_raise(session=session, channel=channel, address=address)
    if opted_out is not None:
        identity.opted_out_at = at if opted_out else None
        audit.record(
            session=session,
            actor=actor,
            action="identity.opted_out" if opted_out else "identity.opted_in",
            subject=f"{identity.channel.value}:{identity.address}",
            now=at,
        )
    identity.updated_at = at
    session.flush()
    return identity


def link_tenant(
    *,
    session: Session,
    channel: Channel | str,
    address: str,
    tenant_id: int,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> ChannelIdentity:
    """Mark `address` as verified to be `tenant_id`, creating the identity if needed.

    Raises:
        TenantNotFound: If the tenant does not exist; InvalidChoice or InvalidPhoneNumber for bad input.

    """
    at = resolve_now(now)
    tenants.get_or_raise(session=session, tenant_id=tenant_id)
    identity = record_inbound(session=session, channel=channel, address=address, now=at)
    identity.tenant_id = tenant_id
    identity.verified_at = at
    identity.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="identity.verified",
        subject=f"{identity.channel.value}:{identity.address}",
        details={"tenant_id": tenant_id},
        now=at,
    )
    return identity


def within_session_window(identity: ChannelIdentity, now: datetime | None = None) -> bool:
    """Return whether a free-form WhatsApp reply is allowed: the tenant wrote within the last 24 hours."""
    if identity.last_inbound_at is None:
        return False
    return resolve_now(now) - identity.last_inbound_at < timedelta(hours=WHATSAPP_SESSION_HOURS)
