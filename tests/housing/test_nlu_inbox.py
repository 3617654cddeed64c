from datetime import timedelta

import pytest

from bot.housing import audit, nlu_inbox
from bot.housing.db import session_scope
from bot.housing.enums import InboxReason, InboxStatus
from bot.housing.errors import InboxItemNotFound, InvalidChoice, InvalidInput, InvalidStatusTransition


def _item(session, now, key="msg:1", **overrides):
    values = {
        "key": key,
        "text": "boiler making a weird noise <phone>",
        "reason": "low_confidence",
        "received_at": now - timedelta(minutes=5),
        "predicted_intent": "report_repair",
        "confidence": 0.42,
        "redactions": ["phone"],
        "now": now,
    } | overrides
    return nlu_inbox.create(session=session, **values)


def test_create_inbox_item_stores_the_message_once_per_key(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        first, created = _item(session, now)
        again, created_again = _item(session, now, text="something else entirely")
        assert created is True and created_again is False
        assert again.id == first.id
    with session_scope(session_factory) as session:
        items = nlu_inbox.list(session=session)
        assert [(item.text, item.redactions, item.status) for item in items] == [
            ("boiler making a weird noise <phone>", "phone", InboxStatus.NEW)
        ]
        assert nlu_inbox.count(session=session) == 1


def test_create_inbox_item_masks_card_numbers_even_if_the_caller_did_not(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        item, _ = _item(session, now, text="card 4111 1111 1111 1111")
        assert item.text == "card **** **** **** 1111"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"key": ""}, InvalidInput),
        ({"key": "k" * 81}, InvalidInput),
        ({"text": "   "}, InvalidInput),
        ({"text": "x" * 4001}, InvalidInput),
        ({"reason": "bored"}, InvalidChoice),
        ({"confidence": 1.5}, InvalidInput),
        ({"confidence": float("nan")}, InvalidInput),
        ({"predicted_intent": "Report Repair!"}, InvalidInput),
        ({"suggested_intent": "faq/"}, InvalidInput),
    ],
)
def test_create_inbox_item_refuses_invalid_input_and_writes_nothing(assert_refused, now, overrides, error) -> None:
    assert_refused(error, lambda session: _item(session, now, **overrides))


def test_update_confirms_an_item_once_and_audits_it(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        item, _ = _item(session, now)
        nlu_inbox.update(
            session=session, item_id=item.id, status="confirmed", label="report_repair", actor="staff:tess", now=now
        )
    with session_scope(session_factory) as session:
        done = nlu_inbox.get_or_raise(session=session, item_id=item.id)
        assert (done.status, done.label, done.decided_by) == (InboxStatus.CONFIRMED, "report_repair", "staff:tess")
        assert nlu_inbox.list(session=session) == []
        assert [entry.action for entry in audit.list(session=session, subject=f"inbox:{item.id}")] == [
            "nlu_inbox.confirmed"
        ]
        with pytest.raises(InvalidStatusTransition, match="already confirmed by staff:tess"):
            nlu_inbox.update(session=session, item_id=item.id, status="discarded", actor="staff:other")


def test_update_records_a_staff_correction_on_a_waiting_item(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        item, _ = _item(session, now)
        nlu_inbox.update(session=session, item_id=item.id, suggested_intent="report_emergency", actor="staff:amira")
    with session_scope(session_factory) as session:
        found = nlu_inbox.get_or_raise(session=session, item_id=item.id)
        assert (found.reason, found.suggested_intent, found.suggested_by) == (
            InboxReason.CORRECTED,
            "report_emergency",
            "staff:amira",
        )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"status": "confirmed"}, InvalidInput),  # no label
        ({"status": "new"}, InvalidInput),
        ({"status": "shredded"}, InvalidChoice),
        ({}, InvalidInput),
        ({"status": "discarded", "suggested_intent": "greet"}, InvalidInput),
    ],
)
def test_update_refuses_an_incomplete_decision(session_factory, now, kwargs, error) -> None:
    with session_scope(session_factory) as session:
        item, _ = _item(session, now)
        with pytest.raises(error):
            nlu_inbox.update(session=session, item_id=item.id, **kwargs)


def test_get_or_raise_an_unknown_item_raises(session_factory) -> None:
    with session_scope(session_factory) as session:
        assert nlu_inbox.get(session=session, item_id=404) is None
        with pytest.raises(InboxItemNotFound):
            nlu_inbox.get_or_raise(session=session, item_id=404)


def test_list_filters_by_status_newest_first(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        old, _ = _item(session, now, key="msg:old", received_at=now - timedelta(hours=2))
        new, _ = _item(session, now, key="msg:new", received_at=now - timedelta(minutes=1))
        nlu_inbox.update(session=session, item_id=old.id, status="discarded", actor="staff:tess")
        newer, _ = _item(session, now, key="msg:newer", received_at=now)
    with session_scope(session_factory) as session:
        assert [item.key for item in nlu_inbox.list(session=session)] == ["msg:newer", "msg:new"]
        assert [item.key for item in nlu_inbox.list(session=session, status=None)] == [
            "msg:newer",
            "msg:new",
            "msg:old",
        ]
        assert [item.key for item in nlu_inbox.list(session=session, status="discarded")] == ["msg:old"]


def test_cursor_starts_at_zero_and_never_moves_backwards(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        assert nlu_inbox.cursor_position(session=session, source="tracker") == 0
        nlu_inbox.advance_cursor(session=session, source="tracker", position=40, now=now)
        nlu_inbox.advance_cursor(session=session, source="tracker", position=12, now=now)
    with session_scope(session_factory) as session:
        assert nlu_inbox.cursor_position(session=session, source="tracker") == 40
        assert nlu_inbox.cursor_position(session=session, source="other") == 0
