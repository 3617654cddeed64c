from datetime import timedelta

from bot.housing import conversations
from bot.housing.db import session_scope
from bot.housing.errors import ConversationNotFound, EmptyDescription, InvalidChoice, InvalidInput


def test_touch_creates_a_conversation_once_and_keeps_the_latest_message_time(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        first = conversations.touch(session=session, sender_id="+447700900001", channel="sms", now=now)
    with session_scope(session_factory) as session:
        again = conversations.touch(
            session=session, sender_id="+447700900001", channel="sms", now=now + timedelta(hours=1)
        )
        conversations.touch(session=session, sender_id="+447700900001", channel="sms", now=now)  # a late duplicate
        assert again.id == first.id
        assert conversations.get_or_raise(
            session=session, sender_id="+447700900001"
        ).last_message_at == now + timedelta(hours=1)
        assert [c.sender_id for c in conversations.list(session=session, channel="sms")] == ["+447700900001"]
        assert conversations.get(session=session, sender_id="someone else") is None


def test_conversations_refuse_invalid_input_and_write_nothing(assert_refused, now) -> None:
    assert_refused(EmptyDescription, lambda session: conversations.touch(session=session, sender_id=" ", channel="sms"))
    assert_refused(
        InvalidInput, lambda session: conversations.touch(session=session, sender_id="x" * 129, channel="sms")
    )
    assert_refused(InvalidChoice, lambda session: conversations.touch(session=session, sender_id="a", channel="fax"))
    assert_refused(
        ConversationNotFound, lambda session: conversations.get_or_raise(session=session, sender_id="nobody")
    )
