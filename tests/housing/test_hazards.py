from datetime import date, datetime, timedelta, timezone

import pytest

from bot.housing import attachments, hazards, references, repairs
from bot.housing.db import session_scope
from bot.housing.enums import HazardSeverity, HazardStatus, Priority
from bot.housing.errors import (
    AttachmentNotFound,
    EmptyDescription,
    InvalidAttachment,
    InvalidChoice,
    InvalidDate,
    InvalidStatusTransition,
    RepairNotFound,
    TenancyNotFound,
)


def _report(session_factory, tenancy, now, **overrides):
    values = {
        "tenancy_reference": tenancy,
        "severity": HazardSeverity.SIGNIFICANT,
        "description": "Black mould on the bedroom ceiling",
        "rooms": ["bedroom", "bedroom", "bathroom"],
        "extent": "moderate",
        "occupants": "Two adults and a baby",
        "now": now,
    }
    values.update(overrides)
    with session_scope(session_factory) as session:
        return hazards.create(session=session, **values)


def test_significant_hazard_gets_awaabs_law_milestones(session_factory, tenancy, now) -> None:
    """Awaab's Law: investigate a significant hazard within 10 working days; then summary 3, safety work 5."""
    case = _report(session_factory, tenancy, now)
    assert case.reference.startswith("HAZ-")
    assert case.rooms == ["bedroom", "bathroom"]
    assert case.investigate_by == date(2025, 12, 3)
    assert case.summary_by == date(2025, 12, 8)
    assert case.safety_work_by == date(2025, 12, 10)
    assert case.physical_start_by == date(2026, 2, 25)
    assert case.make_safe_by is None


def test_emergency_hazard_must_be_made_safe_within_24_hours(session_factory, tenancy, now) -> None:
    """Awaab's Law: an emergency hazard is investigated and made safe within 24 hours of becoming aware."""
    case = _report(session_factory, tenancy, now, severity="emergency", hazard_type="other")
    assert case.make_safe_by == now + timedelta(hours=24)
    assert case.investigate_by is None


def test_recording_the_investigation_rebases_the_later_deadlines(session_factory, tenancy, now) -> None:
    case = _report(session_factory, tenancy, now)
    with session_scope(session_factory) as session:
        investigated = hazards.record_investigation(
            session=session, reference=case.reference, ended_on=date(2025, 11, 21), now=now + timedelta(days=2)
        )
    assert investigated.status is HazardStatus.INVESTIGATED
    assert investigated.summary_by == date(2025, 11, 26)
    assert investigated.safety_work_by == date(2025, 11, 28)


def test_hazard_status_moves_forward_only(session_factory, assert_refused, tenancy, now) -> None:
    case = _report(session_factory, tenancy, now)
    with session_scope(session_factory) as session:
        made_safe = hazards.update(session=session, reference=case.reference, status="made_safe", now=now)
        assert made_safe.made_safe_at == now
        assert [c.reference for c in hazards.list(session=session, tenancy_reference=tenancy, open_only=True)] == [
            case.reference
        ]
    assert_refused(
        InvalidStatusTransition,
        lambda session: hazards.update(session=session, reference=case.reference, status="reported", now=now),
    )
    assert_refused(
        InvalidStatusTransition,
        lambda session: hazards.record_investigation(session=session, reference=case.reference, now=now),
    )


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"tenancy_reference": "TN999999"}, TenancyNotFound),
        ({"description": " "}, EmptyDescription),
        ({"rooms": []}, EmptyDescription),
        ({"rooms": "bedroom"}, EmptyDescription),
        ({"severity": "mild"}, InvalidChoice),
        ({"extent": "huge"}, InvalidChoice),
        ({"aware_at": datetime(2030, 1, 1, tzinfo=timezone.utc)}, InvalidDate),
    ],
)
def test_create_hazard_refuses_invalid_input_and_writes_nothing(assert_refused, tenancy, now, overrides, error) -> None:
    values = {
        "tenancy_reference": tenancy,
        "severity": "significant",
        "description": "Mould",
        "rooms": ["bedroom"],
        "extent": "small",
        "now": now,
    } | overrides
    assert_refused(error, lambda session: hazards.create(session=session, **values))


def test_photos_attach_to_a_hazard_or_a_repair_once_each(session_factory, assert_refused, tenancy, now) -> None:
    case = _report(session_factory, tenancy, now)
    digest = "ab" * 32
    photo = {
        "path": "var/media/1.jpg",
        "content_type": "image/jpeg; charset=binary",
        "size_bytes": 2048,
        "sha256": digest,
    }
    with session_scope(session_factory) as session:
        first = attachments.create(session=session, hazard_reference=case.reference, now=now, **photo)
        again = attachments.create(session=session, hazard_reference=case.reference, now=now, **photo)
        repair = repairs.create(
            session=session,
            tenancy_reference=tenancy,
            item="ceiling",
            location="bedroom",
            description="Treat the mould",
            priority=Priority.URGENT,
            hazard_reference=case.reference,
            now=now,
        )
        on_repair = attachments.create(session=session, repair_reference=repair.reference, now=now, **photo)
    assert again.id == first.id and on_repair.id != first.id
    assert first.content_type == "image/jpeg"
    assert repair.hazard_case_id == case.id
    with session_scope(session_factory) as session:
        assert [a.id for a in attachments.list(session=session, hazard_reference=case.reference)] == [first.id]
    for bad, error in [
        ({"content_type": "application/x-msdownload"}, InvalidAttachment),
        ({"size_bytes": 0}, InvalidAttachment),
        ({"size_bytes": 50 * 1024 * 1024}, InvalidAttachment),
        ({"sha256": "xyz"}, InvalidAttachment),
        ({"path": " "}, InvalidAttachment),
    ]:
        values = photo | bad
        assert_refused(
            error, lambda session, v=values: attachments.create(session=session, hazard_reference=case.reference, **v)
        )
    assert_refused(InvalidAttachment, lambda session: attachments.create(session=session, **photo))
    assert_refused(
        InvalidAttachment,
        lambda session: attachments.create(
            session=session, repair_reference=repair.reference, hazard_reference=case.reference, **photo
        ),
    )
    assert_refused(
        RepairNotFound,
        lambda session: attachments.create(
            session=session, repair_reference=references.format_reference(references.REPAIR, 99), **photo
        ),
    )


def test_attachment_lookup_by_id(session_factory, assert_refused, tenancy, now) -> None:
    case = _report(session_factory, tenancy, now)
    with session_scope(session_factory) as session:
        stored = attachments.create(
            session=session,
            hazard_reference=case.reference,
            path="var/media/2.png",
            content_type="image/png",
            size_bytes=10,
            sha256="cd" * 32,
            now=now,
        )
        assert attachments.get_or_raise(session=session, attachment_id=stored.id).path == "var/media/2.png"
        assert attachments.get(session=session, attachment_id=999) is None
    assert_refused(AttachmentNotFound, lambda session: attachments.get_or_raise(session=session, attachment_id=999))
