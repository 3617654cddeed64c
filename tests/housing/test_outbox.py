from datetime import timedelta

import pytest

from bot.housing import identities, outbox
from bot.housing.db import session_scope
from bot.housing.enums import OutboxStatus
from bot.housing.errors import (
    EmptyDescription,
    InvalidPhoneNumber,
    InvalidStatusTransition,
    OptedOut,
    OutboxMessageNotFound,
)


def _queue(session_factory, now, key="evt-1", **overrides):
    values = {
        "channel": "sms",
        "to": "07700 900001",
        "body": "Your repair is booked",
        "idempotency_key": key,
        "now": now,
    }
    values.update(overrides)
    with session_scope(session_factory) as session:
        return outbox.create(session=session, **values)


def test_queueing_the_same_key_twice_queues_one_message(session_factory, now) -> None:
    first = _queue(session_factory, now)
    again = _queue(session_factory, now, body="different text")
    assert again.id == first.id
    assert (first.to_address, first.status) == ("+447700900001", OutboxStatus.QUEUED)


def test_claim_send_and_deliver(session_factory, now) -> None:
    message = _queue(session_factory, now)
    with session_scope(session_factory) as session:
        claimed = outbox.claim_due(session=session, now=now)
        assert [m.id for m in claimed] == [message.id]
        assert outbox.claim_due(session=session, now=now) == []  # leased: nobody else gets it
        outbox.mark_sent(session=session, message_id=message.id, provider_message_id="SM1", now=now)
        delivered = outbox.mark_delivered(session=session, provider_message_id="SM1", now=now + timedelta(seconds=5))
    assert (delivered.status, delivered.attempts) == (OutboxStatus.DELIVERED, 1)


def test_failures_are_retried_with_backoff_then_given_up(session_factory, now) -> None:
    message = _queue(session_factory, now)
    at = now
    for _ in range(outbox.MAX_ATTEMPTS):
        with session_scope(session_factory) as session:
            assert [m.id for m in outbox.claim_due(session=session, now=at)] == [message.id]
            failed = outbox.mark_failed(session=session, message_id=message.id, error="503 from provider", now=at)
        at = failed.next_attempt_at
    assert failed.status is OutboxStatus.FAILED and failed.attempts == outbox.MAX_ATTEMPTS
    with session_scope(session_factory) as session:
        assert outbox.claim_due(session=session, now=at + timedelta(days=1)) == []


def test_a_sender_that_died_mid_send_lets_the_message_be_claimed_again(session_factory, now) -> None:
    message = _queue(session_factory, now)
    with session_scope(session_factory) as session:
        outbox.claim_due(session=session, now=now)
    with session_scope(session_factory) as session:
        retried = outbox.claim_due(session=session, now=now + outbox.LEASE + timedelta(seconds=1))
    assert [m.attempts for m in retried] == [2]
    assert retried[0].id == message.id


def test_messages_to_opted_out_numbers_are_refused(session_factory, assert_refused, now) -> None:
    """DOMAIN.md messaging rules: SMS STOP must be honoured."""
    with session_scope(session_factory) as session:
        identities.record_inbound(session=session, channel="sms", address="07700900001", now=now)
        identities.update(session=session, channel="sms", address="07700900001", opted_out=True, now=now)
    assert_refused(
        OptedOut,
        lambda session: outbox.create(session=session, channel="sms", to="07700900001", body="Hi", idempotency_key="k"),
    )


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"to": "nobody"}, InvalidPhoneNumber),
        ({"body": " "}, EmptyDescription),
        ({"idempotency_key": ""}, EmptyDescription),
    ],
)
def test_create_outbox_message_refuses_invalid_input_and_writes_nothing(assert_refused, now, overrides, error) -> None:
    values = {"channel": "sms", "to": "07700900001", "body": "Hi", "idempotency_key": "k", "now": now} | overrides
    assert_refused(error, lambda session: outbox.create(session=session, **values))


def test_marking_refuses_unknown_or_unsent_messages(session_factory, assert_refused, now) -> None:
    message = _queue(session_factory, now)
    assert_refused(
        InvalidStatusTransition,
        lambda session: outbox.mark_sent(session=session, message_id=message.id, provider_message_id="x"),
    )
    assert_refused(
        OutboxMessageNotFound, lambda session: outbox.mark_delivered(session=session, provider_message_id="nope")
    )


def test_list_and_get_outbox_messages_by_status(session_factory, assert_refused, now) -> None:
    first = _queue(session_factory, now, key="a")
    _queue(session_factory, now, key="b", channel="telegram", to="5550001")
    with session_scope(session_factory) as session:
        outbox.claim_due(session=session, limit=1, now=now)
        assert [m.id for m in outbox.list(session=session, status="sending")] == [first.id]
        assert [m.to_address for m in outbox.list(session=session, status=OutboxStatus.QUEUED)] == ["5550001"]
        assert outbox.get(session=session, message_id=999) is None
    assert_refused(OutboxMessageNotFound, lambda session: outbox.get_or_raise(session=session, message_id=999))
