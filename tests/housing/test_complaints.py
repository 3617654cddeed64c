from datetime import date, datetime, timedelta, timezone

import pytest

from bot.housing import complaints
from bot.housing.db import session_scope
from bot.housing.enums import ComplaintStatus
from bot.housing.errors import (
    AlreadyEscalated,
    EmptyDescription,
    ExtensionLimitExceeded,
    InvalidDate,
    InvalidInput,
    InvalidStatusTransition,
    TenancyNotFound,
)


def _complain(session_factory, tenancy, now, **overrides):
    values = {
        "tenancy_reference": tenancy,
        "what_happened": "Nobody came to fix the boiler twice.",
        "desired_outcome": "An apology and a fixed boiler.",
        "now": now,
    }
    values.update(overrides)
    with session_scope(session_factory) as session:
        return complaints.create(session=session, **values)


def test_stage1_deadlines_follow_the_complaint_handling_code(session_factory, tenancy, now) -> None:
    """Complaint Handling Code stage 1: acknowledge within 5 working days, respond within 10 of acknowledging."""
    complaint = _complain(session_factory, tenancy, now)
    assert (complaint.stage, complaint.status) == (1, ComplaintStatus.RECEIVED)
    assert complaint.acknowledge_by == date(2025, 11, 26)
    assert complaint.respond_by == date(2025, 12, 10)


def test_acknowledging_early_moves_the_response_deadline_earlier(session_factory, tenancy, now) -> None:
    """Stage 1 response is due 10 working days after the real acknowledgement, not the latest allowed one."""
    complaint = _complain(session_factory, tenancy, now)
    with session_scope(session_factory) as session:
        acknowledged = complaints.acknowledge(
            session=session, reference=complaint.reference, now=now + timedelta(days=1)
        )
    assert acknowledged.status is ComplaintStatus.ACKNOWLEDGED
    assert acknowledged.respond_by == date(2025, 12, 4)


def test_extension_is_capped_at_10_working_days_per_stage(session_factory, assert_refused, tenancy, now) -> None:
    """Complaint Handling Code: a stage 1 extension of at most 10 more working days, with reasons."""
    complaint = _complain(session_factory, tenancy, now)
    with session_scope(session_factory) as session:
        extended = complaints.extend(
            session=session, reference=complaint.reference, working_days=6, reason="Awaiting contractor report", now=now
        )
    assert extended.respond_by == date(2025, 12, 18)
    assert_refused(
        ExtensionLimitExceeded,
        lambda session: complaints.extend(
            session=session, reference=complaint.reference, working_days=5, reason="More time", now=now
        ),
    )
    assert_refused(
        EmptyDescription,
        lambda session: complaints.extend(session=session, reference=complaint.reference, working_days=1, reason=" "),
    )
    assert_refused(
        InvalidInput,
        lambda session: complaints.extend(session=session, reference=complaint.reference, working_days=0, reason="x"),
    )


def test_escalation_starts_stage2_with_its_own_deadlines(session_factory, assert_refused, tenancy, now) -> None:
    """Complaint Handling Code stage 2: acknowledge within 5 working days, respond within 20 of acknowledging."""
    complaint = _complain(session_factory, tenancy, now)
    later = now + timedelta(days=14)  # Wednesday 3 December 2025
    with session_scope(session_factory) as session:
        complaints.respond(session=session, reference=complaint.reference, now=now + timedelta(days=7))
        escalated = complaints.escalate(session=session, reference=complaint.reference, now=later)
    assert (escalated.stage, escalated.status) == (2, ComplaintStatus.RECEIVED)
    assert escalated.acknowledge_by == date(2025, 12, 10)
    assert escalated.respond_by == date(2026, 1, 12)  # 20 working days, skipping Christmas and Boxing Day
    assert escalated.stage1_respond_by == date(2025, 12, 10)  # stage 1 history is kept
    assert_refused(
        AlreadyEscalated, lambda session: complaints.escalate(session=session, reference=complaint.reference, now=later)
    )


def test_complaint_can_be_closed_once(session_factory, assert_refused, tenancy, now) -> None:
    complaint = _complain(session_factory, tenancy, now)
    with session_scope(session_factory) as session:
        complaints.update(session=session, reference=complaint.reference, status="closed", now=now)
        assert complaints.list(session=session, tenancy_reference=tenancy, open_only=True) == []
        assert len(complaints.list(session=session, tenancy_reference=tenancy)) == 1
    assert_refused(
        InvalidStatusTransition,
        lambda session: complaints.update(session=session, reference=complaint.reference, status="closed", now=now),
    )
    assert_refused(
        InvalidStatusTransition,
        lambda session: complaints.acknowledge(session=session, reference=complaint.reference, now=now),
    )


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"tenancy_reference": "TN999999"}, TenancyNotFound),
        ({"what_happened": ""}, EmptyDescription),
        ({"desired_outcome": "  "}, EmptyDescription),
        ({"received_at": datetime(2030, 1, 1, tzinfo=timezone.utc)}, InvalidDate),
        ({"received_at": datetime(2025, 1, 1)}, InvalidDate),
    ],
)
def test_create_complaint_refuses_invalid_input_and_writes_nothing(
    assert_refused, tenancy, now, overrides, error
) -> None:
    values = {"tenancy_reference": tenancy, "what_happened": "x", "desired_outcome": "y", "now": now} | overrides
    assert_refused(error, lambda session: complaints.create(session=session, **values))


def test_stage2_acknowledgement_and_extension_use_stage2_clocks(session_factory, tenancy, now) -> None:
    """Stage 2: respond within 20 working days of acknowledging; an extension of at most 10 working days."""
    complaint = _complain(session_factory, tenancy, now)
    with session_scope(session_factory) as session:
        complaints.escalate(session=session, reference=complaint.reference, reason=None, now=now)
        acknowledged = complaints.acknowledge(session=session, reference=complaint.reference, now=now)
        assert acknowledged.stage2_acknowledged_at == now
        assert acknowledged.respond_by == date(2025, 12, 17)
        extended = complaints.extend(
            session=session, reference=complaint.reference, working_days=10, reason="Independent survey", now=now
        )
    assert extended.respond_by == date(2026, 1, 5)  # skipping Christmas, Boxing Day and New Year
    assert (extended.stage1_extension_days, extended.stage2_extension_days) == (0, 10)
