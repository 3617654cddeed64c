from datetime import timedelta

import pytest

from bot.housing import identities, tenants
from bot.housing.db import session_scope
from bot.housing.errors import ChannelIdentityNotFound, DuplicateRecord, InvalidChoice, InvalidPhoneNumber


def test_record_inbound_creates_the_identity_once_and_tracks_the_last_message(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        first = identities.record_inbound(
            session=session, channel="whatsapp", address="whatsapp:+447700900123", now=now
        )
    later = now + timedelta(hours=3)
    with session_scope(session_factory) as session:
        again = identities.record_inbound(session=session, channel="whatsapp", address="07700 900123", now=later)
        assert again.id == first.id
        assert again.last_inbound_at == later
        assert len(identities.list(session=session)) == 1


def test_whatsapp_session_window_is_24_hours_from_the_last_message(session_factory, now) -> None:
    """DOMAIN.md messaging rules: WhatsApp free-form replies only within 24 hours of the tenant's last message."""
    with session_scope(session_factory) as session:
        identity = identities.record_inbound(session=session, channel="whatsapp", address="+447700900123", now=now)
    assert identities.within_session_window(identity, now + timedelta(hours=23, minutes=59))
    assert not identities.within_session_window(identity, now + timedelta(hours=24))


def test_link_tenant_verifies_the_address(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        person = tenants.list(session=session, tenancy_reference=tenancy)[0]
        linked = identities.link_tenant(
            session=session, channel="telegram", address="5550001", tenant_id=person.id, now=now
        )
    assert (linked.tenant_id, linked.verified_at) == (person.id, now)


def test_opt_out_and_back_in(session_factory, assert_refused, now) -> None:
    with session_scope(session_factory) as session:
        identities.create(session=session, channel="sms", address="07700900123", now=now)
        assert (
            identities.update(
                session=session, channel="sms", address="07700900123", opted_out=True, now=now
            ).opted_out_at
            == now
        )
        assert (
            identities.update(
                session=session, channel="sms", address="07700900123", opted_out=False, now=now
            ).opted_out_at
            is None
        )
    assert_refused(
        DuplicateRecord, lambda session: identities.create(session=session, channel="sms", address="+447700900123")
    )
    assert_refused(
        ChannelIdentityNotFound,
        lambda session: identities.update(session=session, channel="sms", address="07700900999", opted_out=True),
    )


@pytest.mark.parametrize(
    ("channel", "address", "error"),
    [
        ("fax", "+447700900123", InvalidChoice),
        ("sms", "hello", InvalidPhoneNumber),
        ("telegram", "@bob", InvalidPhoneNumber),
    ],
)
def test_identities_refuse_invalid_input_and_write_nothing(assert_refused, now, channel, address, error) -> None:
    assert_refused(
        error, lambda session: identities.record_inbound(session=session, channel=channel, address=address, now=now)
    )
