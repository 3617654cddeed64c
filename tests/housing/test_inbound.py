import threading
from datetime import timedelta

from bot.housing import inbound
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.errors import EmptyDescription, InvalidChoice, InvalidInput


def test_a_provider_message_is_handled_once(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        assert inbound.record_if_new(session=session, channel="sms", external_id="SM123", now=now)
    with session_scope(session_factory) as session:
        assert not inbound.record_if_new(session=session, channel="sms", external_id="SM123", now=now)
        assert inbound.record_if_new(session=session, channel="whatsapp", external_id="SM123", now=now)
        assert inbound.exists(session=session, channel="sms", external_id="SM123")


def test_old_message_ids_can_be_purged(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        inbound.record_if_new(session=session, channel="telegram", external_id="1", now=now - timedelta(days=3))
        inbound.record_if_new(session=session, channel="telegram", external_id="2", now=now)
        assert inbound.purge(session=session, before=now - timedelta(days=1)) == 1
        assert not inbound.exists(session=session, channel="telegram", external_id="1")


def test_inbound_refuses_invalid_input_and_writes_nothing(assert_refused, now) -> None:
    assert_refused(
        EmptyDescription, lambda session: inbound.record_if_new(session=session, channel="sms", external_id=" ")
    )
    assert_refused(
        InvalidChoice, lambda session: inbound.record_if_new(session=session, channel="fax", external_id="1")
    )


def test_a_webhook_delivered_twice_at_once_is_processed_once(database_url, now) -> None:
    deliveries = 6
    options = {"pool_size": deliveries, "max_overflow": 2} if database_url.startswith("postgresql") else {}
    engine = create_engine_for(database_url, **options)
    factory = make_session_factory(engine)
    start = threading.Barrier(deliveries)
    results: list[bool] = []

    def deliver() -> None:
        start.wait()
        with session_scope(factory) as session:
            results.append(inbound.record_if_new(session=session, channel="sms", external_id="SMdup", now=now))

    workers = [threading.Thread(target=deliver) for _ in range(deliveries)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()
    assert sorted(results) == [False] * (deliveries - 1) + [True]


# -- the journal: claims, leases and order ---------------------------------------------------------------------

CONVERSATION = "sms:+447700900001"


def _receive(factory, external_id: str, now, conversation: str = CONVERSATION) -> None:
    with session_scope(factory) as session:
        assert inbound.record_if_new(
            session=session,
            channel="sms",
            external_id=external_id,
            conversation=conversation,
            payload={"text": external_id},
            now=now,
        )


def _claim(factory, replica: str, now, **options):
    with session_scope(factory) as session:
        return inbound.claim_next(
            session=session,
            channel="sms",
            conversation=CONVERSATION,
            replica=replica,
            lease_seconds=30,
            now=now,
            **options,
        )


def test_claims_come_in_arrival_order_one_at_a_time_per_conversation(session_factory, now) -> None:
    _receive(session_factory, "SM1", now)
    _receive(session_factory, "SM2", now)

    first = _claim(session_factory, "replica-a", now)
    blocked = _claim(session_factory, "replica-b", now)

    assert isinstance(first, inbound.Claim) and (first.external_id, first.payload, first.attempts) == (
        "SM1",
        {"text": "SM1"},
        1,
    )
    assert isinstance(blocked, inbound.Held) and blocked.replica == "replica-a"
    with session_scope(session_factory) as session:
        assert inbound.finish(session=session, message_id=first.id, replica="replica-a", now=now)
    second = _claim(session_factory, "replica-b", now)
    assert isinstance(second, inbound.Claim) and second.external_id == "SM2"
    with session_scope(session_factory) as session:
        inbound.finish(session=session, message_id=second.id, replica="replica-b", now=now)
    assert _claim(session_factory, "replica-a", now) is None


def test_expired_claim_is_taken_over_and_the_dead_replica_can_no_longer_finish_it(session_factory, now) -> None:
    _receive(session_factory, "SM1", now)
    dead = _claim(session_factory, "replica-a", now)

    taken = _claim(session_factory, "replica-b", now + timedelta(seconds=31))

    assert isinstance(taken, inbound.Claim) and (taken.external_id, taken.attempts) == ("SM1", 2)
    with session_scope(session_factory) as session:
        assert not inbound.finish(session=session, message_id=dead.id, replica="replica-a", now=now)
        assert not inbound.renew(session=session, message_id=dead.id, replica="replica-a", lease_seconds=30, now=now)
        assert inbound.finish(session=session, message_id=taken.id, replica="replica-b", now=now)


def test_renewed_claim_is_not_taken_over(session_factory, now) -> None:
    _receive(session_factory, "SM1", now)
    claim = _claim(session_factory, "replica-a", now)
    with session_scope(session_factory) as session:
        assert inbound.renew(
            session=session, message_id=claim.id, replica="replica-a", lease_seconds=30, now=now + timedelta(seconds=20)
        )

    assert isinstance(_claim(session_factory, "replica-b", now + timedelta(seconds=31)), inbound.Held)


def test_restarted_replica_reclaims_its_own_message_at_once(session_factory, now) -> None:
    _receive(session_factory, "SM1", now)
    _claim(session_factory, "replica-a", now)

    assert isinstance(_claim(session_factory, "replica-a", now), inbound.Held)
    again = _claim(session_factory, "replica-a", now, reclaim_own=True)
    assert isinstance(again, inbound.Claim) and again.attempts == 2


def test_released_message_waits_for_its_retry_time_and_holds_back_later_ones(session_factory, now) -> None:
    _receive(session_factory, "SM1", now)
    _receive(session_factory, "SM2", now)
    claim = _claim(session_factory, "replica-a", now)
    with session_scope(session_factory) as session:
        assert inbound.release(session=session, message_id=claim.id, replica="replica-a", retry_after=15, now=now)

    waiting = _claim(session_factory, "replica-b", now + timedelta(seconds=5))
    retried = _claim(session_factory, "replica-b", now + timedelta(seconds=16))

    assert isinstance(waiting, inbound.Held) and waiting.replica == ""
    assert isinstance(retried, inbound.Claim) and retried.external_id == "SM1"


def test_stalled_conversations_lists_dead_and_unclaimed_work_but_not_fresh_or_live(session_factory, now) -> None:
    _receive(session_factory, "SM1", now - timedelta(minutes=5), conversation="sms:+447700900001")  # never claimed
    _receive(session_factory, "SM2", now, conversation="sms:+447700900002")  # just arrived
    _receive(session_factory, "SM3", now - timedelta(minutes=5), conversation="sms:+447700900003")
    with session_scope(session_factory) as session:
        inbound.claim_next(
            session=session, channel="sms", conversation="sms:+447700900003", replica="r", lease_seconds=30, now=now
        )

    with session_scope(session_factory) as session:
        found = inbound.stalled_conversations(
            session=session, channel="sms", received_before=now - timedelta(seconds=2), now=now
        )
        later = inbound.stalled_conversations(
            session=session, channel="sms", received_before=now, now=now + timedelta(seconds=31)
        )

    assert found == ["sms:+447700900001"]
    assert later == ["sms:+447700900001", "sms:+447700900003"]


def test_purge_keeps_unfinished_messages_however_old(session_factory, now) -> None:
    _receive(session_factory, "SM1", now - timedelta(days=3))
    with session_scope(session_factory) as session:
        assert inbound.purge(session=session, before=now - timedelta(days=1)) == 0
        assert [external_id for external_id, _ in inbound.unfinished(session=session, channel="sms")] == ["SM1"]


def test_claim_refuses_garbage_and_claims_nothing(session_factory, assert_refused, now) -> None:
    _receive(session_factory, "SM1", now)
    for replica, lease in ((" ", 30), ("r" * 65, 30), ("replica-a", 0), ("replica-a", -5)):
        assert_refused(
            (EmptyDescription, InvalidInput),
            lambda session, replica=replica, lease=lease: inbound.claim_next(
                session=session, channel="sms", conversation=CONVERSATION, replica=replica, lease_seconds=lease
            ),
        )
    claim = _claim(session_factory, "replica-a", now)
    assert isinstance(claim, inbound.Claim) and claim.attempts == 1


def test_many_replicas_claiming_at_once_give_the_message_to_exactly_one(database_url, now) -> None:
    replicas = 6
    options = {"pool_size": replicas, "max_overflow": 2} if database_url.startswith("postgresql") else {}
    engine = create_engine_for(database_url, **options)
    factory = make_session_factory(engine)
    _receive(factory, "SMrace", now)
    start = threading.Barrier(replicas)
    results: list[object] = []

    def claim(name: str) -> None:
        start.wait()
        try:
            results.append(_claim(factory, name, now))
        except Exception as error:  # SQLite may refuse a concurrent writer: that is a lost race, not a win
            results.append(error)

    workers = [threading.Thread(target=claim, args=(f"replica-{index}",)) for index in range(replicas)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()
    assert sum(isinstance(result, inbound.Claim) for result in results) == 1
