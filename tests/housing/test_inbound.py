import threading
from datetime import timedelta

from bot.housing import inbound
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.errors import EmptyDescription, InvalidChoice


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
