import threading
from datetime import timedelta

import pytest

from bot.housing import conversations, handoffs, references, staff
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.enums import HandoffReason, HandoffStatus, Urgency
from bot.housing.errors import (
    AlreadyClaimed,
    EmptyDescription,
    HandoffNotFound,
    InvalidChoice,
    InvalidStatusTransition,
    StaffUserNotFound,
    TenancyNotFound,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def two_agents(session_factory, now) -> tuple[str, str]:
    with session_scope(session_factory) as session:
        for name in ("amira", "dave"):
            staff.create(
                session=session, username=name, display_name=name.title(), role="agent", password=PASSWORD, now=now
            )
    return "amira", "dave"


def _request(session_factory, now, sender="sms:+447700900001", **overrides):
    values = {"sender_id": sender, "channel": "sms", "reason": "request_human", "now": now}
    values.update(overrides)
    with session_scope(session_factory) as session:
        return handoffs.create(session=session, **values)


def test_create_handoff_queues_the_conversation_with_an_urgency_for_the_reason(session_factory, tenancy, now) -> None:
    handoff = _request(
        session_factory, now, reason="welfare", summary="Worried about neighbour", tenancy_reference=tenancy
    )
    assert (handoff.status, handoff.urgency) == (HandoffStatus.WAITING, Urgency.HIGH)
    with session_scope(session_factory) as session:
        assert conversations.get_or_raise(session=session, sender_id="sms:+447700900001").channel.value == "sms"
        assert handoffs.get_open(session=session, sender_id="sms:+447700900001").reference == handoff.reference


def test_asking_twice_keeps_one_handoff_and_takes_the_higher_urgency(session_factory, now) -> None:
    first = _request(session_factory, now, summary="Wants a person")
    second = _request(session_factory, now + timedelta(minutes=1), reason="emergency", summary="Smells gas")
    assert second.reference == first.reference
    assert (second.urgency, second.reason) == (Urgency.EMERGENCY, HandoffReason.EMERGENCY)
    assert second.summary == "Wants a person\nSmells gas"


def test_queue_lists_the_most_urgent_first_then_the_longest_waiting(session_factory, now) -> None:
    _request(session_factory, now, sender="a", reason="fallback")
    _request(session_factory, now + timedelta(minutes=1), sender="b", reason="emergency")
    _request(session_factory, now + timedelta(minutes=2), sender="c", reason="bereavement")
    _request(session_factory, now + timedelta(minutes=3), sender="d", reason="request_human")
    with session_scope(session_factory) as session:
        assert [h.sender_id for h in handoffs.list(session=session)] == ["b", "c", "a", "d"]


def test_claim_release_and_close(session_factory, two_agents, now) -> None:
    handoff = _request(session_factory, now)
    with session_scope(session_factory) as session:
        claimed = handoffs.claim(session=session, reference=handoff.reference, staff_username="amira", now=now)
        assert claimed.claimed_by.username == "amira"
        assert [h.reference for h in handoffs.list(session=session, status="claimed", claimed_by="amira")] == [
            handoff.reference
        ]
    with pytest.raises(AlreadyClaimed), session_scope(session_factory) as session:
        handoffs.close(session=session, reference=handoff.reference, staff_username="dave", now=now)
    with session_scope(session_factory) as session:
        handoffs.release(session=session, reference=handoff.reference, staff_username="amira", now=now)
        handoffs.claim(session=session, reference=handoff.reference, staff_username="dave", now=now)
        closed = handoffs.close(
            session=session, reference=handoff.reference, staff_username="dave", note="Sorted", now=now
        )
    assert (closed.status, closed.closing_note) == (HandoffStatus.CLOSED, "Sorted")
    with session_scope(session_factory) as session:
        assert handoffs.get_open(session=session, sender_id=handoff.sender_id) is None
    # Once closed, the sender can be queued again with a new handoff.
    assert _request(session_factory, now + timedelta(hours=1)).reference != handoff.reference


def test_claim_refuses_a_handoff_someone_else_holds(session_factory, assert_refused, two_agents, now) -> None:
    handoff = _request(session_factory, now)
    with session_scope(session_factory) as session:
        handoffs.claim(session=session, reference=handoff.reference, staff_username="amira", now=now)
    assert_refused(
        AlreadyClaimed,
        lambda session: handoffs.claim(session=session, reference=handoff.reference, staff_username="dave", now=now),
    )


def test_handoffs_refuse_invalid_input_and_write_nothing(session_factory, assert_refused, two_agents, now) -> None:
    handoff = _request(session_factory, now)
    with session_scope(session_factory) as session:
        handoffs.close(session=session, reference=handoff.reference, now=now)

    def create(**overrides):
        values = {"sender_id": "x", "channel": "sms", "reason": "request_human", "now": now}
        values.update(overrides)
        return lambda session: handoffs.create(session=session, **values)

    assert_refused(InvalidChoice, create(reason="bored"))
    assert_refused(InvalidChoice, create(urgency="whenever"))
    assert_refused(InvalidChoice, create(channel="fax"))
    assert_refused(EmptyDescription, create(sender_id="  "))
    assert_refused(TenancyNotFound, create(tenancy_reference="TN999999"))
    assert_refused(
        StaffUserNotFound,
        lambda session: handoffs.claim(session=session, reference=handoff.reference, staff_username="ghost", now=now),
    )
    assert_refused(
        AlreadyClaimed,
        lambda session: handoffs.claim(session=session, reference=handoff.reference, staff_username="amira", now=now),
    )
    assert_refused(
        InvalidStatusTransition, lambda session: handoffs.close(session=session, reference=handoff.reference)
    )
    missing = references.format_reference(references.HANDOFF, 99)
    assert_refused(HandoffNotFound, lambda session: handoffs.get_or_raise(session=session, reference=missing))


def test_two_staff_can_never_hold_the_same_handoff(database_url, now) -> None:
    """Eight members of staff claim one waiting handoff at the same moment: exactly one holds it."""
    staff_count = 8
    options = {"pool_size": staff_count, "max_overflow": 2} if database_url.startswith("postgresql") else {}
    engine = create_engine_for(database_url, **options)
    factory = make_session_factory(engine)
    names = [f"agent{n}" for n in range(staff_count)]
    with session_scope(factory) as session:
        for name in names:
            staff.create(session=session, username=name, display_name=name, role="agent", password=PASSWORD, now=now)
        reference = handoffs.create(
            session=session, sender_id="tg:1", channel="telegram", reason="fallback", now=now
        ).reference
    start = threading.Barrier(staff_count)
    winners: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()

    def claim(name: str) -> None:
        start.wait()
        try:
            with session_scope(factory) as session:
                handoffs.claim(session=session, reference=reference, staff_username=name, now=now)
            with lock:
                winners.append(name)
        except AlreadyClaimed:
            with lock:
                refused.append(name)

    workers = [threading.Thread(target=claim, args=(name,)) for name in names]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    try:
        assert len(winners) == 1 and len(refused) == staff_count - 1
        with session_scope(factory) as session:
            held = handoffs.get_or_raise(session=session, reference=reference)
            assert held.claimed_by.username == winners[0]
    finally:
        engine.dispose()


def test_concurrent_requests_from_one_sender_make_one_handoff(database_url, now) -> None:
    attempts = 6
    options = {"pool_size": attempts, "max_overflow": 2} if database_url.startswith("postgresql") else {}
    engine = create_engine_for(database_url, **options)
    factory = make_session_factory(engine)
    start = threading.Barrier(attempts)
    made: list[str] = []
    lock = threading.Lock()

    def ask() -> None:
        start.wait()
        with session_scope(factory) as session:
            reference = handoffs.create(
                session=session, sender_id="wa:1", channel="whatsapp", reason="request_human", now=now
            ).reference
        with lock:
            made.append(reference)

    workers = [threading.Thread(target=ask) for _ in range(attempts)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    try:
        assert len(made) == attempts and len(set(made)) == 1
        with session_scope(factory) as session:
            assert len(handoffs.list(session=session, status=None)) == 1
    finally:
        engine.dispose()


def test_update_handoff_changes_urgency_and_summary_while_open(session_factory, assert_refused, now) -> None:
    handoff = _request(session_factory, now)
    with session_scope(session_factory) as session:
        changed = handoffs.update(
            session=session, reference=handoff.reference, urgency="high", summary="Call back", now=now
        )
        assert (changed.urgency, changed.summary) == (Urgency.HIGH, "Call back")
        handoffs.close(session=session, reference=handoff.reference, now=now)
    assert_refused(
        InvalidStatusTransition,
        lambda session: handoffs.update(session=session, reference=handoff.reference, urgency="normal"),
    )
