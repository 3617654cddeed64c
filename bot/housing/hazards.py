"""Hazard cases under Awaab's Law, with every statutory milestone computed when the landlord becomes aware.

DOMAIN.md, "Awaab's Law": an emergency hazard must be investigated and made safe within 24 hours; a
significant hazard (phase 1: damp and mould) investigated within 10 working days, then a written summary
within 3 working days, safety work within 5 and preventative work started within 5 (physically within 12
weeks) of the investigation ending. The dates come from `bot.clocks.hazards`; until the investigation is
recorded, the later dates assume it ends on its deadline.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clocks.hazards import after_investigation, hazard_milestones
from bot.housing import audit, references
from bot.housing._common import (
    SYSTEM_ACTOR,
    choice,
    find_current_tenancy,
    find_tenancy,
    require_aware,
    resolve_now,
    today_in_england,
)
from bot.housing.enums import HazardExtent, HazardSeverity, HazardStatus, HazardType
from bot.housing.errors import (
    EmptyDescription,
    HazardCaseNotFound,
    InvalidDate,
    InvalidInput,
    InvalidStatusTransition,
)
from bot.housing.models import HazardCase
from bot.housing.validation import clean_text, require_text

MAX_ROOMS = 12
OPEN_STATUSES = (HazardStatus.REPORTED, HazardStatus.INVESTIGATED, HazardStatus.MADE_SAFE)

_ALLOWED = {
    HazardStatus.REPORTED: {HazardStatus.MADE_SAFE, HazardStatus.CLOSED},
    HazardStatus.INVESTIGATED: {HazardStatus.MADE_SAFE, HazardStatus.CLOSED},
    HazardStatus.MADE_SAFE: {HazardStatus.CLOSED},
    HazardStatus.CLOSED: set(),
}


def _clean_rooms(rooms: builtins.list[str]) -> builtins.list[str]:
    if isinstance(rooms, str) or not rooms:
        raise EmptyDescription("name at least one affected room")
    cleaned = [require_text(room, field="room", max_length=60) for room in rooms]
    unique = builtins.list(dict.fromkeys(cleaned))
    if len(unique) > MAX_ROOMS:
        raise InvalidInput(f"at most {MAX_ROOMS} rooms")
    return unique


def get(*, session: Session, reference: str) -> HazardCase | None:
    """Return the hazard case with HAZ reference `reference`, or None.

    Raises:
        InvalidReference: If the reference is malformed.

    """
    canonical = references.parse_reference(reference, references.HAZARD)
    return session.execute(select(HazardCase).where(HazardCase.reference == canonical)).scalar_one_or_none()


def get_or_raise(*, session: Session, reference: str) -> HazardCase:
    """Return the hazard case with HAZ reference `reference`.

    Raises:
        InvalidReference: If the reference is malformed.
        HazardCaseNotFound: If there is none.

    """
    case = get(session=session, reference=reference)
    if case is None:
        raise HazardCaseNotFound(f"no hazard case {reference}")
    return case


def list(
    *, session: Session, tenancy_reference: str, open_only: bool = False, limit: int = 20
) -> builtins.list[HazardCase]:
    """Return a tenancy's hazard cases, newest first.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad tenancy.

    """
    tenancy = find_tenancy(session, tenancy_reference)
    statement = (
        select(HazardCase)
        .where(HazardCase.tenancy_id == tenancy.id)
        .order_by(HazardCase.aware_at.desc(), HazardCase.id.desc())
        .limit(limit)
    )
    if open_only:
        statement = statement.where(HazardCase.status.in_(OPEN_STATUSES))
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    tenancy_reference: str,
    severity: HazardSeverity | str,
    description: str,
    rooms: builtins.list[str],
    extent: HazardExtent | str,
    hazard_type: HazardType | str = HazardType.DAMP_MOULD,
    occupants: str | None = None,
    health_effects: str | None = None,
    aware_at: datetime | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> HazardCase:
    """Open a hazard case and set its Awaab's Law milestones.

    Args:
        session: The open session.
        tenancy_reference: The tenancy of the home.
        severity: Emergency or significant.
        description: What the tenant sees (card numbers masked).
        rooms: The rooms affected.
        extent: How much of the home is affected.
        hazard_type: Damp and mould (phase 1) or another hazard.
        occupants: Who lives there and may be affected (e.g. "baby aged 8 months").
        health_effects: Any effect on health the tenant mentions.
        aware_at: When the landlord became aware; `now` when None (a message is awareness).
        actor: Who reported it, for the audit log.
        now: The current time; the real clock when None.

    Raises:
        InvalidTenancyReference, TenancyNotFound, TenancyEnded: For a bad tenancy.
        EmptyDescription, TextTooLong: For a blank description or no rooms.
        InvalidChoice: For an unknown severity, extent or type.
        InvalidDate: If `aware_at` is naive or in the future.

    """
    at = resolve_now(now)
    level = choice(HazardSeverity, severity, "severity")
    kind = choice(HazardType, hazard_type, "hazard_type")
    size = choice(HazardExtent, extent, "extent")
    words = require_text(description, field="description")
    affected = _clean_rooms(rooms)
    who = clean_text(occupants, field="occupants", max_length=1000, required=False)
    effects = clean_text(health_effects, field="health_effects", max_length=2000, required=False)
    aware = require_aware(aware_at, "aware_at") if aware_at is not None else at
    if aware > at:
        raise InvalidDate("the landlord cannot become aware of a hazard in the future")
    tenancy = find_current_tenancy(session, tenancy_reference, at)
    milestones = hazard_milestones(level, aware)
    case = HazardCase(
        reference=references.next_reference(session, references.HAZARD),
        tenancy_id=tenancy.id,
        hazard_type=kind,
        severity=level,
        status=HazardStatus.REPORTED,
        description=words,
        rooms=affected,
        extent=size,
        occupants=who,
        health_effects=effects,
        aware_at=aware,
        make_safe_by=milestones.make_safe_by,
        investigate_by=milestones.investigate_by,
        summary_by=milestones.summary_by,
        safety_work_by=milestones.safety_work_by,
        preventative_start_by=milestones.preventative_start_by,
        physical_start_by=milestones.physical_start_by,
        created_at=at,
        updated_at=at,
    )
    session.add(case)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="hazard.created",
        subject=case.reference,
        details={"tenancy": tenancy.reference, "severity": level.value, "type": kind.value},
        now=at,
    )
    return case


def record_investigation(
    *,
    session: Session,
    reference: str,
    ended_on: date | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> HazardCase:
    """Record that the investigation ended, re-basing the summary, safety and preventative deadlines on it.

    Raises:
        InvalidReference, HazardCaseNotFound: For a bad reference.
        InvalidDate: If `ended_on` is in the future or before the landlord became aware.
        InvalidStatusTransition: If the case is not awaiting investigation.

    """
    at = resolve_now(now)
    case = get_or_raise(session=session, reference=reference)
    day = ended_on or today_in_england(at)
    if day > today_in_england(at):
        raise InvalidDate(f"the investigation cannot end in the future ({day.isoformat()})")
    if day < today_in_england(case.aware_at):
        raise InvalidDate("the investigation cannot end before the landlord became aware")
    if HazardStatus(case.status) is not HazardStatus.REPORTED:
        raise InvalidStatusTransition(f"hazard {case.reference} is {case.status.value}, not awaiting investigation")
    case.investigation_ended_on = day
    if HazardSeverity(case.severity) is HazardSeverity.SIGNIFICANT:
        follow_up = after_investigation(day)
        case.summary_by = follow_up.summary_by
        case.safety_work_by = follow_up.safety_work_by
        case.preventative_start_by = follow_up.preventative_start_by
        case.physical_start_by = follow_up.physical_start_by
    case.status = HazardStatus.INVESTIGATED
    case.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="hazard.investigated",
        subject=case.reference,
        details={"ended_on": day.isoformat()},
        now=at,
    )
    return case


def update(
    *,
    session: Session,
    reference: str,
    status: HazardStatus | str,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> HazardCase:
    """Mark a hazard made safe or close it.

    Raises:
        InvalidReference, HazardCaseNotFound: For a bad reference.
        InvalidChoice: For an unknown status.
        InvalidStatusTransition: For a move the current status does not allow (investigation goes through
            `record_investigation`).

    """
    at = resolve_now(now)
    target = choice(HazardStatus, status, "status")
    case = get_or_raise(session=session, reference=reference)
    current = HazardStatus(case.status)
    if target not in _ALLOWED[current]:
        raise InvalidStatusTransition(f"hazard {case.reference} cannot go from {current.value} to {target.value}")
    if target is HazardStatus.MADE_SAFE:
        case.made_safe_at = at
    if target is HazardStatus.CLOSED:
        case.closed_at = at
    case.status = target
    case.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"hazard.{target.value}",
        subject=case.reference,
        details={"from": current.value},
        now=at,
    )
    return case
