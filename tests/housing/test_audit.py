from datetime import timedelta

from bot.housing import audit
from bot.housing.db import session_scope


def test_audit_entries_are_listed_newest_first_and_mask_card_numbers(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        audit.record(session=session, actor="staff:amira", action="note.added", subject="REP-000001B", now=now)
        audit.record(
            session=session,
            actor="sms:+447700900001",
            action="note.added",
            subject="REP-000001B",
            details={"text": "card 4111 1111 1111 1111", "nested": [{"n": "5500005555555559"}], "when": now},
            now=now + timedelta(minutes=1),
        )
    with session_scope(session_factory) as session:
        entries = audit.list(session=session, subject="REP-000001B")
        by_staff = audit.list(session=session, actor="staff:amira")
    assert [entry.actor for entry in entries] == ["sms:+447700900001", "staff:amira"]
    assert entries[0].details["text"] == "card **** **** **** 1111"
    assert entries[0].details["nested"] == [{"n": "************5559"}]
    assert entries[0].details["when"] == str(now)
    assert len(by_staff) == 1
